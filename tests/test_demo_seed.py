"""The demo's mission (`flask demo seed`, civic/demo): clean-up events upcoming and past with their reports,
official replies from the staff member's department, demo issues sent to a real pretend city over HTTP and
its answers synced back; the pretend city's state file; and `make run`'s launcher (tools/demo_run.py)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest
import sqlalchemy as sa

from civic import ROOT
from civic.accounts.models import User
from civic.accounts.passwords import hash_password
from civic.database import unit_of_work, utcnow
from civic.extensions import db
from tests.services import free_port
from tools.pretend_city import SandboxCity


def seed(runner, *args: str) -> str:
    result = runner.invoke(args=["demo", "seed", "--if-empty", "--issues", "300", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_the_seed_makes_upcoming_and_past_cleanups_with_reports(app, runner, client, upload_dir):
    from civic.events.models import Event, EventIssue, EventPhoto, EventReport, PhotoMoment, Rsvp, RsvpStatus
    from civic.issues.models import Issue, IssueStatus, StatusChange

    output = seed(runner)
    assert "clean-up events" in output
    with app.app_context(), unit_of_work():
        now = utcnow()
        events = list(db.session.scalars(sa.select(Event).order_by(Event.starts_at)))
        upcoming = [e for e in events if e.starts_at > now]
        past = [e for e in events if e.ends_at < now]
        assert len(upcoming) >= 3 and len(past) >= 1

        def count(event, status):
            return db.session.scalar(
                sa.select(sa.func.count()).select_from(Rsvp).where(Rsvp.event_id == event.id, Rsvp.status == status)
            )

        full = [e for e in upcoming if e.capacity and count(e, RsvpStatus.GOING) == e.capacity]
        assert full and count(full[0], RsvpStatus.WAITLISTED) >= 2
        links = {e.id: db.session.scalar(sa.select(sa.func.count()).where(EventIssue.event_id == e.id)) for e in events}
        assert any(links[e.id] >= 2 for e in upcoming)
        organisers = {e.organiser.email for e in events}
        assert organisers == {"alex@demo.civic", "bea@demo.civic"}

        reported = [e for e in past if db.session.get(EventReport, e.id)]
        assert reported
        event = reported[0]
        checked_in = db.session.scalar(
            sa.select(sa.func.count()).where(Rsvp.event_id == event.id, Rsvp.checked_in_at.is_not(None))
        )
        assert 0 < checked_in <= count(event, RsvpStatus.GOING)
        photos = list(db.session.scalars(sa.select(EventPhoto).where(EventPhoto.event_id == event.id)))
        assert {p.moment for p in photos} == {PhotoMoment.BEFORE, PhotoMoment.AFTER}
        keys = [k for p in photos for k in (p.key, p.thumb_key)]

        fixed_here = list(
            db.session.scalars(
                sa.select(EventIssue.issue_id).where(
                    EventIssue.fixed_at_event.is_(True), EventIssue.event_id.in_([e.id for e in past])
                )
            )
        )
        assert fixed_here
        for issue_id in fixed_here:
            issue = db.session.get(Issue, issue_id)
            assert issue.status is IssueStatus.FIXED and issue.fixed_by_community
            change = db.session.scalar(
                sa.select(StatusChange).where(StatusChange.issue_id == issue_id, StatusChange.by_community.is_(True))
            )
            assert change is not None and change.created_at < now and "Fixed by the neighbourhood" in change.reason
        full_id, full_title, past_id, summary = (
            full[0].id,
            full[0].title,
            event.id,
            db.session.get(EventReport, event.id).summary,
        )

    for key in keys:  # the photos went through civic.media: full size and thumbnail are served
        response = client.get(f"/media/{key}")
        assert response.status_code == 200 and response.mimetype == "image/jpeg"
        assert response.data[:2] == b"\xff\xd8"
        response.close()  # a served file stays open until the response is closed
    page = client.get("/events/").get_data(as_text=True)
    assert full_title in page
    assert "on the waiting list" in client.get(f"/events/{full_id}").get_data(as_text=True)
    past_page = client.get(f"/events/{past_id}").get_data(as_text=True)
    assert summary.split(".")[0] in past_page and "/media/" in past_page
    issue_page = client.get(f"/issues/{fixed_here[0]}").get_data(as_text=True)
    assert "fixed by the neighbourhood" in issue_page.lower()


def test_the_demo_liaison_has_reports_filed_for_others(app, runner, client, upload_dir):
    """Carmen's "Reports I filed for others" is not empty in the demo, and she sees them after signing in."""
    from civic.issues.models import Issue

    seed(runner)
    with app.app_context(), unit_of_work():
        carmen = db.session.scalar(sa.select(User).where(User.email == "carmen@demo.civic"))
        filed = db.session.scalars(sa.select(Issue).where(Issue.reporter_id == carmen.id)).all()
        assert len(filed) == 3 and all(issue.on_behalf_name for issue in filed)
        carmen.password_hash = hash_password("liaison-password-1")
        titles = [issue.title for issue in filed]
    client.post("/login", data={"email": "carmen@demo.civic", "password": "liaison-password-1"})
    page = client.get("/issues?mine=others").get_data(as_text=True)
    assert all(title.replace("'", "&#39;") in page for title in titles)


def test_the_issues_only_seed_skips_the_mission(app, runner):
    from civic.city311.models import Submission
    from civic.events.models import Event

    seed(runner, "--no-mission")
    with app.app_context(), unit_of_work():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Submission)) == 0


def test_official_replies_are_the_staff_members_and_fit_what_they_did(app, runner, upload_dir):
    from civic.accounts.models import User
    from civic.demo.seeding import OFFICIAL_REPLIES
    from civic.issues.models import Comment, IssueStatus, StatusChange

    seed(runner, "--no-mission")
    with app.app_context(), unit_of_work():
        dana = db.session.scalar(sa.select(User).where(User.email == "dana@demo.civic"))
        replies = list(db.session.scalars(sa.select(Comment).where(Comment.official.is_(True))))
        assert replies
        assert {(r.author_id, r.department_id) for r in replies} == {(dana.id, dana.department_id)}
        first_step = {}
        for change in db.session.scalars(
            sa.select(StatusChange).where(StatusChange.from_status.is_not(None)).order_by(StatusChange.id)
        ):
            first_step.setdefault(change.issue_id, change)
        for reply in replies:
            step = first_step[reply.issue_id]
            if step.to_status is IssueStatus.CLOSED:
                assert step.reason in reply.body  # a closing reply says why
            else:
                assert reply.body in OFFICIAL_REPLIES[step.to_status]


def test_seeded_issues_are_sent_to_a_real_city_and_its_answers_come_back(
    app, runner, client, city, categories, upload_dir
):
    from civic.city311.models import Submission, SubmissionState
    from civic.issues.models import Comment, Issue, IssueStatus
    from tools.pretend_city.connect import connect
    from tools.pretend_city.staff import work_through

    assert connect(city, app) == 4
    output = seed(runner)
    assert "Sent " in output
    with app.app_context(), unit_of_work():
        sent = list(db.session.scalars(sa.select(Submission).where(Submission.state == SubmissionState.ACCEPTED)))
        assert len(sent) >= 20
        for submission in sent:  # real tickets at the city, carrying the issue's words
            ticket = city.tickets[submission.service_request_id]
            assert submission.issue.title in ticket["description"]
        sent_ids = {s.issue_id for s in sent}
        unsent = list(db.session.scalars(sa.select(Issue).where(Issue.id.not_in(sent_ids))))
        kinds = {i.category.slug for i in unsent}
        assert {"trash-collection", "abandoned-vehicle"} <= kinds  # not taken by the city
        assert any(i.category.slug == "pothole" and i.status is IssueStatus.FIXED for i in unsent)  # dealt with

    work = work_through(city)
    assert work.fixed and work.in_progress and len(work.phoned_in) == 2
    result = runner.invoke(args=["open311", "sync", "--now"])
    assert result.exit_code == 0, result.output

    with app.app_context(), unit_of_work():
        by_number = {s.service_request_id: s for s in db.session.scalars(sa.select(Submission))}
        number = work.fixed[0]
        issue = by_number[number].issue
        assert issue.status is IssueStatus.FIXED and by_number[number].city_status == "closed"
        words = city.tickets[number]["status_notes"]
        said = db.session.scalar(sa.select(Comment).where(Comment.issue_id == issue.id, Comment.author_id.is_(None)))
        assert said is not None and said.official and words in said.body and f"311 #{number}" in said.body
        issue_id = issue.id
        scheduled = by_number[work.in_progress[0]].issue
        assert scheduled.status in (IssueStatus.ACKNOWLEDGED, IssueStatus.IN_PROGRESS)
    page = client.get(f"/issues/{issue_id}").get_data(as_text=True)
    assert f"311 ticket #{number}" in page and words in page

    again = work_through(city)  # the same tickets again: nothing new, no more phone calls
    assert not again.changed and again.phoned_in == work.phoned_in


def test_the_pretend_city_restarted_from_its_state_file_keeps_its_tickets(tmp_path):
    path = tmp_path / "instance" / "pretend-city.json"
    form = {
        "api_key": "sandbox-key",
        "service_code": "POTHOLE",
        "lat": "39.97",
        "long": "-75.13",
        "description": "Hole",
    }
    with SandboxCity(state_path=path) as city:
        number = httpx.post(city.base_url + "requests.json", data=form).json()[0]["service_request_id"]
        city.close(number, "Filled by the crew", status="FIXED")
    saved = json.loads(path.read_text())
    assert [t["service_request_id"] for t in saved["tickets"]] == [number]
    assert [p.name for p in path.parent.iterdir()] == ["pretend-city.json"]  # no temporary file left behind

    with SandboxCity(state_path=path) as city:
        record = httpx.get(f"{city.base_url}requests/{number}.json").json()[0]
        assert record["status"] == "closed" and record["status_notes"] == "Filled by the crew"
        updates = httpx.get(city.base_url + "servicerequestupdates.json").json()
        assert [(u["service_request_id"], u["status"]) for u in updates] == [(number, "FIXED")]
        second = httpx.post(city.base_url + "requests.json", data=form).json()[0]["service_request_id"]
        assert int(second) == int(number) + 1  # numbering goes on: no ticket number is given twice

    with SandboxCity() as city:  # without a state file the city starts empty
        assert city.tickets == {}


# --- the launcher ----------------------------------------------------------------------------------


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return False
    return True


def test_the_launcher_starts_the_city_beside_the_server_and_stops_it_with_ctrl_c(database_url, tmp_path):
    port = free_port()
    state = tmp_path / "pretend-city.json"
    marker = tmp_path / "server-started"
    server = f"import pathlib, time; pathlib.Path({str(marker)!r}).touch(); time.sleep(120)"
    env = dict(
        os.environ,
        CIVIC_DATABASE_URL=database_url,
        CIVIC_UPLOAD_DIR=str(tmp_path / "uploads"),
        CIVIC_SECRET_KEY="launcher-test",
        CIVIC_BACKGROUND_JOBS="false",
    )
    env.pop("CIVIC_OPEN311_URL", None)
    command = [sys.executable, "-m", "tools.demo_run", "--city-port", str(port), "--state", str(state)]
    launcher = subprocess.Popen(
        [*command, "--issues", "40", "--", sys.executable, "-c", server],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, like a terminal's foreground job
    )
    try:
        deadline = time.monotonic() + 90
        while not marker.exists() and launcher.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert marker.exists(), launcher.communicate(timeout=5)[0] if launcher.poll() is not None else "no server"
        assert _listening(port)
        services = httpx.get(f"http://127.0.0.1:{port}/open311/v2/services.json").json()
        assert len(services) == 4
        tickets = json.loads(state.read_text())["tickets"]
        assert tickets  # the seed sent issues to it
        os.killpg(launcher.pid, signal.SIGINT)  # Ctrl-C: the launcher and the server both get it
        output, _ = launcher.communicate(timeout=30)
    finally:
        if launcher.poll() is None:
            os.killpg(launcher.pid, signal.SIGKILL)
            launcher.wait()
    assert launcher.returncode == 0, output
    assert f"http://127.0.0.1:{port}/open311/v2/" in output
    assert "alex@demo.civic" in output and "Pretend city stopped." in output
    assert not _listening(port)


def test_the_launcher_goes_on_without_a_city_when_the_port_is_busy(tmp_path, capsys):
    from tools import demo_run

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        assert demo_run.start_city("127.0.0.1", busy.getsockname()[1], tmp_path / "state.json") is None
    assert "busy: going on without the pretend city" in capsys.readouterr().out


def test_the_launcher_leaves_a_city_configured_differently_alone(app):
    from civic.city311.environment import save_endpoint
    from tools import demo_run

    ours = "http://127.0.0.1:8311/open311/v2/"
    assert demo_run.other_city(app, ours) is None
    with app.app_context(), unit_of_work():
        save_endpoint("Sandbox", ours, active=True)  # ours from an earlier run: fine
    assert demo_run.other_city(app, ours) is None
    with app.app_context(), unit_of_work():
        save_endpoint("Philadelphia 311", "https://311.example.gov/open311/v2/", active=True)
    assert "Philadelphia 311" in demo_run.other_city(app, ours)
    app.config["OPEN311_URL"] = "https://311.example.gov/open311/v2/"
    assert "CIVIC_OPEN311_URL" in demo_run.other_city(app, ours)


@pytest.fixture(autouse=True)
def _no_state_in_the_repository():
    """The tests never write the pretend city's state into the repository's instance folder."""
    path = ROOT / "instance" / "pretend-city.json"
    existed = path.exists()
    yield
    assert path.exists() == existed
