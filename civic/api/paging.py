"""Pagination for API lists: ?page= (from 1) and ?per_page= (1-100), read through schemas.PageQuery and
answered as {"items", "page", "per_page", "total", "pages"}."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Select

from civic.api.schemas import PageQuery
from civic.api.validation import query_of
from civic.extensions import db


def paginated(stmt: Select, page_to_json: Callable[[list], list]) -> dict:
    """`page_to_json` turns the page's rows into JSON all at once, so it can load what they share in one go."""
    wanted = query_of(PageQuery)
    result = db.paginate(stmt, page=wanted.page, per_page=wanted.per_page, error_out=False)
    return {
        "items": page_to_json(list(result.items)),
        "page": wanted.page,
        "per_page": wanted.per_page,
        "total": result.total,
        "pages": result.pages,
    }
