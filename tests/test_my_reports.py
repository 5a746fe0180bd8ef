""" "My reports" (`/issues?mine=1`) and a liaison's "Reports I filed for others" (`mine=others`): only the
viewer's own reports, every status, those hidden by the moderators too; signed-out readers are sent to sign in."""

from __future__ import annotations

import re

import pytest

from civic.database import unit_of_work
from civic.extensions import db

TITLE = re.compile(r'id="issue-\d+-title"><a href="[^"]+">([^<]+)</a>')


def titles(client, **args) -> list[str]:
    response = client.get("/issues", query_string=args)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return sorted(TITLE.findall(response.get_data(as_text=True)))


def hide(app, moderator, issue_id: int) -> None:
    from civic.accounts.models import User
    from civic.moderation import services as moderation
    from civic.moderation.models import ContentKind

    with app.test_request_context(), unit_of_work():
        moderation.hide(db.session.get(User, moderator.id), ContentKind.ISSUE, issue_id, "Under review")


def test_my_reports_lists_only_mine_in_every_status_hidden_ones_too(app, client, auth, make_user, make_issue):
    me, neighbour = make_user(), make_user()
    make_issue(me, title="My pothole")
    make_issue(me, title="My fixed light", status="fixed")
    hidden = make_issue(me, title="My flagged report")
    make_issue(neighbour, title="Their graffiti", category="graffiti")
    hide(app, make_user("moderator"), hidden)

    auth.login_as(me)
    page = client.get("/issues?mine=1").get_data(as_text=True)
    assert sorted(TITLE.findall(page)) == ["My fixed light", "My flagged report", "My pothole"]
    assert "<h1>My reports</h1>" in page and "3 issues match" in page
    assert "Hidden while the moderators review it" in page
    assert titles(client, mine=1, status="fixed") == ["My fixed light"]  # the other filters still apply
    assert titles(client, mine=1, q="pothole") == ["My pothole"]
    # Everyone's list still leaves out what the moderators hid.
    assert titles(client) == ["My fixed light", "My pothole", "Their graffiti"]

    auth.logout()
    auth.login_as(neighbour)
    assert titles(client, mine=1) == ["Their graffiti"]


def test_signed_out_readers_are_sent_to_sign_in(client, make_issue):
    make_issue(title="Someone's pothole")
    response = client.get("/issues?mine=1")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    assert "mine%3D1" in response.headers["Location"] or "mine=1" in response.headers["Location"]
    assert "My reports" not in client.get("/issues").get_data(as_text=True)  # no link to it either


def test_the_query_itself_refuses_a_signed_out_viewer(app):
    from civic.accounts.models import Anonymous
    from civic.errors import PermissionDenied
    from civic.issues.queries import IssueFilters, list_query

    with app.test_request_context(), pytest.raises(PermissionDenied):
        list_query(IssueFilters(mine="1"), viewer=Anonymous())


def test_reachable_from_the_menu_and_the_list(client, auth, make_user):
    resident = make_user()
    auth.login_as(resident)
    home = client.get("/issues").get_data(as_text=True)
    assert '<a href="/issues?mine=1">My reports</a>' in home
    assert "Reports I filed for others" not in home  # residents file for themselves only


def test_a_liaisons_reports_for_others_are_listed_apart(app, client, auth, make_user, make_issue):
    liaison = make_user("liaison")
    make_issue(liaison, title="For Mrs Rivera", on_behalf_name="Ana Rivera", on_behalf_contact="215-555-0100")
    make_issue(liaison, title="For Mr Chen", on_behalf_name="Li Chen")
    make_issue(liaison, title="My own pothole")
    other = make_user("liaison")
    make_issue(other, title="Another liaison's report", on_behalf_name="Someone Else")

    auth.login_as(liaison)
    page = client.get("/issues?mine=others").get_data(as_text=True)
    assert sorted(TITLE.findall(page)) == ["For Mr Chen", "For Mrs Rivera"]
    assert "<h1>Reports I filed for others</h1>" in page
    assert 'href="/issues?mine=others"' in client.get("/issues").get_data(as_text=True)
    assert titles(client, mine=1) == ["My own pothole"]
    # The filter form keeps the scope when other filters are applied.
    assert '<input type="hidden" name="mine" value="others">' in page


def test_an_unknown_scope_is_a_clear_400(client, auth, make_user):
    auth.login_as(make_user())
    response = client.get("/issues?mine=everyone")
    assert response.status_code == 400 and "mine must be 1 or others" in response.get_data(as_text=True)


def test_the_map_api_never_answers_per_person(client, auth, make_user, make_issue):
    """The bbox API's answers are cached for everyone: `mine` means nothing there."""
    me = make_user()
    make_issue(me, title="Mine")
    make_issue(title="Not mine")
    auth.login_as(me)
    data = client.get("/api/v1/issues?bbox=-75.14,39.965,-75.125,39.98&zoom=17&mine=1").get_json()
    assert data["total"] == 2
