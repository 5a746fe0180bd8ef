"""A Spanish-speaking resident walks through her issue's history on a phone (issue 17): the city's 311 note,
the department's reply and the status changes read in Spanish, her own "it is not fixed" reopens the issue in
Spanish words, and the same history reads in English once she switches language — one stored code, two
languages. Screenshots go to $CIVIC_SCREENSHOTS (default: the test's tmp dir)."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import expect

from civic.database import unit_of_work
from tests.browser.conftest import submit

PIN = (39.9668, -75.1411)  # away from other browser tests' pins


def _issue_the_city_answered(live_server, reporter, staff) -> int:
    """Rosa's pothole: sent to the pretend city over HTTP, the city's note synced back, Dana's reply, fixed."""
    from sqlalchemy import select

    from civic.accounts.models import Department, User
    from civic.city311 import sending, sync
    from civic.city311.models import Endpoint, Submission
    from civic.city311.services_list import refresh
    from civic.database import utcnow
    from civic.extensions import db
    from civic.issues.catalog import ensure_categories
    from civic.issues.models import Issue, IssueStatus
    from civic.issues.services import IssueDraft, report_issue
    from civic.staff import replies, workflow
    from tools.pretend_city import SandboxCity

    app = live_server.app
    with SandboxCity() as city:
        with app.test_request_context(), unit_of_work():
            pothole = ensure_categories()["pothole"]
            endpoint = Endpoint(name="Sandbox (Spanish walk)", base_url=city.base_url, api_key="sandbox-key")
            db.session.add(endpoint)
            db.session.flush()
            refresh(endpoint)
            streets = db.session.scalar(select(Department).where(Department.slug == "streets"))
            worker = db.session.get_one(User, staff.id)
            worker.department, worker.verified_at = streets, utcnow()
            issue = report_issue(
                db.session.get_one(User, reporter.id),
                IssueDraft(pothole.id, "Bache frente a la biblioteca", "Muy hondo.", PIN[0], PIN[1]),
            )
            issue_id, endpoint_id = issue.id, endpoint.id
        with app.test_request_context():
            sending.process_due()
        with app.app_context():
            ticket = db.session.scalar(select(Submission.service_request_id).where(Submission.issue_id == issue_id))
        city.update(ticket, "IN_PROGRESS", "Crew scheduled for Tuesday")
        with app.test_request_context(), unit_of_work():
            sync.sync_all()
        with app.test_request_context(), unit_of_work():
            # Later browser tests must not talk to a city that is gone.
            db.session.get_one(Endpoint, endpoint_id).active = False
            issue = db.session.get_one(Issue, issue_id)
            worker = db.session.get_one(User, staff.id)
            replies.post_official_reply(worker, issue, "Lo arreglamos esta semana.")
            workflow.change_status(worker, issue, IssueStatus.FIXED, "Bache rellenado.")
    return issue_id


def test_a_spanish_walk_through_an_issues_history(
    chromium, base_url, live_server, make_live_user, check_a11y, tmp_path
):
    shots = Path(os.environ.get("CIVIC_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    reporter = make_live_user(display_name="Rosa", locale="es")
    staff = make_live_user("staff", display_name="Dana Calles")
    issue_id = _issue_the_city_answered(live_server, reporter, staff)

    context = chromium.new_context(base_url=base_url, viewport={"width": 390, "height": 844}, locale="es-ES")
    page = context.new_page()
    try:
        page.goto("/login")
        page.get_by_label("Correo electrónico").fill(reporter.email)
        page.get_by_label("Contraseña", exact=True).fill(reporter.password)
        submit(page, page.locator("main").get_by_role("button", name="Iniciar sesión"))
        expect(page.get_by_text("Iniciaste sesión.")).to_be_visible()

        page.goto(f"/issues/{issue_id}")
        thread = page.locator("main")
        expect(thread.get_by_text("Departamento de Calles").first).to_be_visible()
        expect(thread.get_by_text("(311 n.º ")).to_be_visible()  # the city's words, framed in Spanish
        expect(thread.get_by_text("Crew scheduled for Tuesday").first).to_be_visible()
        history = page.locator("ol.history")
        expect(history).to_contain_text("En curso → Arreglado")
        expect(history).to_contain_text("Bache rellenado.")
        check_a11y(page)
        page.screenshot(path=str(shots / "spanish-history-fixed.png"), full_page=True)

        # "It is not fixed": the reopening is civic's own words, in hers.
        question = page.locator("#is-it-fixed")
        question.get_by_label("No, no está arreglado: reabrirlo").check()
        question.get_by_role("textbox").fill("Sigue ahí, más hondo.")
        submit(page, question.get_by_role("button", name="Enviar mi respuesta"))
        expect(page.locator("ol.history")).to_contain_text("Reabierto por un vecino: Sigue ahí, más hondo.")
        expect(page.locator("main")).not_to_contain_text("Reopened by a resident")
        page.screenshot(path=str(shots / "spanish-history-reopened.png"), full_page=True)

        page.goto("/notifications")
        expect(page.locator("main")).to_contain_text(
            "Departamento de Calles respondió en «Bache frente a la biblioteca»"
        )
        expect(page.locator("main")).not_to_contain_text("Streets Department")
        check_a11y(page)

        page.goto(f"/issues/{issue_id}/summary")
        expect(page.locator("main")).to_contain_text("Reabierto por un vecino")
        expect(page.locator("main")).to_contain_text("Departamento de Calles")

        # One stored history, two languages.
        page.goto(f"/issues/{issue_id}")
        submit(page, page.get_by_role("button", name="English"))
        expect(page.locator("ol.history")).to_contain_text("Reopened by a resident: Sigue ahí, más hondo.")
        expect(page.locator("main")).to_contain_text("Streets Department")
        page.screenshot(path=str(shots / "english-history.png"), full_page=True)
    finally:
        context.close()
