"""Site-wide pages: home, the place search, health check, language switcher."""

from flask import Blueprint

bp = Blueprint("core", __name__)

from civic.core import place_search, views  # noqa: E402,F401 - after bp: the views register their routes on it
