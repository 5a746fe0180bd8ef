"""The staff update form publishes the right official reply (issue 17): the reply template is suggested only
when the status changes, never on page load; it replaces only an empty box or the text it put there itself;
the selector shows the issue's current status. The department has an "acknowledged" and a "fixed" template,
so a reply for the wrong status would show."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from civic.database import unit_of_work
from tests.browser.conftest import submit

# Away from the other browser tests' pins, so their "Already reported?" radius never sees this issue.
PIN = (39.9655, -75.1365)
ACK_BODY = "Thanks: our crew will inspect it within 3 working days (test)."
FIXED_BODY = "Our crew filled this pothole (test)."


def _pothole_with_templates(live_server, staff, reporter, tag: str) -> int:
    """A streets-department staff member, an open pothole report, and an acknowledged and a fixed template."""
    from sqlalchemy import select

    from civic.accounts.models import Department, User
    from civic.database import utcnow
    from civic.extensions import db
    from civic.issues.catalog import ensure_categories
    from civic.issues.models import IssueStatus
    from civic.issues.services import IssueDraft, report_issue
    from civic.staff.models import ResponseTemplate

    _without_other_fixed_templates(live_server)  # the live database is shared: another test's Fixed template
    with live_server.app.test_request_context(), unit_of_work():
        pothole = ensure_categories()["pothole"]
        streets = db.session.scalar(select(Department).where(Department.slug == "streets"))
        user = db.session.get(User, staff.id)
        user.department, user.verified_at = streets, utcnow()
        issue = report_issue(
            db.session.get(User, reporter.id),
            IssueDraft(
                category_id=pothole.id,
                title=f"Pothole by the library {tag}",
                description="A deep one.",
                lat=PIN[0],
                lon=PIN[1],
            ),
        )
        for status, body in ((IssueStatus.ACKNOWLEDGED, ACK_BODY), (IssueStatus.FIXED, FIXED_BODY)):
            db.session.add(
                ResponseTemplate(
                    department_id=streets.id,
                    category_id=pothole.id,
                    status=status,
                    title=f"{status.value} {tag}",
                    body=body,
                )
            )
        db.session.commit()
        return issue.id


def _official_bodies(live_server, issue_id: int) -> list[str]:
    from sqlalchemy import select

    from civic.extensions import db
    from civic.issues.models import Comment

    with live_server.app.app_context(), unit_of_work():
        return list(
            db.session.scalars(select(Comment.body).where(Comment.issue_id == issue_id, Comment.official.is_(True)))
        )


def _open_status_form(page, issue_id: int):
    page.goto(f"/issues/{issue_id}")
    form = page.locator("section#staff-panel form[data-status-form]")
    expect(form).to_be_visible()
    return form


def test_choosing_fixed_publishes_the_fixed_template_never_the_acknowledged_one(
    page, sign_in, make_live_user, live_server, check_a11y
):
    staff = make_live_user("staff", display_name="Dana Streets")
    issue_id = _pothole_with_templates(live_server, staff, make_live_user(), uuid.uuid4().hex[:6])
    sign_in(page, staff)
    form = _open_status_form(page, issue_id)
    status = form.get_by_label("New status")
    reply = form.get_by_label("Official reply", exact=True)
    also = form.get_by_label("Also post the reply below as the official response")

    # On load: the current status, nothing suggested, nothing ticked.
    expect(status).to_have_value("open")
    expect(reply).to_have_value("")
    expect(also).not_to_be_checked()
    check_a11y(page)
    # The update form comes before the photos and the status history.
    assert page.evaluate(
        "() => Boolean(document.querySelector('#staff-panel').compareDocumentPosition("
        "document.querySelector('#history-heading')) & Node.DOCUMENT_POSITION_FOLLOWING)"
    )

    status.select_option(label="Acknowledged")
    expect(reply).to_have_value(ACK_BODY)
    expect(also).to_be_checked()
    status.select_option(label="Fixed")  # the text it inserted itself gives way to the new status's template
    expect(reply).to_have_value(FIXED_BODY)
    expect(also).to_be_checked()
    expect(form.locator("[data-reply-preview]")).to_have_text(f"Will be posted as the official reply: {FIXED_BODY}")
    expect(page.get_by_role("textbox", name="Official reply", exact=True)).to_have_count(1)  # one box, not two
    form.get_by_label("Reason (public, shown in the status history)").fill("Filled on Monday")
    submit(page, form.get_by_role("button", name="Publish the update"))

    expect(page.locator(".flash--success")).to_have_text("The status is changed.")
    expect(page.locator(".issue__meta .status")).to_have_text("Fixed")
    expect(page.locator("section#official-response")).to_contain_text(FIXED_BODY)
    assert _official_bodies(live_server, issue_id) == [FIXED_BODY]
    # ...and the selector now shows the status the issue has.
    expect(page.locator("section#staff-panel form[data-status-form]").get_by_label("New status")).to_have_value("fixed")


def test_own_text_survives_a_status_change_and_is_what_is_published(page, sign_in, make_live_user, live_server):
    staff = make_live_user("staff", display_name="Dana Streets")
    issue_id = _pothole_with_templates(live_server, staff, make_live_user(), uuid.uuid4().hex[:6])
    sign_in(page, staff)
    form = _open_status_form(page, issue_id)
    reply = form.get_by_label("Official reply", exact=True)
    also = form.get_by_label("Also post the reply below as the official response")

    own = "We filled it this morning; thanks for the photo."
    reply.fill(own)
    also.check()
    form.get_by_label("New status").select_option(label="Fixed")
    expect(reply).to_have_value(own)
    form.get_by_label("Reason (public, shown in the status history)").fill("Filled")
    submit(page, form.get_by_role("button", name="Publish the update"))

    expect(page).to_have_url(re.compile(rf"/issues/{issue_id}"))
    expect(page.locator(".issue__meta .status")).to_have_text("Fixed")
    assert _official_bodies(live_server, issue_id) == [own]


def test_a_suggestion_taken_back_unticks_also_post(page, sign_in, make_live_user, live_server):
    staff = make_live_user("staff", display_name="Dana Streets")
    issue_id = _pothole_with_templates(live_server, staff, make_live_user(), uuid.uuid4().hex[:6])
    sign_in(page, staff)
    form = _open_status_form(page, issue_id)
    reply = form.get_by_label("Official reply", exact=True)
    also = form.get_by_label("Also post the reply below as the official response")

    form.get_by_label("New status").select_option(label="Fixed")
    expect(reply).to_have_value(FIXED_BODY)
    expect(also).to_be_checked()
    form.get_by_label("New status").select_option(label="In progress")  # no template for "in progress"
    expect(reply).to_have_value("")
    expect(also).not_to_be_checked()
    expect(form.locator("[data-reply-preview]")).to_have_text("No official reply will be posted.")


FIXED_BODY_ES = "Nuestro equipo ha rellenado este bache (prueba)."


def _without_other_fixed_templates(live_server) -> None:
    """Remove Fixed templates other tests left in the shared live database, so the one suggested is this test's."""
    from sqlalchemy import delete

    from civic.extensions import db
    from civic.issues.models import IssueStatus
    from civic.staff.models import ResponseTemplate

    with live_server.app.app_context(), unit_of_work():
        db.session.execute(delete(ResponseTemplate).where(ResponseTemplate.status == IssueStatus.FIXED))
        db.session.commit()


def test_a_template_reply_published_in_english_reaches_a_spanish_reader_in_spanish(
    page, chromium, base_url, sign_in, make_live_user, live_server, check_a11y
):
    """Staff (English interface) give the Fixed template its Spanish version in the editor, publish Fixed with
    it, and a reader whose browser asks for Spanish gets the Spanish text."""
    tag = uuid.uuid4().hex[:6]
    staff = make_live_user("staff", display_name="Dana Streets")
    issue_id = _pothole_with_templates(live_server, staff, make_live_user(), tag)
    sign_in(page, staff)

    page.goto("/staff/templates")
    check_a11y(page)
    expect(page.get_by_role("listitem").filter(has_text=f"fixed {tag}")).to_contain_text("No Spanish version yet")
    page.get_by_role("link", name=f"fixed {tag}").click()
    page.get_by_label("Title in Spanish (optional)").fill(f"Bache reparado {tag}")
    page.get_by_label("Text in Spanish (optional)").fill(FIXED_BODY_ES)
    submit(page, page.get_by_role("button", name="Save"))
    expect(page.locator(".flash--success")).to_have_text("The template is saved.")
    page.get_by_role("link", name=f"fixed {tag}").click()
    history = page.get_by_role("region", name="History of this template")
    expect(history).to_contain_text("Before Dana Streets changed it on")
    expect(history).to_contain_text(FIXED_BODY)  # what it said: English only, as yet
    check_a11y(page)  # the template editor, with its history

    form = _open_status_form(page, issue_id)
    form.get_by_label("New status").select_option(label="Fixed")
    reply = form.get_by_label("Official reply", exact=True)
    expect(reply).to_have_value(FIXED_BODY)  # the staff member's language
    expect(form.locator("[data-reply-preview]")).to_have_text(f"Will be posted as the official reply: {FIXED_BODY}")
    form.get_by_label("Reason (public, shown in the status history)").fill("Filled on Monday")
    submit(page, form.get_by_role("button", name="Publish the update"))
    expect(page.locator("section#official-response")).to_contain_text(FIXED_BODY)
    assert _official_bodies(live_server, issue_id) == [FIXED_BODY]

    spanish = chromium.new_context(base_url=base_url, locale="es-ES")
    try:
        reader = spanish.new_page()
        reader.goto(f"/issues/{issue_id}")
        expect(reader.locator("html")).to_have_attribute("lang", "es")
        expect(reader.locator("section#official-response")).to_contain_text(FIXED_BODY_ES)
        expect(reader.locator("section#official-response")).not_to_contain_text(FIXED_BODY)
        check_a11y(reader)
    finally:
        spanish.close()
