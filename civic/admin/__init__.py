"""Administration: the user list, roles, verification of staff and liaisons, the service list, the city's
311 link (open311.py)."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from civic.admin import categories, departments, open311, views  # noqa: E402,F401 - after bp: the views register their routes on it
