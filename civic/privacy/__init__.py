"""Privacy: the privacy page, "download my data" and "delete my account"."""

from flask import Blueprint

bp = Blueprint("privacy", __name__)

from civic.privacy import views  # noqa: E402,F401 - after bp: the views register their routes on it
