"""City staff area: the department's home page (the triage queue and replies build on it)."""

from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")

from civic.staff import panels, views  # noqa: E402,F401
