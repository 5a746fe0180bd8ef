"""Start the real app as a separate server process on a free 127.0.0.1 port (for multi-process tests)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import urllib.request

from civic import ROOT
from tests.services import free_port


@contextlib.contextmanager
def server_process(env: dict[str, str], timeout: float = 20.0):
    """Yield the base URL of `flask run` serving wsgi:app with CIVIC_* settings from `env`."""
    port = free_port()
    full_env = {**os.environ, "CIVIC_SECRET_KEY": "test-multiprocess-secret", **env}
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "run", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=full_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"server did not start: {process.stderr.read().decode()[-2000:]}") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
        process.stderr.close()
