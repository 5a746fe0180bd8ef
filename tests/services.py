"""Reaching the real services tests need (PostgreSQL, Redis, Chromium).

A test that needs one skips with the reason when it is missing, except under CI=true, where a
missing service is a failure: CI must never pass by skipping.
"""

from __future__ import annotations

import os
import shutil
import socket

import pytest

CI = os.environ.get("CI", "").lower() == "true"
POSTGRES_URL = os.environ.get("CIVIC_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("CIVIC_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
CHROMIUM = os.environ.get("CIVIC_TEST_CHROMIUM", "/usr/bin/chromium")


def require(name: str, available: bool, how: str) -> None:
    if available:
        return
    if CI:
        pytest.fail(f"{name} is required under CI=true but is not available: {how}", pytrace=False)
    pytest.skip(f"{name} is not available ({how})")


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_postgres() -> None:
    require("PostgreSQL", port_open("127.0.0.1", 5432), "start it on 127.0.0.1:5432 or set CIVIC_TEST_POSTGRES_URL")


def require_redis() -> None:
    require("Redis", port_open("127.0.0.1", 6379), "start redis-server on 127.0.0.1:6379 or set CIVIC_TEST_REDIS_URL")


def require_chromium() -> None:
    present = os.path.exists(CHROMIUM) or shutil.which("chromium") is not None
    require("Chromium", present, "install Debian's package: apt-get install chromium")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
