"""The after-event report: before/after photos, linked issues marked "fixed by the neighbourhood" through the
status workflow (followers told, staff confirm or reopen), and the dashboard counting those fixes apart."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from PIL import Image

from civic.accounts.models import User
from civic.database import unit_of_work, utcnow
from civic.events import services
from civic.events.models import EventIssue, EventPhoto, EventReport, PhotoMoment
from civic.extensions import db
from civic.issues.models import Issue, IssueStatus, StatusChange
from civic.notifications.models import Notification, NotificationKind
from tests.conftest import FISHTOWN


def jpeg(colour: str) -> tuple[io.BytesIO, str]:
    buf = io.BytesIO()
    Image.new("RGB", (320, 240), colour).save(buf, "JPEG")
    buf.seek(0)
    return buf, f"{colour}.jpg"


@pytest.fixture
def clean_up(app, make_user, make_issue, upload_dir):
    """An event that took place this morning, tackling two open potholes; returns (organiser, event_id, issue_ids)."""

    def factory(*, started: bool = True):
        organiser = make_user()
        issues = [make_issue(title="Bags by the fence"), make_issue(title="Mattress in the alley")]
        starts = (datetime.now() + timedelta(days=2)).replace(second=0, microsecond=0)
        with app.test_request_context(), unit_of_work():
            event = services.create_event(
                db.session.get(User, organiser.id),
                title="Girard clean-up",
                description="",
                starts_local=starts,
                ends_local=starts + timedelta(hours=2),
                meeting_point="Girard & Front",
                lat=FISHTOWN[0],
                lon=FISHTOWN[1],
            )
            db.session.add_all(EventIssue(event_id=event.id, issue_id=i) for i in issues)
            if started:  # it took place: move it into the past
                event.starts_at, event.ends_at = utcnow() - timedelta(hours=3), utcnow() - timedelta(hours=1)
            db.session.commit()
            return organiser, event.id, issues

    return factory


def report_data(**overrides) -> dict:
    data = {"summary": "14 bags of rubbish, the alley swept.", "before": [jpeg("red")], "after": [jpeg("green")]}
    data.update(overrides)
    return data


def test_report_marks_issues_fixed_by_the_neighbourhood(app, client, auth, make_user, clean_up):
    organiser, event_id, (fixed_id, left_id) = clean_up()
    follower = make_user()
    with app.test_request_context(), unit_of_work():
        from civic.notifications.services import set_following

        set_following(db.session.get(User, follower.id), fixed_id, True)
    auth.login_as(organiser)
    assert client.get(f"/events/{event_id}/report").status_code == 200
    response = client.post(
        f"/events/{event_id}/report", data=report_data(fixed=[str(fixed_id)]), content_type="multipart/form-data"
    )
    assert response.status_code == 302

    with app.app_context(), unit_of_work():
        issue = db.session.get(Issue, fixed_id)
        assert (issue.status, issue.fixed_by_community) == (IssueStatus.FIXED, True)
        change = db.session.scalar(
            sa.select(StatusChange).where(StatusChange.issue_id == fixed_id).order_by(StatusChange.id.desc()).limit(1)
        )
        assert change.by_community and change.actor_id == organiser.id
        assert change.reason.startswith("Fixed by the neighbourhood at the clean-up “Girard clean-up” on ")
        assert db.session.get(Issue, left_id).status is IssueStatus.OPEN
        assert db.session.get(EventReport, event_id).summary == "14 bags of rubbish, the alley swept."
        moments = sorted(
            p.moment for p in db.session.scalars(sa.select(EventPhoto).where(EventPhoto.event_id == event_id))
        )
        assert moments == [PhotoMoment.AFTER, PhotoMoment.BEFORE]
        [note] = db.session.scalars(sa.select(Notification).where(Notification.user_id == follower.id))
        assert note.kind is NotificationKind.STATUS and note.payload["to"] == "fixed"

    event_page = client.get(f"/events/{event_id}").get_data(as_text=True)
    assert "How it went" in event_page and "14 bags of rubbish" in event_page
    assert 'alt="Photo 1 before the clean-up"' in event_page and 'alt="Photo 1 after the clean-up"' in event_page
    issue_page = client.get(f"/issues/{fixed_id}").get_data(as_text=True)
    assert "Fixed by the neighbourhood at the clean-up “Girard clean-up”." in issue_page
    assert "Not yet confirmed by the city." in issue_page


def test_a_bad_photo_or_a_stranger_issue_writes_nothing(app, client, auth, clean_up, make_issue):
    organiser, event_id, (issue_id, _other) = clean_up()
    unrelated = make_issue(title="Somewhere else")
    auth.login_as(organiser)
    bad_photo = client.post(
        f"/events/{event_id}/report",
        content_type="multipart/form-data",
        data=report_data(fixed=[str(issue_id)], after=[(io.BytesIO(b"not an image"), "x.jpg")]),
    )
    assert bad_photo.status_code == 400
    not_linked = client.post(
        f"/events/{event_id}/report", content_type="multipart/form-data", data=report_data(fixed=[str(unrelated)])
    )
    assert not_linked.status_code == 400
    assert f"Issue {unrelated} is not one this event set out to tackle." in not_linked.get_data(as_text=True)
    empty = client.post(f"/events/{event_id}/report", data={"summary": "  "})
    assert empty.status_code == 400
    with app.app_context(), unit_of_work():
        assert db.session.get(EventReport, event_id) is None
        assert db.session.scalar(sa.select(sa.func.count()).select_from(EventPhoto)) == 0
        assert db.session.get(Issue, issue_id).status is IssueStatus.OPEN


def test_only_organisers_report_and_only_after_the_start(app, client, auth, make_user, clean_up):
    organiser, upcoming_id, _ = clean_up(started=False)
    auth.login_as(organiser)
    early = client.post(f"/events/{upcoming_id}/report", data={"summary": "Done"})
    assert early.status_code == 400 and "once the event has started" in early.get_data(as_text=True)
    _organiser, past_id, _ = clean_up()
    assert client.post(f"/events/{past_id}/report", data={"summary": "Done"}).status_code == 403
    auth.logout()
    auth.login_as(make_user())
    assert client.get(f"/events/{past_id}/report").status_code == 403


def test_staff_confirm_or_reopen_a_neighbourhood_fix(app, client, auth, make_user, clean_up):
    organiser, event_id, (issue_id, other_id) = clean_up()
    auth.login_as(organiser)
    client.post(f"/events/{event_id}/report", data={"summary": "Done", "fixed": [str(issue_id), str(other_id)]})
    auth.logout()

    auth.login_as(make_user("staff", department="parks"))  # not the potholes' department
    assert client.post(f"/staff/issues/{issue_id}/confirm-community-fix").status_code == 403
    auth.logout()
    auth.login_as(make_user("staff", department="streets"))
    assert "Confirm the neighbourhood’s fix" in client.get(f"/issues/{issue_id}").get_data(as_text=True)
    client.post(f"/staff/issues/{issue_id}/confirm-community-fix")
    assert "The city confirmed it on" in client.get(f"/issues/{issue_id}").get_data(as_text=True)
    # The other one was not really fixed: staff reopen it through the usual workflow.
    client.post(f"/staff/issues/{other_id}/status", data={"status": "open", "reason": "Still there on Monday."})
    with app.app_context(), unit_of_work():
        confirmed, reopened = db.session.get(Issue, issue_id), db.session.get(Issue, other_id)
        assert confirmed.community_fix_confirmed_at is not None and confirmed.fixed_by_community
        assert (reopened.status, reopened.fixed_by_community) == (IssueStatus.OPEN, False)

    with app.app_context(), unit_of_work():
        from civic.dashboard import stats

        overall = stats.load().overall
    assert (overall.community_fixed, overall.community_confirmed, overall.fixed) == (1, 1, 0)
    assert overall.fix.count == 0  # the city's time to fix leaves the neighbours' fixes out
    page = client.get("/dashboard").get_data(as_text=True)
    assert 'id="community-fixed">1 <span class="muted">(1 confirmed by the city)' in page
    features = {
        f["properties"]["id"]: f["properties"] for f in client.get("/open-data/issues.geojson").get_json()["features"]
    }
    assert (features[issue_id]["fixed_by"], features[other_id]["fixed_by"]) == ("neighbourhood", None)
    assert [h["by_community"] for h in features[other_id]["history"]] == [False, True, False]


def test_figures_keep_neighbourhood_fixes_apart():
    from civic.dashboard.stats import ChangeRow, IssueRow, compute

    t0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
    issues = [
        IssueRow(1, "Pothole", "Streets", None, "fixed", t0),
        IssueRow(2, "Pothole", "Streets", None, "fixed", t0, fixed_by_community=True),
        IssueRow(3, "Pothole", "Streets", None, "fixed", t0, fixed_by_community=True, community_fix_confirmed=True),
    ]
    changes = [
        ChangeRow(1, "open", "fixed", t0 + timedelta(hours=10)),
        ChangeRow(2, "open", "fixed", t0 + timedelta(hours=1), by_community=True),
        ChangeRow(3, "open", "fixed", t0 + timedelta(hours=2), by_community=True),
    ]
    overall = compute(issues, changes, t0 + timedelta(days=1)).overall
    assert (overall.fixed, overall.community_fixed, overall.community_confirmed) == (1, 2, 1)
    assert (overall.fix.count, overall.fix.median) == (1, 10.0)
