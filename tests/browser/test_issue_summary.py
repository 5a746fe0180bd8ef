"""The printable progress summary, in the browser: a liaison finds it from "Reports I filed for others",
axe-core passes it, the Print button opens the print dialogue, and printed it shows the summary only."""

from __future__ import annotations

import uuid

from playwright.sync_api import expect

from civic.database import unit_of_work
from tests.browser.conftest import report_issue_as, submit

SUMMARY_AT = (39.9871, -75.1490)  # a pin of our own: the live database is shared


def test_a_liaison_prints_the_summary_of_a_report_filed_for_someone(
    live_server, page, make_live_user, sign_in, check_a11y
):
    from civic.extensions import db
    from civic.issues.models import Issue

    liaison = make_live_user("liaison", display_name="Lia Liaison")
    title = f"Broken bench {uuid.uuid4().hex[:6]}"
    issue_id = report_issue_as(live_server, liaison, "pothole", title, SUMMARY_AT)
    with live_server.app.app_context(), unit_of_work():
        db.session.get(Issue, issue_id).on_behalf_name = "Rosa Alvarez"

    sign_in(page, liaison)
    page.goto("/issues?mine=others")
    card = page.locator("article.issue-card", has_text=title)
    expect(card).to_contain_text("For Rosa Alvarez (private)")
    submit(page, card.get_by_role("link", name="Printable summary"))
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    check_a11y(page)

    page.evaluate("window.print = function () { window.printed = true; }")  # headless Chromium has no dialogue
    page.get_by_role("button", name="Print").click()
    assert page.evaluate("window.printed === true")

    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.get_by_role("button", name="Print")).to_be_hidden()
    expect(page.get_by_role("heading", name="Status now")).to_be_visible()
