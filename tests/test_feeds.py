"""Atom feeds: one issue's history and the issues of an area; what a feed reader sees, and what it never sees."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import feedparser
import pytest

from civic.database import unit_of_work
from civic.extensions import db
from tests.conftest import FISHTOWN, offset

ATOM = "{http://www.w3.org/2005/Atom}"
AROUND_FISHTOWN = "-75.14,39.965,-75.125,39.98"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


# --- helpers -----------------------------------------------------------------------------------


def fetch(client, url: str, **headers):
    """GET a feed; check it is well-formed Atom with every required part; return (parsed, raw text)."""
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    raw = response.get_data(as_text=True)

    root = ET.fromstring(response.data)
    assert root.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert (root.findtext(f"{ATOM}{name}") or "").strip(), name
    assert root.find(f"{ATOM}author/{ATOM}name").text == "civic"
    rels = {link.get("rel"): link.get("href") for link in root.findall(f"{ATOM}link")}
    assert rels["self"].startswith("http://localhost/") and rels["alternate"].startswith("http://localhost/")
    for entry in root.findall(f"{ATOM}entry"):
        for name in ("id", "title", "updated"):
            assert (entry.findtext(f"{ATOM}{name}") or "").strip(), name
        links = entry.findall(f"{ATOM}link")
        assert links and all(link.get("href", "").startswith("http://localhost/issues/") for link in links)

    feed = feedparser.parse(response.data)
    assert feed.bozo == 0, feed.get("bozo_exception")
    return feed, raw


def as_user(app, info):
    from civic.accounts.models import User

    return db.session.get(User, info.id)


def comment(app, author, issue_id: int, body: str, at: datetime | None = None) -> int:
    from civic.issues import services

    with app.test_request_context(), unit_of_work():
        posted = services.add_comment(as_user(app, author), services.get_issue(issue_id), body)
        if at is not None:
            posted.created_at = at
            db.session.commit()
        return posted.id


def change_status(app, issue_id: int, to: str, reason: str | None, at: datetime) -> int:
    """What the staff workflow will do: a StatusChange row and the issue's new status."""
    from civic.issues.models import Issue, IssueStatus, StatusChange

    with app.app_context(), unit_of_work():
        issue = db.session.get(Issue, issue_id)
        change = StatusChange(
            issue_id=issue_id, from_status=issue.status, to_status=IssueStatus(to), reason=reason, created_at=at
        )
        issue.status = IssueStatus(to)
        db.session.add(change)
        db.session.commit()
        return change.id


def reported_at(app, issue_id: int, at: datetime) -> None:
    """Move a report (and its initial 'Reported' history row) back in time."""
    from civic.issues.models import Issue

    with app.app_context(), unit_of_work():
        issue = db.session.get(Issue, issue_id)
        issue.created_at = issue.updated_at = at
        for change in issue.status_changes:
            change.created_at = at
        db.session.commit()


def titles(feed) -> list[str]:
    return [e.title for e in feed.entries]


# --- one issue ---------------------------------------------------------------------------------


def test_issue_feed_has_report_status_changes_and_comments_newest_first(app, client, make_user, make_issue):
    author = make_user(display_name="Rosa Commenter", show_name=True)  # she chose to show her name
    issue = make_issue(title="Broken curb", description="The curb is *cracked*.")
    reported_at(app, issue, T0)
    first = comment(app, author, issue, "Still there this morning.", at=T0 + timedelta(hours=1))
    change = change_status(app, issue, "fixed", "Crew repaired the curb.", at=T0 + timedelta(hours=2))
    last = comment(app, author, issue, "Looks good now, thanks!", at=T0 + timedelta(hours=3))

    feed, _raw = fetch(client, f"/issues/{issue}/feed.atom")

    assert titles(feed) == ["Comment by Rosa Commenter", "Open → Fixed", "Comment by Rosa Commenter", "Broken curb"]
    newest, status, oldest_comment, report = feed.entries
    assert [e.link for e in feed.entries] == [
        f"http://localhost/issues/{issue}#comment-{last}",
        f"http://localhost/issues/{issue}#history-heading",
        f"http://localhost/issues/{issue}#comment-{first}",
        f"http://localhost/issues/{issue}",
    ]
    assert [e.id for e in feed.entries] == [
        f"tag:localhost,2026:issue/{issue}/comment/{last}",
        f"tag:localhost,2026:issue/{issue}/status/{change}",
        f"tag:localhost,2026:issue/{issue}/comment/{first}",
        f"tag:localhost,2026:issue/{issue}/report",
    ]
    assert newest.author == "Rosa Commenter" and "Looks good now" in newest.content[0].value
    assert status.content[0].value == "Crew repaired the curb."
    assert report.content[0].type == "text/html" and "<em>cracked</em>" in report.content[0].value
    assert report.author == "A neighbour"
    assert feed.feed.title == f"Updates on issue {issue}: Broken curb"
    assert feed.feed.id == f"tag:localhost,2026:issue/{issue}"
    assert datetime.fromisoformat(feed.feed.updated) == T0 + timedelta(hours=3)
    assert datetime.fromisoformat(newest.updated) == T0 + timedelta(hours=3)
    links = {link.rel: link.href for link in feed.feed.links}
    assert links == {
        "self": f"http://localhost/issues/{issue}/feed.atom",
        "alternate": f"http://localhost/issues/{issue}",
    }


def test_issue_feed_keeps_private_details_out(app, client, make_user, make_issue):
    liaison = make_user("liaison", display_name="Lucia Liaison", email="lucia@liaison.example")
    for_someone = make_issue(
        liaison, on_behalf_name="Maria Privada", on_behalf_contact="215-555-0199 maria@home.example"
    )
    shy = make_user(display_name="Hidden Hector", email="hector@shy.example")
    hidden = make_issue(shy, show_reporter_name=False)
    public = make_issue(make_user(display_name="Open Olga"), show_reporter_name=True)
    commenter = make_user(display_name="Carl Comments", email="carl@comments.example", show_name=True)
    comment(app, commenter, hidden, "Same here.")

    raws = [fetch(client, f"/issues/{i}/feed.atom")[1] for i in (for_someone, hidden)]
    raws.append(fetch(client, f"/feeds/area.atom?bbox={AROUND_FISHTOWN}")[1])
    for raw in raws:
        for secret in (
            "Maria Privada",
            "215-555-0199",
            "maria@home.example",
            "Lucia Liaison",
            "lucia@liaison",
            "Hidden Hector",
            "hector@shy",
            "carl@comments",
            "@example",
        ):
            assert secret not in raw
        assert "A neighbour" in raw
    assert "Carl Comments" in raws[1]  # a commenter who chose to show the name is named
    assert "Open Olga" in fetch(client, f"/issues/{public}/feed.atom")[1]  # the reporter chose to be named


def test_deleted_comments_are_left_out_and_html_is_sanitised(app, client, make_user, make_issue):
    from civic.issues import services

    author = make_user()
    issue = make_issue(description='<script>alert("report")</script> see [map](javascript:alert(1))')
    kept = comment(app, author, issue, '<script>alert("x")</script><img src=x onerror=alert(2)> **ok**')
    gone = comment(app, author, issue, "Oops, wrong issue: call me on 215-555-0100")
    with app.test_request_context(), unit_of_work():
        services.delete_comment(as_user(app, author), services.get_comment(gone))

    feed, raw = fetch(client, f"/issues/{issue}/feed.atom")
    assert len(feed.entries) == 2  # the report and the comment that was kept
    assert f"/comment/{gone}" not in raw and "215-555-0100" not in raw
    assert f"#comment-{kept}" in raw
    root = ET.fromstring(raw.encode())
    html = [entry.findtext(f"{ATOM}content") for entry in root.iter(f"{ATOM}entry")]
    # What a reader renders is the content's HTML: no live script, image or javascript: link in it.
    for fragment in html:
        assert "<script" not in fragment and "<img" not in fragment and 'href="javascript:' not in fragment
    assert any("&lt;script&gt;" in fragment for fragment in html)  # shown as text, not dropped silently
    assert any("<strong>ok</strong>" in fragment for fragment in html)
    assert "<script" not in raw


def test_control_characters_in_text_do_not_break_the_feed(app, client, make_user, make_issue):
    """Text stored before civic refused control characters (civic.text) still makes a valid feed."""
    from sqlalchemy import update

    from civic.issues.models import Comment, Issue

    issue = make_issue(title="Bell in title", description="Escape in text")
    said = comment(app, make_user(), issue, "Verticaltab")
    with app.app_context(), unit_of_work():
        db.session.execute(
            update(Issue).where(Issue.id == issue).values(title="Bell\x07 in title", description="Escape\x1b in text")
        )
        db.session.execute(update(Comment).where(Comment.id == said).values(body="Vertical\x0btab"))
        db.session.commit()
    feed, raw = fetch(client, f"/issues/{issue}/feed.atom")
    assert titles(feed)[-1] == "Bell in title" and "Verticaltab" in raw


def test_readers_get_304_until_something_changes(app, client, make_user, make_issue):
    issue = make_issue()
    url = f"/issues/{issue}/feed.atom"
    first = client.get(url)
    assert first.headers["ETag"] and client.get(url).data == first.data  # ids and dates do not drift
    assert client.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    comment(app, make_user(), issue, "New information.")
    assert client.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 200


def test_unknown_issue_is_404(client, categories):
    assert client.get("/issues/999/feed.atom").status_code == 404


def test_feed_follows_the_readers_language(client, make_issue):
    make_issue()
    feed, raw = fetch(client, f"/feeds/area.atom?bbox={AROUND_FISHTOWN}", **{"Accept-Language": "es"})
    assert 'xml:lang="es"' in raw
    assert feed.entries[0].title == "Bache: Deep pothole (Abierto)"
    assert feed.entries[0].author == "Un vecino"


# --- an area -----------------------------------------------------------------------------------


def area_ids(client, query: str) -> list[int]:
    feed, _raw = fetch(client, f"/feeds/area.atom?{query}")
    return [int(e.link.rsplit("/", 1)[1]) for e in feed.entries]


def test_radius_keeps_only_issues_inside_the_circle(client, make_issue):
    near = make_issue(title="Ninety metres north", at=offset(*FISHTOWN, north_m=90))
    make_issue(title="In the box's corner, 113 m away", at=offset(*FISHTOWN, north_m=80, east_m=80))
    make_issue(title="150 metres east", at=offset(*FISHTOWN, east_m=150))
    lat, lon = FISHTOWN
    assert area_ids(client, f"lat={lat}&lon={lon}&radius=100") == [near]
    assert len(area_ids(client, f"lat={lat}&lon={lon}&radius=200")) == 3


def test_bbox_and_category_filters(client, make_issue):
    pothole = make_issue(title="Pothole inside")
    graffiti = make_issue(category="graffiti", title="Tag on the wall", at=offset(*FISHTOWN, north_m=200))
    make_issue(title="Far away", at=(39.95, -75.20))
    assert sorted(area_ids(client, f"bbox={AROUND_FISHTOWN}")) == sorted([pothole, graffiti])
    assert area_ids(client, f"bbox={AROUND_FISHTOWN}&category=graffiti") == [graffiti]
    assert sorted(area_ids(client, f"bbox={AROUND_FISHTOWN}&category=graffiti&category=pothole")) == sorted(
        [pothole, graffiti]
    )
    lat, lon = FISHTOWN
    assert area_ids(client, f"lat={lat}&lon={lon}&radius=300&category=pothole") == [pothole]

    feed, _raw = fetch(client, f"/feeds/area.atom?bbox={AROUND_FISHTOWN}&category=graffiti")
    assert feed.entries[0].title == "Graffiti: Tag on the wall (Open)"
    assert feed.feed.title == "Issues in an area of Philadelphia: Graffiti"
    links = {link.rel: link.href for link in feed.feed.links}
    assert links["self"] == f"http://localhost/feeds/area.atom?bbox={AROUND_FISHTOWN}&category=graffiti"
    assert links["alternate"] == f"http://localhost/issues?bbox={AROUND_FISHTOWN}&category=graffiti"


def test_area_orders_by_latest_activity(app, client, make_issue):
    old_but_fixed = make_issue(title="Old, fixed today")
    middle = make_issue(title="Reported yesterday")
    oldest = make_issue(title="Old and quiet")
    reported_at(app, oldest, T0)
    reported_at(app, old_but_fixed, T0 + timedelta(days=1))
    reported_at(app, middle, T0 + timedelta(days=5))
    change_status(app, old_but_fixed, "fixed", "Patched.", at=T0 + timedelta(days=6))

    feed, _raw = fetch(client, f"/feeds/area.atom?bbox={AROUND_FISHTOWN}")
    assert titles(feed) == [
        "Pothole: Old, fixed today (Fixed)",
        "Pothole: Reported yesterday (Open)",
        "Pothole: Old and quiet (Open)",
    ]
    assert datetime.fromisoformat(feed.entries[0].updated) == T0 + timedelta(days=6)
    assert datetime.fromisoformat(feed.entries[0].published) == T0 + timedelta(days=1)
    assert datetime.fromisoformat(feed.feed.updated) == T0 + timedelta(days=6)


def test_area_feed_stops_at_50_entries(app, client, make_user, make_issue):
    reporter = make_user()
    ids = [make_issue(reporter, title=f"Issue {n}", at=offset(*FISHTOWN, north_m=n)) for n in range(55)]
    for n, issue in enumerate(ids):
        reported_at(app, issue, T0 + timedelta(minutes=n))
    newest_fifty = list(reversed(ids))[:50]
    assert area_ids(client, f"bbox={AROUND_FISHTOWN}") == newest_fifty
    lat, lon = FISHTOWN
    assert area_ids(client, f"lat={lat}&lon={lon}&radius=500") == newest_fifty


def test_empty_area_is_a_valid_feed(client, categories):
    feed, _raw = fetch(client, f"/feeds/area.atom?bbox={AROUND_FISHTOWN}")
    assert feed.entries == []


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "Choose an area"),
        ("category=pothole", "Choose an area"),
        ("lat=39.97&lon=-75.13&radius=10", "radius must be a number of metres from 50 to 5000"),
        ("lat=39.97&lon=-75.13&radius=999999", "radius must be"),
        ("lat=39.97&lon=-75.13&radius=nan", "radius must be"),
        ("lat=39.97&lon=-75.13", "radius must be"),
        ("lat=abc&lon=-75.13&radius=100", "lat and lon must be numbers"),
        ("lat=95&lon=-75.13&radius=100", "lat and lon must be numbers"),
        ("bbox=garbage", "bbox must be four numbers"),
        ("bbox=1,2,3", "bbox must be four numbers"),
        ("bbox=-75.1,39.9,-75.2,40.0", "out of order"),
        ("bbox=-80,30,-70,45", "too large"),
        (f"bbox={AROUND_FISHTOWN}&lat=39.97&lon=-75.13&radius=100", "either bbox or lat, lon and radius"),
        (f"bbox={AROUND_FISHTOWN}&category=unicorns", "Unknown category: unicorns"),
    ],
)
def test_bad_area_parameters_are_400(client, categories, query, message):
    response = client.get(f"/feeds/area.atom?{query}")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
