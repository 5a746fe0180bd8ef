"""WSGI entry point, served by gunicorn: `make run` with deploy/run.conf.py (one process), production with
deploy/gunicorn.conf.py (one per port). Flask's development server (`flask --app wsgi run`) only under `make dev`.

Starts the background jobs (311 outbox and status sync, event reminders, daily digests; civic/jobs.py) on a
thread of every serving process: each job runs once per period across all processes. CIVIC_BACKGROUND_JOBS=false
turns the thread off, for a deployment that runs `flask jobs run` as its single scheduler instead.
"""

import os
import sys

from civic import create_app
from civic.extensions import socketio

app = create_app()


def _flask_command_other_than_run() -> bool:
    """`flask db upgrade`, `flask jobs run --once` …: commands that must not start the jobs thread."""
    program = sys.argv[0] if sys.argv else ""
    is_flask_cli = os.path.basename(program) == "flask" or program.endswith(os.path.join("flask", "__main__.py"))
    return is_flask_cli and _flask_command(sys.argv[1:]) != "run"


def _flask_command(args: list[str]) -> str | None:
    """The command word of a flask command line: the first argument that is neither an option nor its value."""
    options_with_values = {"--app", "-A", "--env-file", "-e"}
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in options_with_values:
            skip = True
        elif not arg.startswith("-"):
            return arg
    return None


if app.config.get("BACKGROUND_JOBS", True) and not _flask_command_other_than_run():
    from civic import jobs

    jobs.start(app)

if __name__ == "__main__":
    socketio.run(app, host="127.0.0.1", port=5000)
