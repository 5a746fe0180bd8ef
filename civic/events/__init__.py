"""Clean-up events: organise, sign up (capacity and waiting list), iCalendar, check-in, report."""

from flask import Blueprint

bp = Blueprint("events", __name__, url_prefix="/events")

from civic.events import notices, panels, times, views, views_organise  # noqa: E402,F401
