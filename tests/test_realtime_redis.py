"""With CIVIC_REDIS_URL set, an event emitted by one server process reaches a client of another.

Two real `flask run` processes, a real Socket.IO client over the network, the local Redis.
Without Redis the same setup must NOT deliver (so the test can fail).
"""

from __future__ import annotations

import threading
import uuid

import pytest
import requests
import socketio

from tests.live import server_process
from tests.services import REDIS_URL, require_redis


@pytest.mark.parametrize("shared", [True, False], ids=["redis", "no-redis"])
def test_upvote_on_one_process_reaches_a_client_of_the_other(database_url, make_issue, make_user, shared):
    if shared:
        require_redis()
    issue_id = make_issue()
    voter = make_user()
    env = {
        "CIVIC_DATABASE_URL": database_url,
        "CIVIC_WTF_CSRF_ENABLED": "false",
        "CIVIC_SOCKETIO_CHANNEL": f"civic-test-{uuid.uuid4().hex}",
    }
    if shared:
        env["CIVIC_REDIS_URL"] = REDIS_URL
    with server_process(env) as first, server_process(env) as second:
        received, arrived = [], threading.Event()
        client = socketio.Client(reconnection=False)

        @client.on("upvotes")
        def _upvotes(data):
            received.append(data)
            arrived.set()

        client.connect(second, wait_timeout=10)
        try:
            assert client.call("watch_issue", {"issue_id": issue_id}, timeout=10) == {"ok": True}
            http = requests.Session()
            http.post(f"{first}/login", data={"email": voter.email, "password": voter.password}, timeout=10)
            response = http.post(f"{first}/api/v1/issues/{issue_id}/upvote", json={"upvoted": True}, timeout=10)
            assert response.json()["upvotes"] == 1
            arrived.wait(timeout=5 if shared else 1.5)
        finally:
            client.disconnect()
    assert received == ([{"issue_id": issue_id, "upvotes": 1}] if shared else [])
