"""axe-core on every page of the app, signed in as an admin (who sees them all), in English and Spanish."""

from __future__ import annotations

import pytest

from civic.database import unit_of_work

PAGES = [
    "/",
    "/issues",
    "/issues?sort=upvotes",
    "/issues/new",
    "/issues/{issue}",
    "/issues/{issue}/edit",
    "/issues/{issue}/summary",
    "/account",
    "/account/email",
    "/follows",
    "/near-me",
    "/notifications",
    "/admin/users",
    "/admin/users/{admin}",
    "/admin/categories",
    "/admin/categories/new",
    "/admin/departments",
    "/admin/departments/1",
    "/staff/",
    "/staff/templates",
    "/staff/templates/new",
    "/dashboard",
    "/dashboard/neighbourhoods",
    "/open-data",
    "/events/",
    "/events/?near=all",
    "/events/new",
    "/events/new?issue={issue}",
    "/events/{event}",
    "/events/{event}/edit",
    "/events/{event}/report",
    "/events/{event}/checkin/{code}",
    "/events/mine",
    "/moderation/",
    "/moderation/issue/{issue}",
    "/moderation/comment/{comment}",
    "/moderation/users/{admin}",
    "/moderation/log",
    "/moderation/mine/issue/{issue}",
    "/account/my-data",
    "/account/delete",
    "/privacy",
    "/account/api-tokens",
    "/no-such-page",
]
ANONYMOUS_PAGES = [
    "/privacy",
    "/login",
    "/register",
    "/register/sent",
    "/register/confirm/not-a-token",
    "/forgot-password",
    "/reset-password/not-a-token",
    "/issues",
    "/dashboard",
    "/dashboard/neighbourhoods?sort=-open",
    "/open-data",
]


@pytest.fixture
def admin_with_issue(live_server, make_live_user):
    from civic.accounts.models import User
    from civic.extensions import db
    from civic.issues import services
    from civic.issues.catalog import ensure_categories

    admin = make_live_user("admin", display_name="Ada Admin")
    flagger_id = make_live_user().id  # before the unit of work below: SQLite allows one writer at a time
    with live_server.app.test_request_context(), unit_of_work():
        categories = ensure_categories()
        user = db.session.get(User, admin.id)
        issue = services.report_issue(
            user, services.IssueDraft(categories["graffiti"].id, "Tagged wall", "On the corner.", 39.9731, -75.1322)
        )
        comment = services.add_comment(user, issue, "Still **there**, see https://example.org")
        from datetime import datetime, timedelta

        from civic.events import services as events

        starts = (datetime.now() + timedelta(days=4)).replace(hour=10, minute=0, second=0, microsecond=0)
        event = events.create_event(
            user,
            title="Wall scrub",
            description="Paint and brushes.",
            starts_local=starts,
            ends_local=starts + timedelta(hours=2),
            meeting_point="The tagged wall",
            lat=39.9731,
            lon=-75.1322,
            capacity=5,
            supplies_request="Ten scrapers and paint",
        )  # so staff see the answer form
        from civic.events.models import EventIssue

        db.session.add(EventIssue(event_id=event.id, issue_id=issue.id))
        code = events.sign_up(user, event.id).checkin_code
        # A flag, so the moderation queue has a row (the admin moderates; a resident flags).
        from civic.moderation import services as moderation
        from civic.moderation.models import ContentKind

        flagger = db.session.get(User, flagger_id)
        moderation.flag(flagger, ContentKind.COMMENT, comment.id, "spam", "Looks like an advert")
        return admin, issue.id, event.id, code, comment.id


@pytest.mark.parametrize("language", ["English", "Español"])
def test_every_signed_in_page_passes_axe(page, check_a11y, sign_in, admin_with_issue, language):
    admin, issue_id, event_id, code, comment_id = admin_with_issue
    sign_in(page, admin)
    if language == "Español":
        page.get_by_role("button", name="Español").click()
        page.wait_for_load_state()
    for path in PAGES:
        page.goto(path.format(issue=issue_id, admin=admin.id, event=event_id, code=code, comment=comment_id))
        check_a11y(page)


def test_every_anonymous_page_passes_axe(page, check_a11y):
    for path in ANONYMOUS_PAGES:
        page.goto(path)
        check_a11y(page)
