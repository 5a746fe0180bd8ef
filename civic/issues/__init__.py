"""Issues: report, browse on a map and in a list, upvote, comment."""
from flask import Blueprint

bp = Blueprint("issues", __name__)

from civic.issues import views_browse, views_participate, views_report  # noqa: E402,F401
