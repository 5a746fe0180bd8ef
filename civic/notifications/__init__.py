"""Following issues and areas, the notification centre, notification e-mail (immediate or digest),
one-click unsubscribe. Connects to the issue signals in handlers.py; producers never import it."""

from flask import Blueprint

bp = Blueprint("notifications", __name__)

from civic.notifications import email, handlers, panels, views  # noqa: E402,F401
