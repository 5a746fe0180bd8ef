"""The public service-level dashboard (/dashboard), its equity view by neighbourhood and the open-data exports."""

from flask import Blueprint

bp = Blueprint("dashboard", __name__)

from civic.dashboard import views  # noqa: E402,F401 - after bp: the views register their routes on it
