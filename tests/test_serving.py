"""`make run`'s server, as `make run` starts it (the command `make server-command` prints), on a free port
against a throw-away SQLite database: it answers, names no version, carries live Socket.IO pushes over
long-polling and WebSocket, and closes connections that stay idle or trickle their headers within the
keep-alive timeout of deploy/run.conf.py (Flask's development server held them open indefinitely). And the
whole of `make run`: the demo launcher with this server and the pretend city stops both on Ctrl-C or SIGTERM."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
import socketio

from civic import ROOT
from tests.conftest import migrate_database
from tests.servers import make_run_command, serve, server_env
from tests.services import free_port
from tests.test_scale_out import seed

KEEPALIVE = 5  # deploy/run.conf.py


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The server, the seeded users' tokens, an issue id and the server's log."""
    tmp = tmp_path_factory.mktemp("serving")
    url = f"sqlite:///{tmp / 'civic.db'}"
    migrate_database(url)
    tokens, _category_id, issue_id = seed(url)
    port = free_port()
    command = make_run_command(port)
    assert Path(command[0]).name == "gunicorn" and "deploy/run.conf.py" in command
    with serve({"CIVIC_DATABASE_URL": url}, port=port, log_dir=tmp, make_run=True) as server:
        yield server.url, tokens, issue_id, server.log


def test_health_answers_and_the_server_names_no_version(served):
    base, *_ = served
    for path, status in (("/healthz", 200), ("/", 200), ("/no-such-page", 404)):
        response = httpx.get(base + path, timeout=10)
        assert response.status_code == status, path
        server = response.headers.get("Server", "")
        assert not any(ch.isdigit() for ch in server) and "Werkzeug" not in server and "Python" not in server
        assert "Permissions-Policy" in response.headers


def test_socketio_handshake_over_http_polling(served):
    base, *_ = served
    with httpx.Client(base_url=base, timeout=10) as http:
        opened = http.get("/socket.io/", params={"EIO": "4", "transport": "polling"})
        assert opened.status_code == 200 and opened.text.startswith("0{"), opened.text
        sid = json.loads(opened.text[1:])["sid"]
        joined = http.post("/socket.io/", params={"EIO": "4", "transport": "polling", "sid": sid}, content="40")
        assert joined.status_code == 200 and joined.text == "OK"
        connected = http.get("/socket.io/", params={"EIO": "4", "transport": "polling", "sid": sid})
        assert connected.text.startswith("40{") and '"sid"' in connected.text


@pytest.mark.parametrize("transport", ["polling", "websocket"])
def test_a_watcher_hears_an_upvote_live(served, transport):
    base, tokens, issue_id, log = served
    received, arrived = [], threading.Event()
    client = socketio.Client(reconnection=False)

    @client.on("upvotes")
    def _upvotes(data):
        received.append(data)
        arrived.set()

    client.connect(base, transports=[transport], wait_timeout=10)
    try:
        assert client.transport() == transport
        assert client.call("watch_issue", {"issue_id": issue_id}, timeout=10) == {"ok": True}
        voter = "voter_a" if transport == "polling" else "voter_b"
        response = httpx.post(
            f"{base}/api/v1/issues/{issue_id}/upvote",
            headers={"Authorization": f"Bearer {tokens[voter]}"},
            json={"upvoted": True},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        assert arrived.wait(timeout=5), log.read_text()[-3000:]
    finally:
        client.disconnect()
    assert received == [{"issue_id": issue_id, "upvotes": response.json()["upvotes"]}]
    assert "Traceback" not in log.read_text()


def _seconds_until_closed(sock: socket.socket, trickle: bytes = b"", limit: float = 30.0) -> float:
    """Seconds until the server closes the connection, sending `trickle` one byte a second meanwhile."""
    started = time.monotonic()
    sock.settimeout(1.0)
    pending = list(trickle)
    while time.monotonic() - started < limit:
        try:
            if sock.recv(4096) == b"":
                return time.monotonic() - started
        except TimeoutError:
            if pending:
                with contextlib.suppress(OSError):
                    sock.send(bytes([pending.pop(0)]))
        except ConnectionResetError:
            return time.monotonic() - started
    return limit


def test_an_idle_connection_is_closed_within_the_keepalive_timeout(served):
    base, *_ = served
    port = int(base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port)) as idle:
        assert _seconds_until_closed(idle) <= KEEPALIVE + 2


def test_a_connection_trickling_its_headers_is_closed_too(served):
    base, *_ = served
    port = int(base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port)) as slow:
        slow.sendall(b"GET /healthz HTTP/1.1\r\n")
        assert _seconds_until_closed(slow, trickle=b"X-Slow: " + b"a" * 40) <= KEEPALIVE + 2


def test_a_kept_alive_connection_is_closed_after_the_keepalive_timeout(served):
    base, *_ = served
    port = int(base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port)) as kept:
        kept.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        kept.settimeout(10)
        assert kept.recv(4096).startswith(b"HTTP/1.1 200")
        assert _seconds_until_closed(kept) <= KEEPALIVE + 2


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return False
    return True


@pytest.mark.parametrize("stop", ["ctrl-c", "sigterm"])
def test_the_demo_launcher_stops_this_server_and_the_city(tmp_path_factory, stop):
    """`make run` as a whole: tools/demo_run.py with the pretend city, then this server; Ctrl-C (SIGINT to the
    process group, as a terminal sends it) or SIGTERM to the launcher stops both."""
    tmp = tmp_path_factory.mktemp("launcher")
    url = f"sqlite:///{tmp / 'civic.db'}"
    migrate_database(url)
    port, city_port = free_port(), free_port()
    env = server_env({"CIVIC_DATABASE_URL": url, "CIVIC_UPLOAD_DIR": str(tmp / "uploads")})
    env.pop("CIVIC_SOCKETIO_ASYNC_MODE")
    launcher = subprocess.Popen(
        [sys.executable, "-m", "tools.demo_run", "--city-port", str(city_port), "--state", str(tmp / "city.json")]
        + ["--issues", "5", "--", *make_run_command(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while launcher.poll() is None and time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            time.sleep(0.3)
        assert launcher.poll() is None and _listening(city_port), "the demo did not come up"
        if stop == "ctrl-c":
            os.killpg(launcher.pid, signal.SIGINT)
        else:
            launcher.terminate()
        output, _ = launcher.communicate(timeout=90)  # a loaded CI machine can take a while to stop gunicorn
    finally:
        if launcher.poll() is None:
            os.killpg(launcher.pid, signal.SIGKILL)
            launcher.communicate()  # reap it and close its pipe, so no file is left for another test to trip on
    assert launcher.returncode == 0, output
    assert "Pretend city stopped." in output
    assert not _listening(port) and not _listening(city_port)
