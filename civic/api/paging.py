"""Pagination for API lists: ?page= (from 1) and ?per_page= (1-100), answered as
{"items", "page", "per_page", "total", "pages"}."""

from __future__ import annotations

from collections.abc import Callable

from flask import request
from flask_babel import gettext as _
from sqlalchemy import Select

from civic.errors import ValidationError
from civic.extensions import db

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100


def _whole(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ValidationError(
            _("%(name)s must be a whole number from %(low)d to %(high)d.", name=name, low=low, high=high), field=name
        )
    return int(raw)


def paginated(stmt: Select, page_to_json: Callable[[list], list]) -> dict:
    """`page_to_json` turns the page's rows into JSON all at once, so it can load what they share in one go."""
    page = _whole("page", 1, 1, 100_000)
    per_page = _whole("per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
    result = db.paginate(stmt, page=page, per_page=per_page, error_out=False)
    return {
        "items": page_to_json(list(result.items)),
        "page": page,
        "per_page": per_page,
        "total": result.total,
        "pages": result.pages,
    }
