"""Signal receivers: a new community issue goes to the city's 311 system when its category is mapped."""
from __future__ import annotations

from flask import g, has_app_context
from flask_babel import gettext as _
from sqlalchemy import select

from civic import signals
from civic.extensions import db
from civic.open311 import outbox
from civic.errors import ValidationError
from civic.open311.models import ApiKey
from civic.open311.services_list import required_attributes


@signals.issue_reported.connect
def _file_with_the_city(app, issue, **_extra) -> None:
    # Requests that arrived through civic's own GeoReport endpoint came from another 311 app (perhaps the
    # city's own): filing them back would make a second ticket.
    from_api = db.session.scalar(select(ApiKey.id).where(ApiKey.user_id == issue.reporter_id).limit(1))
    if from_api is None and outbox.route_for(issue) is not None:
        extras = getattr(g, "report_extras", {}) if has_app_context() else {}
        outbox.queue(issue, issue.reporter, attributes=extras.get("open311_attributes"))  # sent by the background job; contact details never without consent


@signals.report_submitted.connect
def _city_attributes(app, category_id, data, **_extra) -> dict:
    """The city's attributes for the category's service: required ones must be given, lists must match."""
    values = {}
    for attribute in required_attributes(category_id or 0):
        code = str(attribute.get("code", ""))
        name = str(attribute.get("description") or code)
        key = f"attribute[{code}]"
        given = data.getlist(key) if attribute.get("datatype") == "multivaluelist" else data.get(key, "").strip()
        if not given:
            if str(attribute.get("required", "false")).lower() == "true":
                raise ValidationError(_("The city needs this detail: %(name)s.", name=name), field=None)
            continue
        allowed = {str(v.get("key")) for v in attribute.get("values") or [] if isinstance(v, dict)}
        chosen = given if isinstance(given, list) else [given]
        if allowed and any(v not in allowed for v in chosen):
            raise ValidationError(_("Choose %(name)s from the list.", name=name), field=None)
        values[code] = given
    return {"open311_attributes": values}
