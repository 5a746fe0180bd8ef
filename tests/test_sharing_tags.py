"""What a shared link shows (templates/_sharing.html, civic/sharing.py): Open Graph and Twitter card tags and the
canonical address on issue and event pages, the site's own on other pages; nothing hidden or private leaks."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from html.parser import HTMLParser

import sqlalchemy as sa
from PIL import Image
from werkzeug.datastructures import FileStorage

from civic.accounts.models import User
from civic.database import unit_of_work, utcnow
from civic.extensions import db
from civic.issues.models import Issue, Photo
from tests.conftest import FISHTOWN


class HeadTags(HTMLParser):
    """The page's <meta property|name=... content=...> as a dict, and its canonical link."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.canonical: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        named = dict(attrs)
        if tag == "meta" and "content" in named:
            key = named.get("property") or named.get("name")
            if key:
                self.meta[key] = named["content"]
        if tag == "link" and named.get("rel") == "canonical":
            self.canonical = named["href"]


def tags_of(client, path: str) -> HeadTags:
    response = client.get(path)
    assert response.status_code == 200, path
    return HeadTags(response.get_data(as_text=True))


def jpeg(colour: str) -> FileStorage:
    buf = io.BytesIO()
    Image.new("RGB", (800, 600), colour).save(buf, "JPEG")
    buf.seek(0)
    return FileStorage(stream=buf, filename=f"{colour}.jpg", content_type="image/jpeg")


def photo_keys(app, issue_id: int) -> list[str]:
    with app.app_context(), unit_of_work():
        return list(db.session.scalars(sa.select(Photo.key).where(Photo.issue_id == issue_id).order_by(Photo.position)))


LONG = (
    "The **pothole** on Girard Ave is now _wide_ enough to swallow a bike wheel. "
    "Cars swerve into the bike lane to avoid it, and buses slow to a crawl every morning. "
    "It fills with water when it rains and nobody can see how deep it is until it is too late, "
    "so please fix it before somebody gets hurt."
)


def test_an_issue_without_a_photo_shares_its_title_a_plain_summary_and_the_app_icon(client, make_issue):
    issue_id = make_issue(title='Pothole "deep" <b>really</b> & wide', description=LONG)
    response = client.get(f"/issues/{issue_id}")
    html = response.get_data(as_text=True)
    assert "<b>really</b>" not in html  # escaped in the tags as everywhere
    tags = HeadTags(html)
    assert tags.meta["og:title"] == tags.meta["twitter:title"] == 'Pothole "deep" <b>really</b> & wide'
    summary = tags.meta["og:description"]
    assert summary.startswith("The pothole on Girard Ave is now wide enough") and "**" not in summary
    assert len(summary) <= 200 and summary.endswith("…") and len(LONG) > 200
    assert tags.meta["twitter:description"] == tags.meta["description"] == summary
    assert tags.canonical == tags.meta["og:url"] == f"http://localhost/issues/{issue_id}"
    assert tags.meta["og:type"] == "article" and tags.meta["og:site_name"] == "civic"
    assert tags.meta["og:locale"] == "en_US"
    assert tags.meta["twitter:card"] == "summary"
    icon = tags.meta["og:image"]
    assert icon.startswith("http://localhost/static/icons/icon-512.") and icon == tags.meta["twitter:image"]
    assert client.get(icon.removeprefix("http://localhost")).status_code == 200


def test_an_issue_with_photos_shares_its_first_public_photo_as_a_large_card(app, client, make_issue):
    issue_id = make_issue(photos=[jpeg("red"), jpeg("blue")])
    red, blue = photo_keys(app, issue_id)
    tags = tags_of(client, f"/issues/{issue_id}")
    assert tags.meta["og:image"] == tags.meta["twitter:image"] == f"http://localhost/media/{red}"
    assert tags.meta["twitter:card"] == "summary_large_image"
    with client.get(f"/media/{red}") as photo:  # the tag's address answers with the photo
        assert photo.status_code == 200 and photo.mimetype == "image/jpeg"

    with app.app_context(), unit_of_work():  # the moderators hide the first photo
        db.session.scalar(sa.select(Photo).where(Photo.key == red)).hidden_at = utcnow()
        db.session.commit()
    tags = tags_of(client, f"/issues/{issue_id}")
    assert tags.meta["og:image"] == f"http://localhost/media/{blue}" and red not in str(tags.meta)


def test_a_hidden_issue_leaks_nothing_and_private_details_never_appear(app, client, auth, make_issue, make_user):
    issue_id = make_issue(
        make_user("liaison"),
        title="Broken fence at the school",
        description="Wire sticking out.",
        photos=[jpeg("red")],
        on_behalf_name="Dolores Private",
        on_behalf_contact="dolores@example.org",
    )
    (key,) = photo_keys(app, issue_id)
    public = str(tags_of(client, f"/issues/{issue_id}").meta)
    assert "Broken fence" in public and "Dolores" not in public and "dolores@" not in public

    with app.app_context(), unit_of_work():
        db.session.get(Issue, issue_id).hidden_at = utcnow()
        db.session.commit()
    hidden = client.get(f"/issues/{issue_id}")
    assert hidden.status_code == 404
    assert "og:" not in hidden.get_data(as_text=True) and 'rel="canonical"' not in hidden.get_data(as_text=True)

    auth.login_as(make_user("moderator"))  # moderators still see the page, but its tags say nothing of it
    page = client.get(f"/issues/{issue_id}")
    assert page.status_code == 200 and "Broken fence" in page.get_data(as_text=True)
    tags = HeadTags(page.get_data(as_text=True))
    assert "Broken fence" not in str(tags.meta) and "Wire sticking out" not in str(tags.meta)
    assert key not in str(tags.meta) and tags.meta["twitter:card"] == "summary"


def make_event(app, organiser, *, description: str, hours_from_now: float = 24 * 7) -> int:
    from civic.events import services

    starts = (datetime.now() + timedelta(hours=hours_from_now)).replace(microsecond=0)
    with app.test_request_context(), unit_of_work():
        event = services.create_event(
            db.session.get(User, organiser.id),
            title="Alley clean-up <Saturday>",
            description=description,
            starts_local=starts,
            ends_local=starts + timedelta(hours=3),
            meeting_point="Corner of Norris & Front",
            lat=FISHTOWN[0],
            lon=FISHTOWN[1],
            capacity=None,
        )
        return event.id


def test_an_event_page_shares_its_title_summary_and_after_photo(app, client, make_user):
    organiser = make_user()
    event_id = make_event(app, organiser, description="Bring gloves. We meet by the mural.")
    tags = tags_of(client, f"/events/{event_id}")
    assert tags.meta["og:title"] == "Alley clean-up <Saturday>"
    assert tags.meta["og:description"] == "Bring gloves. We meet by the mural."
    assert tags.canonical == f"http://localhost/events/{event_id}"
    assert tags.meta["twitter:card"] == "summary" and "/static/icons/icon-512." in tags.meta["og:image"]

    from civic.events import reports
    from civic.events.models import Event, EventPhoto, PhotoMoment

    with app.test_request_context(), unit_of_work():  # the clean-up took place, with photos before and after
        event = db.session.get(Event, event_id)
        event.starts_at = utcnow() - timedelta(hours=4)
        event.ends_at = utcnow() - timedelta(hours=1)
        db.session.flush()
        organiser_user = db.session.get(User, organiser.id)
        reports.post_report(organiser_user, event, summary="Twelve bags.", before=[jpeg("red")], after=[jpeg("blue")])
    with app.app_context(), unit_of_work():
        after = db.session.scalar(
            sa.select(EventPhoto.key).where(EventPhoto.event_id == event_id, EventPhoto.moment == PhotoMoment.AFTER)
        )
    tags = tags_of(client, f"/events/{event_id}")
    assert tags.meta["og:image"] == f"http://localhost/media/{after}"
    assert tags.meta["twitter:card"] == "summary_large_image"


def test_other_pages_share_the_sites_own_tags_in_the_readers_language(client):
    tags = tags_of(client, "/events/")
    assert tags.meta["og:site_name"] == "civic" and tags.meta["og:type"] == "website"
    assert "Philadelphia" in tags.meta["og:description"]
    assert tags.canonical == "http://localhost/events/"
    client.post("/language/es", headers={"Referer": "/"})
    spanish = tags_of(client, "/issues?page=2")
    assert spanish.meta["og:locale"] == "es_US"
    assert spanish.canonical == "http://localhost/issues"  # one address for the page, whatever the query
    assert "Philadelphia" in spanish.meta["og:description"] and "Neighbours" not in spanish.meta["og:description"]


def test_a_kept_page_never_carries_the_address_another_reader_asked_by(app, client, make_issue):
    issue_id = make_issue()
    forged = app.test_client().get(f"/issues/{issue_id}", base_url="http://attacker.example")
    assert forged.status_code == 200 and "http://attacker.example/" in forged.get_data(as_text=True)
    tags = tags_of(client, f"/issues/{issue_id}")  # the page cache keeps pages per host
    assert tags.canonical == f"http://localhost/issues/{issue_id}" and "attacker" not in str(tags.meta)
