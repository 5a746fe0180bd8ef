"""Admin pages for the city's 311 link: each endpoint's health and the stuck outbox (retry, resend), adding
and editing endpoints, testing the connection, and mapping the city's services to our categories. The
work is city311's (civic/city311/admin_services.py, outbox.py); these views only show it."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from civic.accounts.decorators import admin_required
from civic.admin import bp
from civic.admin.open311_forms import EndpointForm, SelectionForm, mapping_form
from civic.city311 import admin_services, outbox
from civic.city311.models import Endpoint, SubmissionState
from civic.forms import ActionForm
from civic.web import require_action_form, submit_form

STUCK_ROWS = 200  # submissions listed on the overview


@bp.get("/311")
@admin_required
def open311():
    return render_template(
        "admin/311.html",
        rows=admin_services.endpoint_health(),
        stuck=admin_services.stuck_submissions(STUCK_ROWS),
        stuck_total=admin_services.count_stuck(),
        unmapped=admin_services.unmapped_categories(),
        states=SubmissionState,
        selection=SelectionForm(),
        confirm=ActionForm(),
    )


def _selected(form: SelectionForm) -> list[int] | None:
    """None for "all", else the ticked ids; a bad request (no token, bad ids) is refused."""
    if not form.validate_on_submit():
        abort(400)
    if form.scope.data == "all":
        return None
    return list(form.submission.data or [])


@bp.post("/311/retry")
@admin_required
def open311_retry():
    ids = _selected(SelectionForm())
    if ids == []:
        flash(_("Tick at least one submission first."), "error")
    else:
        count = outbox.retry_now(ids)
        flash(
            ngettext(
                "%(num)d waiting submission will be sent again now.",
                "%(num)d waiting submissions will be sent again now.",
                count,
            ),
            "success" if count else "info",
        )
    return redirect(url_for("admin.open311"))


@bp.post("/311/resend")
@admin_required
def open311_resend():
    ids = _selected(SelectionForm())
    if ids == []:
        flash(_("Tick at least one submission first."), "error")
    else:
        count = outbox.resend_failed(ids)
        flash(
            ngettext(
                "%(num)d refused submission is queued to be sent again.",
                "%(num)d refused submissions are queued to be sent again.",
                count,
            ),
            "success" if count else "info",
        )
    return redirect(url_for("admin.open311"))


@bp.route("/311/endpoints/new", methods=["GET", "POST"])
@bp.route("/311/endpoints/<int:endpoint_id>", methods=["GET", "POST"])
@admin_required
def open311_endpoint(endpoint_id: int | None = None):
    existing = admin_services.get_endpoint(endpoint_id) if endpoint_id is not None else None
    form = EndpointForm(obj=existing if request.method == "GET" else None)
    form.api_key.description = (
        _("A key is stored; it is never shown. Leave this blank to keep it.")
        if existing is not None and existing.api_key
        else _("Leave blank if the city needs no key.")
    )
    outcome = submit_form(
        form,
        lambda: admin_services.save_endpoint_settings(
            existing,
            name=form.name.data,
            base_url=form.base_url.data,
            api_key=form.api_key.data,  # blank keeps the stored key (the field never shows it)
            clear_api_key=form.clear_api_key.data,
            jurisdiction_id=form.jurisdiction_id.data,
            fmt=form.format.data,
            page_size=form.page_size.data,
            needs_address=form.needs_address.data,
            active=form.active.data,
        ),
    )
    if outcome.done:
        flash(_("Saved the endpoint “%(name)s”.", name=outcome.result.name), "success")
        return redirect(url_for("admin.open311_endpoint", endpoint_id=outcome.result.id))
    return (
        render_template("admin/311_endpoint.html", form=form, endpoint=existing, confirm=ActionForm()),
        outcome.status,
    )


@bp.post("/311/endpoints/<int:endpoint_id>/test")
@admin_required
def open311_test(endpoint_id: int):
    endpoint = admin_services.get_endpoint(endpoint_id)
    require_action_form()
    checks = admin_services.check_connection(endpoint)
    return render_template("admin/311_test.html", endpoint=endpoint, checks=checks, confirm=ActionForm())


def _services_page(endpoint: Endpoint, form, status: int = 200):
    services = admin_services.services_of(endpoint)
    categories = admin_services.all_categories()
    return (
        render_template(
            "admin/311_services.html",
            endpoint=endpoint,
            services=services,
            form=form,
            suggested=admin_services.suggestions(services, categories),
            unmapped=admin_services.unmapped_categories(endpoint),
            confirm=ActionForm(),
        ),
        status,
    )


@bp.route("/311/endpoints/<int:endpoint_id>/services", methods=["GET", "POST"])
@admin_required
def open311_services(endpoint_id: int):
    endpoint = admin_services.get_endpoint(endpoint_id)
    services = admin_services.services_of(endpoint)
    form = mapping_form(services, admin_services.all_categories())

    def save():
        mapping = {}
        for service in services:
            value = getattr(form, f"service_{service.id}").data
            mapping[service.id] = int(value) if value else None
        return admin_services.set_mappings(endpoint, mapping)

    outcome = submit_form(form, save)
    if outcome.done:
        changed = outcome.result
        flash(ngettext("Saved: %(num)d service changed.", "Saved: %(num)d services changed.", changed), "success")
        return redirect(url_for("admin.open311_services", endpoint_id=endpoint.id))
    return _services_page(endpoint, form, outcome.status)


@bp.post("/311/endpoints/<int:endpoint_id>/services/refresh")
@admin_required
def open311_refresh(endpoint_id: int):
    endpoint = admin_services.get_endpoint(endpoint_id)
    require_action_form()
    services, error = admin_services.refresh_services(endpoint)
    if error:
        flash(_("The service list could not be fetched: %(error)s", error=error), "error")
    else:
        flash(ngettext("The city lists %(num)d service.", "The city lists %(num)d services.", len(services)), "success")
    return redirect(url_for("admin.open311_services", endpoint_id=endpoint.id))
