"""Real server processes for tests and benchmarks: gunicorn with gevent workers serving `wsgi:app`,
configured only through CIVIC_* environment variables, as an operator would run it.

    with serve({"CIVIC_DATABASE_URL": url, "CIVIC_REDIS_URL": redis}) as server:
        httpx.get(server.url + "/healthz")
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import gunicorn
import httpx

from tests.services import free_port

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")
# gunicorn >= 25.1 opens a control socket at one path per user ($XDG_RUNTIME_DIR or ~/.gunicorn/gunicorn.ctl):
# several servers at once would take it from each other, so test servers go without.
NO_CONTROL_SOCKET = ("--no-control-socket",) if gunicorn.version_info >= (25, 1) else ()


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def server_env(settings: dict[str, str]) -> dict[str, str]:
    """The environment of a server process: this one's, minus any CIVIC_* leaking in, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CIVIC_")}
    # Background jobs off unless a caller turns them on (CIVIC_BACKGROUND_JOBS=true): a benchmark measures requests.
    env.update(
        {
            "CIVIC_SECRET_KEY": "test-secret-shared-by-all-processes",
            "CIVIC_SOCKETIO_ASYNC_MODE": "gevent",
            "CIVIC_BACKGROUND_JOBS": "false",
        }
    )
    env.update(settings)
    return env


def make_run_command(port: int) -> list[str]:
    """The server command of `make run` (the Makefile's SERVER, printed by `make server-command`) on `port`."""
    printed = subprocess.run(
        ["make", "-s", "--no-print-directory", "server-command", "HOST=127.0.0.1", f"PORT={port}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return shlex.split(printed.strip())


@contextlib.contextmanager
def serve(
    settings: dict[str, str],
    *,
    workers: int = 1,
    port: int | None = None,
    log_dir: Path | None = None,
    extra_args: tuple[str, ...] = (),
    ready_timeout: float = 30.0,
    make_run: bool = False,
) -> Iterator[Server]:
    """Start gunicorn (gevent workers) on 127.0.0.1, wait until /healthz answers, stop it afterwards.

    make_run: start it exactly as `make run` does (its config file, deploy/run.conf.py) instead."""
    port = port or free_port()
    log = (log_dir or Path(os.environ.get("TMPDIR", "/tmp"))) / f"civic-gunicorn-{port}.log"
    command = (
        make_run_command(port)
        if make_run
        else [
            str(GUNICORN),
            "--worker-class",
            "gevent",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--graceful-timeout",
            "3",
            *NO_CONTROL_SOCKET,
            *extra_args,
            "wsgi:app",
        ]
    )
    env = server_env(settings)
    if make_run:
        env.pop("CIVIC_SOCKETIO_ASYNC_MODE")  # as the Makefile runs it: the config file sets it
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Server(url=f"http://127.0.0.1:{port}", process=process, log=log)
    try:
        _wait_ready(server, ready_timeout)
        yield server
    finally:
        _stop(process)


def _wait_ready(server: Server, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.process.returncode}:\n{server.output()[-3000:]}")
        try:
            if httpx.get(server.url + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer /healthz within {timeout:.0f} s:\n{server.output()[-3000:]}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
