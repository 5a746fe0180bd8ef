"""One rule for names (issue 17, item 3): a person chooses once (at sign-up, then on the profile or through the API)
whether neighbours see their name next to their reports and comments. Otherwise neighbours see "a neighbour" (in
the right case, in both languages) and only the person and city staff see the name, with a hint saying so.
Official replies always name the staff member. Each test here looks at one surface a comment's author appears on.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from civic.accounts.models import User
from civic.database import unit_of_work
from civic.extensions import db, socketio
from civic.notifications.models import Notification
from tests.signup import sign_up

OWN_HINT = "(only you and city staff see this name)"
STAFF_HINT = "(only city staff see this name)"


def logged_in(app, user=None):
    http = app.test_client()
    if user is not None:
        http.post("/login", data={"email": user.email, "password": user.password})
    return http


def comment(app, user, issue_id, body="Still there this morning.") -> None:
    assert logged_in(app, user).post(f"/issues/{issue_id}/comments", data={"body": body}).status_code == 302


def stored_choice(app, user_id) -> bool:
    with app.app_context(), unit_of_work():
        return db.session.get(User, user_id).show_name


def set_choice(app, user_id, show: bool) -> None:
    with app.app_context(), unit_of_work():
        db.session.get(User, user_id).show_name = show
        db.session.commit()


def checkbox(html: str, name: str) -> str:
    [tag] = re.findall(rf'<input[^>]*\bname="{name}"[^>]*>', html)
    return tag


def byline(html: str) -> str:
    """The first comment's author (the <strong> and the hint after it)."""
    found = re.search(
        r'<span class="comment__author">(<strong>[^<]*</strong>(?: <span class="hint">[^<]*</span>)?)</span>', html
    )
    assert found, "no comment on the page"
    return found.group(1)


@pytest.fixture
def private_comment(app, make_user, make_issue):
    """An issue (reported by someone else) with one comment by Quinn, who keeps her name private."""
    quinn = make_user(display_name="Quiet Quinn", show_name=False)
    reporter = make_user(display_name="Rita Reporter")
    issue_id = make_issue(reporter, title="Broken light")
    comment(app, quinn, issue_id)
    return issue_id, quinn, reporter


# --- choosing: sign-up, profile, API ----------------------------------------------------------


def test_sign_up_states_the_rule_and_keeps_the_name_private_unless_ticked(app, client):
    page = client.get("/register").get_data(as_text=True)
    assert "Show my name to neighbours next to my reports and comments" in page
    assert "neighbours see “a neighbour” instead, and only you and city staff see your name" in page
    assert "checked" not in checkbox(page, "show_name")
    assert "Shown to neighbours next to what you post" not in page  # the old promise is gone

    password = "sunflower meadow river"
    assert sign_up(app, client, "Pat Private", "pat@example.org", password).status_code == 302
    other = logged_in(app)
    assert sign_up(app, other, "Sam Shown", "sam@example.org", password, show_name=True).status_code == 302
    with app.app_context(), unit_of_work():
        choices = {name: shown for name, shown in db.session.execute(sa.select(User.display_name, User.show_name))}
    assert choices == {"Pat Private": False, "Sam Shown": True}


def test_profile_shows_and_changes_the_choice(app, client, auth, make_user):
    user = make_user(display_name="Pat", show_name=False)
    auth.login_as(user)
    page = client.get("/account").get_data(as_text=True)
    assert "checked" not in checkbox(page, "show_name") and "only you and city staff see your name" in page
    assert client.post("/account", data={"display_name": "Pat", "show_name": "y"}).status_code == 302
    assert stored_choice(app, user.id) is True
    assert "checked" in checkbox(client.get("/account").get_data(as_text=True), "show_name")
    assert client.post("/account", data={"display_name": "Pat"}).status_code == 302  # unticked
    assert stored_choice(app, user.id) is False


def test_api_reads_and_changes_the_choice(app, client, auth, make_user):
    user = make_user(show_name=False)
    auth.login_as(user)
    assert client.get("/api/v1/me").get_json()["show_name"] is False
    response = client.patch("/api/v1/me", json={"show_name": True})
    assert response.status_code == 200 and response.get_json()["show_name"] is True
    assert stored_choice(app, user.id) is True
    bad = client.patch("/api/v1/me", json={"show_name": "yes"})
    assert bad.status_code == 400 and "show_name must be true or false." in bad.get_json()["error"]["message"]
    assert stored_choice(app, user.id) is True
    doc = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    assert "show_name" in doc["Me"]["properties"] and "show_name" in doc["MeChange"]["properties"]


def test_report_form_starts_from_the_accounts_choice(app, make_user):
    shown, private = make_user(show_name=True), make_user(show_name=False)
    assert "checked" in checkbox(logged_in(app, shown).get("/issues/new").get_data(as_text=True), "show_reporter_name")
    page = logged_in(app, private).get("/issues/new").get_data(as_text=True)
    assert "checked" not in checkbox(page, "show_reporter_name")


# --- the issue page -----------------------------------------------------------------------------


def test_issue_page_names_a_private_commenter_only_to_herself_and_staff(app, make_user, private_comment):
    issue_id, quinn, reporter = private_comment
    for viewer in (None, reporter, make_user()):  # anonymous, the reporter, another neighbour
        page = logged_in(app, viewer).get(f"/issues/{issue_id}").get_data(as_text=True)
        assert byline(page) == "<strong>A neighbour</strong>", viewer
        assert "Quiet Quinn" not in page, viewer
    mine = logged_in(app, quinn).get(f"/issues/{issue_id}").get_data(as_text=True)
    assert byline(mine) == f'<strong>Quiet Quinn</strong> <span class="hint">{OWN_HINT}</span>'
    for role in ("staff", "moderator"):
        page = logged_in(app, make_user(role)).get(f"/issues/{issue_id}").get_data(as_text=True)
        assert byline(page) == f'<strong>Quiet Quinn</strong> <span class="hint">{STAFF_HINT}</span>', role
    unverified = make_user("staff", verified=False)  # acts as a resident until verified
    assert byline(logged_in(app, unverified).get(f"/issues/{issue_id}").get_data(as_text=True)) == (
        "<strong>A neighbour</strong>"
    )


def test_a_public_name_is_shown_to_everyone_without_a_hint(app, make_user, make_issue):
    issue_id = make_issue()
    comment(app, make_user(display_name="Open Olga", show_name=True), issue_id)
    assert byline(logged_in(app).get(f"/issues/{issue_id}").get_data(as_text=True)) == "<strong>Open Olga</strong>"


def test_spanish_readers_see_un_vecino(app, make_user, private_comment):
    issue_id, _quinn, _reporter = private_comment
    reader = make_user(locale="es")
    assert byline(logged_in(app, reader).get(f"/issues/{issue_id}").get_data(as_text=True)) == (
        "<strong>Un vecino</strong>"
    )


def test_an_official_reply_always_names_the_staff_member(app, make_user, make_issue):
    issue_id = make_issue(title="Broken light")
    staff = make_user("staff", display_name="Dana Streets", show_name=False)
    form = {"status": "fixed", "reason": "Patched", "also_reply": "y", "reply": "We patched it."}
    assert logged_in(app, staff).post(f"/staff/issues/{issue_id}/status", data=form).status_code == 302
    page = logged_in(app).get(f"/issues/{issue_id}").get_data(as_text=True)
    assert byline(page) == "<strong>Dana Streets</strong>"
    assert "<strong>Dana Streets</strong></span> · Streets" in " ".join(page.split())
    assert STAFF_HINT not in page and OWN_HINT not in page


def test_changing_the_choice_later_changes_what_neighbours_see(app, make_user, make_issue):
    olga = make_user(display_name="Open Olga", show_name=True)
    issue_id = make_issue()
    comment(app, olga, issue_id)
    set_choice(app, olga.id, False)
    assert byline(logged_in(app).get(f"/issues/{issue_id}").get_data(as_text=True)) == "<strong>A neighbour</strong>"


# --- the API, live pushes, feeds, notifications ---------------------------------------------------


def test_api_comments_follow_the_rule(app, make_user, private_comment):
    issue_id, quinn, _reporter = private_comment
    url = f"/api/v1/issues/{issue_id}/comments"
    assert [c["author"] for c in logged_in(app).get(url).get_json()["items"]] == ["A neighbour"]
    assert [c["author"] for c in logged_in(app, quinn).get(url).get_json()["items"]] == ["Quiet Quinn"]
    assert [c["author"] for c in logged_in(app, make_user("staff")).get(url).get_json()["items"]] == ["Quiet Quinn"]


def test_live_push_carries_no_private_name(app, make_user, make_issue):
    issue_id = make_issue()
    watcher = socketio.test_client(app)
    try:
        assert watcher.emit("watch_issue", {"issue_id": issue_id}, callback=True) == {"ok": True}
        comment(app, make_user(display_name="Quiet Quinn", show_name=False), issue_id)
        comment(app, make_user(display_name="Open Olga", show_name=True), issue_id)
        pushed = [e["args"][0]["comment"] for e in watcher.get_received() if e["name"] == "comment"]
    finally:
        watcher.disconnect()
    assert [(c["author"], c["former"]) for c in pushed] == [(None, False), ("Open Olga", False)]
    assert "Quiet Quinn" not in repr(pushed)
    # The page tells its script what to say instead, in the reader's language and the right case.
    page = logged_in(app).get(f"/issues/{issue_id}").get_data(as_text=True)
    assert 'data-neighbour="A neighbour" data-new-comment-neighbour="New comment by a neighbour"' in page


def test_feeds_say_a_neighbour(app, client, private_comment):
    issue_id, _quinn, _reporter = private_comment
    raw = client.get(f"/issues/{issue_id}/feed.atom").get_data(as_text=True)
    assert "Quiet Quinn" not in raw
    assert "<title>Comment by a neighbour</title>" in raw and "<name>A neighbour</name>" in raw


def test_notification_text_follows_the_authors_current_choice(app, make_user, make_issue):
    reporter, staff_follower = make_user(), make_user("staff")
    spanish = make_user(locale="es")
    issue_id = make_issue(reporter, title="Broken light")
    for follower in (staff_follower, spanish):
        assert logged_in(app, follower).post(f"/issues/{issue_id}/follow", data={"following": "1"}).status_code == 302
    quinn = make_user(display_name="Quiet Quinn", show_name=False)
    comment(app, quinn, issue_id)
    with app.app_context(), unit_of_work():  # no name is kept in the notifications themselves
        payloads = list(db.session.scalars(sa.select(Notification.payload)))
    assert len(payloads) == 3 and "Quiet Quinn" not in repr(payloads)
    centre = logged_in(app, reporter).get("/notifications").get_data(as_text=True)
    assert "A neighbour commented on “Broken light”" in centre and "Quiet Quinn" not in centre
    assert "Quiet Quinn commented on “Broken light”" in logged_in(app, staff_follower).get("/notifications").get_data(
        as_text=True
    )
    assert "Un vecino comentó en «Broken light»" in logged_in(app, spanish).get("/notifications").get_data(as_text=True)
    set_choice(app, quinn.id, True)  # decided when shown: the same notification now names her
    assert "Quiet Quinn commented on “Broken light”" in logged_in(app, reporter).get("/notifications").get_data(
        as_text=True
    )


def test_notification_mail_says_a_neighbour_in_the_readers_language(make_app, smtp_server, make_user, make_issue):
    from civic.accounts.models import EmailFrequency

    app = make_app(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port)
    reporter = make_user(locale="es")
    with app.app_context(), unit_of_work():
        db.session.get(User, reporter.id).email_frequency = EmailFrequency.IMMEDIATE
        db.session.commit()
    issue_id = make_issue(reporter, title="Broken light")
    comment(app, make_user(display_name="Quiet Quinn", show_name=False), issue_id)
    [message] = smtp_server.wait_for(1)
    assert message["Subject"] == "Un vecino comentó en «Broken light»"
    assert "Quiet Quinn" not in message.get_content()


def test_near_me_says_new_comment_by_a_neighbour(app, make_user, private_comment):
    issue_id, _quinn, reporter = private_comment
    page = logged_in(app, reporter).get("/near-me").get_data(as_text=True)
    assert "New comment by a neighbour" in page and "Quiet Quinn" not in page


# --- the report form's nearby duplicates and the event form ---------------------------------------


def test_nearby_duplicates_say_which_are_the_viewers_own(app, make_user, make_issue, categories):
    from tests.conftest import FISHTOWN

    me, other = make_user(), make_user()
    mine, theirs = make_issue(me, title="My hole"), make_issue(other, title="Their hole")
    url = f"/api/v1/issues/nearby?lat={FISHTOWN[0]}&lon={FISHTOWN[1]}&category_id={categories['pothole']}"
    found = {f["id"]: f["properties"]["mine"] for f in logged_in(app, me).get(url).get_json()["features"]}
    assert found == {mine: True, theirs: False}
    report = logged_in(app, me).get("/issues/new").get_data(as_text=True)
    assert 'data-mine="You reported this"' in report


def test_without_javascript_my_own_nearby_report_has_no_vote_button(app, make_user, make_issue, categories):
    from tests.conftest import FISHTOWN

    me = make_user()
    mine, theirs = make_issue(me, title="My hole"), make_issue(title="Their hole")
    form = {"category": categories["pothole"], "title": "Hole again", "description": "Deep.", "lat": FISHTOWN[0]}
    page = logged_in(app, me).post("/issues/new", data={**form, "lon": FISHTOWN[1]}).get_data(as_text=True)
    assert "Already reported? Add your vote instead" in page
    assert f'action="/issues/{theirs}/upvote"' in page and f'action="/issues/{mine}/upvote"' not in page
    assert "You reported this" in page


def test_event_form_says_organisers_are_named(app, make_user):
    page = logged_in(app, make_user()).get("/events/new").get_data(as_text=True)
    assert "Organisers are named on the event page for everyone to see" in page


def test_event_page_names_organisers_but_not_the_people_going(app, make_user):
    from datetime import datetime, timedelta

    from civic.events import services as events
    from tests.conftest import FISHTOWN

    organiser = make_user(display_name="Olive Organiser", show_name=False)  # organising is public by choice
    going = make_user(display_name="Gus Going", show_name=False)
    starts = (datetime.now() + timedelta(days=7)).replace(hour=10, minute=0, second=0, microsecond=0)
    with app.test_request_context(), unit_of_work():
        event_id = events.create_event(
            db.session.get(User, organiser.id),
            title="Alley clean-up",
            description="Bring gloves.",
            starts_local=starts,
            ends_local=starts + timedelta(hours=3),
            meeting_point="Corner of Norris & Front",
            lat=FISHTOWN[0],
            lon=FISHTOWN[1],
        ).id
        events.sign_up(db.session.get(User, going.id), event_id)
    for viewer in (None, make_user()):
        page = logged_in(app, viewer).get(f"/events/{event_id}").get_data(as_text=True)
        assert "Olive Organiser" in page and "Gus Going" not in page and "1 person going" in page
    assert "Gus Going" in logged_in(app, organiser).get(f"/events/{event_id}").get_data(as_text=True)
