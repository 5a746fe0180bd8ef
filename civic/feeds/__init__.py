"""Atom feeds: the history of one issue, and what is reported or changes in an area."""

from flask import Blueprint

bp = Blueprint("feeds", __name__)

from civic.feeds import views  # noqa: E402,F401 - after bp: the views register their routes on it
