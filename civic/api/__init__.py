"""The JSON API under /api/v1. Errors under /api/ are JSON bodies: {"error": {"code", "message"}}."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from civic.api import issues, views  # noqa: E402,F401
