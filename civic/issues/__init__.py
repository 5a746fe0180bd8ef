"""Issues: report, browse on a map and in a list, upvote, comment."""

from flask import Blueprint

bp = Blueprint("issues", __name__)

from civic.issues import photo_access, views_browse, views_map, views_participate, views_report  # noqa: E402,F401
