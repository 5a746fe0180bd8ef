"""The JSON API under /api/v1. Errors under /api/ are JSON bodies: {"error": {"code", "message"}}; a 429 adds
"retry_after" (seconds, as in the Retry-After header)."""

from flask import Blueprint

from civic.ratelimits import limit_blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# Every route, present and future: reads and writes each have a budget (per user, else per address).
# Routes may add their own on top (the upvote also spends UPVOTE_RATE_LIMIT, shared with the site's button).
limit_blueprint(bp, "API_READ_RATE_LIMIT", reads=True)
limit_blueprint(bp, "API_WRITE_RATE_LIMIT")

from civic.api import auth, events, issues, notifications, participation, revocation, views  # noqa: E402,F401
