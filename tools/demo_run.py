"""`make run`'s launcher: the demo with a connected pretend city beside the app, stopped with it.

    python -m tools.demo_run [--city-port 8311] [--issues 300] [--no-city] -- SERVER COMMAND...

After `flask db upgrade` (the Makefile's), it
1. starts the pretend city (tools/pretend_city) on 127.0.0.1 in this process, its tickets kept in
   instance/pretend-city.json (`--state`), and saves it as civic's 311 endpoint "Sandbox" (connect.py) —
   unless civic is already set up for another city (CIVIC_OPEN311_URL, or another active endpoint), or the
   port is taken (then it says so and goes on without a city);
2. runs `flask demo seed --if-empty --issues N`: on an empty database civic's own outbox sends the demo's
   open issues to the city over HTTP;
3. lets the city's staff work through new tickets (staff.py) and runs civic's sync, which brings their
   statuses and notes back into the issues' threads;
4. prints the sign-ins and the city's address, runs SERVER COMMAND (whichever server serves the app) and
   waits; when it ends, on Ctrl-C or SIGTERM, the server is stopped, then the city.

Only `make run` uses this: civic itself never starts a pretend city, and a real deployment has no launcher.
"""

from __future__ import annotations

import argparse
import errno
import os
import signal
import subprocess
import sys
from pathlib import Path

from tools.pretend_city import SandboxCity
from tools.pretend_city.connect import ENDPOINT_NAME, connect
from tools.pretend_city.staff import work_through

ROOT = Path(__file__).resolve().parent.parent
FLASK = [sys.executable, "-m", "flask", "--app", "wsgi"]
STOP_GRACE_SECONDS = 5


class _Stop(Exception):
    """SIGTERM: stop the server and the city, as Ctrl-C does."""


def say(text: str) -> None:
    print(f"[demo] {text}", flush=True)


def other_city(app, base_url: str) -> str | None:
    """Why the pretend city must not be started: civic is set up for another 311 endpoint. None: it may."""
    from sqlalchemy import select

    from civic.city311.models import Endpoint
    from civic.database import unit_of_work
    from civic.extensions import db

    configured = str(app.config.get("OPEN311_URL") or "").strip()
    if configured:
        return f"civic is configured for the city 311 at {configured} (CIVIC_OPEN311_URL)"
    with app.app_context(), unit_of_work():
        for endpoint in db.session.scalars(select(Endpoint).where(Endpoint.active.is_(True))):
            if endpoint.name != ENDPOINT_NAME and endpoint.base_url.rstrip("/") != base_url.rstrip("/"):
                return f"civic is connected to the 311 endpoint {endpoint.name!r} at {endpoint.base_url}"
    return None


def start_city(host: str, port: int, state: Path) -> SandboxCity | None:
    """The pretend city serving on its own thread, or None (said why) when the port is taken."""
    try:
        city = SandboxCity(host, port, state_path=state)
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        say(f"Port {port} is busy: going on without the pretend city (CITY_PORT=... picks another port).")
        return None
    return city.start()


def prepare_catalogue(app) -> None:
    """Before the first seed: civic's default categories, so connecting maps the city's services to them."""
    from sqlalchemy import func, select

    from civic.accounts.models import User
    from civic.database import unit_of_work
    from civic.extensions import db
    from civic.issues.catalog import ensure_categories

    with app.app_context(), unit_of_work():
        if not db.session.scalar(select(func.count()).select_from(User)):
            ensure_categories()


def seed(issues: int) -> None:
    """`flask demo seed --if-empty`: its own process, as a developer would run it."""
    command = [*FLASK, "demo", "seed", "--if-empty", "--issues", str(issues)]
    subprocess.run(command, cwd=ROOT, check=True)  # noqa: S603 - our own command line


def city_works(app, city: SandboxCity) -> list[str]:
    """The city's staff act on new tickets, then civic's sync brings their words back. Returns the numbers
    of the tickets the city took by phone (for "Link my ticket")."""
    from civic.city311 import sync

    work = work_through(city)
    if work.changed:
        with app.app_context(), app.test_request_context(base_url=app.config["BASE_URL"]):
            changed = sync.sync_all()
        say(
            f"The city fixed {len(work.fixed)}, closed {len(work.closed)} and is working on "
            f"{len(work.in_progress)} tickets; civic applied {changed} changes."
        )
    return work.phoned_in


def demo_people(app) -> list[str]:
    from sqlalchemy import select

    from civic.accounts.models import User
    from civic.database import unit_of_work
    from civic.extensions import db

    with app.app_context(), unit_of_work():
        emails = db.session.scalars(
            select(User.email).where(User.email.like("%@demo.civic"), ~User.email.like("neighbour%")).order_by(User.id)
        )
        return list(emails)


def serve(command: list[str], city: SandboxCity | None) -> int:
    """Run the server until it ends or we are stopped; then stop it (if need be) and the city."""
    server = subprocess.Popen(command, cwd=ROOT)  # noqa: S603 - the command `make run` gives
    previous = signal.signal(signal.SIGTERM, _raise_stop)
    try:
        return server.wait()
    except KeyboardInterrupt:  # Ctrl-C reached the server too (one process group): let it finish first
        _stop(server, grace=STOP_GRACE_SECONDS)
        return 0  # stopped as asked
    except _Stop:
        _stop(server, grace=0)
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
        if city is not None:
            city.stop()
            say("Pretend city stopped.")


def _raise_stop(_signum, _frame) -> None:
    raise _Stop


def _stop(server: subprocess.Popen, grace: float) -> int:
    try:
        return server.wait(timeout=grace) if grace else _ask(server)
    except subprocess.TimeoutExpired:
        return _ask(server)


def _ask(server: subprocess.Popen) -> int:
    """SIGINT (a quick shutdown for gunicorn, as for Flask's server: gunicorn's SIGTERM waits for its workers'
    connections, and a master killed while waiting leaves its worker behind, holding the terminal), then SIGKILL
    if the server does not end within the grace period."""
    if server.poll() is None:
        server.send_signal(signal.SIGINT)
        try:
            return server.wait(timeout=STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            server.kill()
    return server.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.demo_run", description=__doc__.split("\n")[0])
    parser.add_argument("--city-host", default="127.0.0.1")
    parser.add_argument("--city-port", type=int, default=int(os.environ.get("CITY_PORT") or 8311))
    parser.add_argument(
        "--state", type=Path, help="the pretend city's state file (default: instance/pretend-city.json)"
    )
    parser.add_argument("--issues", type=int, default=300, help="issues the first seed adds")
    parser.add_argument("--no-city", action="store_true", help="seed and serve without the pretend city")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- then the command that serves the app")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the server command after --, e.g. -- flask --app wsgi run")

    from civic import create_app

    app = create_app()
    state = args.state or Path(app.instance_path) / "pretend-city.json"
    base_url = f"http://{args.city_host}:{args.city_port}/open311/v2/"
    city = None
    if not args.no_city:
        reason = other_city(app, base_url)
        if reason:
            say(f"{reason}: the pretend city is not started.")
        else:
            city = start_city(args.city_host, args.city_port, state)
    try:
        if city is not None:
            prepare_catalogue(app)
            mapped = connect(city, app)
            say(f"Pretend city 311 at {city.base_url} ({mapped} services mapped; tickets kept in {state}).")
        seed(args.issues)
        phoned = city_works(app, city) if city is not None else []
    except BaseException:
        if city is not None:
            city.stop()
        raise
    say("Demo sign-ins: " + ", ".join(demo_people(app)) + " (passwords are printed once, by the first seed).")
    if city is not None:
        say(f"The pretend city's 311 answers at {city.base_url} (api_key {city.api_key}).")
        if phoned:
            say("Tickets the city took by phone, to try “Link my ticket”: " + ", ".join(f"#{n}" for n in phoned))
    return serve(command, city)


if __name__ == "__main__":
    sys.exit(main())
