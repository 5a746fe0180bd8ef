"""Media: uploaded photos checked and cleaned (images), kept on disk (storage), served at /media/<key> (views).
Media knows storage keys only; a domain that hides photos tells it which keys to withhold (views.withhold_when)."""

from flask import Blueprint

bp = Blueprint("media", __name__, url_prefix="/media")

from civic.media import views  # noqa: E402,F401 - after bp: the views register their routes on it
