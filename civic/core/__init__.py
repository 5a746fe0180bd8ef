"""Site-wide pages: home, health check, language switcher."""

from flask import Blueprint

bp = Blueprint("core", __name__)

from civic.core import views  # noqa: E402,F401 - after bp: the views register their routes on it
