"""Signal receivers: a new community issue goes to the city's 311 system when its category is mapped."""

from __future__ import annotations

from flask_babel import gettext as _

from civic import signals
from civic.city311 import outbox
from civic.city311.services_list import required_attributes
from civic.errors import ValidationError


@signals.issue_reported.connect
def _file_with_the_city(app, issue, extras=None, origin="web", **_extra) -> None:
    # Requests that arrived through civic's own GeoReport endpoint came from another 311 app (perhaps the
    # city's own): filing them back would make a second ticket.
    if origin != "georeport" and outbox.route_for(issue) is not None:
        # Sent by the background job; contact details never without consent.
        outbox.queue(issue, issue.reporter, attributes=(extras or {}).get("open311_attributes"))


@signals.validate_report.connect
def _city_attributes(app, category, draft, **_extra) -> dict:
    """The city's attributes for the category's service: required ones must be given, lists must match.
    One rule for every channel: the form, the JSON API and civic's own GeoReport POST."""
    values = {}
    for attribute in required_attributes(category.id):
        code = str(attribute.get("code", ""))
        name = str(attribute.get("description") or code)
        key = f"attribute[{code}]"
        submitted = [
            v.strip()
            for v in draft.extra_fields.get(key, []) + draft.extra_fields.get(f"{key}[]", [])
            if isinstance(v, str) and v.strip()
        ]
        given = submitted if attribute.get("datatype") == "multivaluelist" else (submitted[0] if submitted else "")
        if not given:
            if str(attribute.get("required", "false")).lower() == "true":
                raise ValidationError(_("The city needs this detail: %(name)s.", name=name), field=key)
            continue
        allowed = {str(v.get("key")) for v in attribute.get("values") or [] if isinstance(v, dict)}
        chosen = given if isinstance(given, list) else [given]
        if allowed and any(v not in allowed for v in chosen):
            raise ValidationError(_("Choose %(name)s from the list.", name=name), field=key)
        values[code] = given
    return {"open311_attributes": values}
