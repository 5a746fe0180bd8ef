"""With CIVIC_REDIS_URL set, rate limits are shared by every server process (two real processes here)."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest

from tests.live import server_process
from tests.services import REDIS_URL, require_redis


def failed_login(base_url: str) -> int:
    data = urllib.parse.urlencode({"email": "x@example.org", "password": "not the right one"}).encode()
    try:
        with urllib.request.urlopen(f"{base_url}/login", data=data, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.parametrize("shared", [True, False], ids=["redis", "memory"])
def test_rate_limit_spans_processes_only_with_redis(database_url, backend, shared):
    if shared:
        require_redis()
    env = {
        "CIVIC_DATABASE_URL": database_url,
        "CIVIC_LOGIN_RATE_LIMIT": "2 per minute",
        "CIVIC_RATELIMIT_KEY_PREFIX": f"civic-test-{uuid.uuid4().hex}",
        "CIVIC_WTF_CSRF_ENABLED": "false",
    }
    if shared:
        env["CIVIC_REDIS_URL"] = REDIS_URL
    with server_process(env) as first, server_process(env) as second:
        assert [failed_login(first), failed_login(first)] == [400, 400]
        # The second process has seen no attempt; it refuses only if it shares the first one's counts.
        assert failed_login(second) == (429 if shared else 400)
