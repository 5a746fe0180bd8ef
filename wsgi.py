"""WSGI entry point: `flask --app wsgi run` in development, `gunicorn wsgi:app` in production.

Starts the background job (311 outbox and status sync, event reminders) when serving, unless
CIVIC_OPEN311_WORKER is false — deployments with several processes set that and run `flask open311 sync`
and `flask events remind` from cron instead.
"""
import os
import sys

from civic import create_app
from civic.extensions import socketio

app = create_app()


def _flask_command_other_than_run() -> bool:
    program = sys.argv[0] if sys.argv else ""
    is_flask_cli = os.path.basename(program) == "flask" or program.endswith(os.path.join("flask", "__main__.py"))
    return is_flask_cli and "run" not in sys.argv[1:]


if app.config.get("OPEN311_WORKER", True) and not _flask_command_other_than_run():
    from civic.events.reminders import send_due_reminders
    from civic.open311 import worker

    worker.start(app, also=[(900.0, send_due_reminders)])

if __name__ == "__main__":
    socketio.run(app, host="127.0.0.1", port=5000)
