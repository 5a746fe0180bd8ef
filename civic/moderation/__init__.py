"""Moderation: flags from residents, content hidden after enough flags or by a moderator, the review queue,
edits with reasons, photo redaction, purges, account suspension, and the audit log admins read."""

from flask import Blueprint

bp = Blueprint("moderation", __name__, url_prefix="/moderation")

from civic.moderation import views  # noqa: E402,F401 - after bp: the views register their routes on it
