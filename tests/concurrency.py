"""Run actions at the same instant, each in its own thread, to test rules that must hold under concurrency."""

from __future__ import annotations

import threading
from collections.abc import Callable


def run_together(actions: list[Callable[[], object]]) -> list[Exception]:
    """Start every action behind one barrier; return the exceptions they raised (none, in a passing test)."""
    start, errors = threading.Barrier(len(actions)), []

    def run(action):
        try:
            start.wait()
            action()
        except Exception as exc:  # noqa: BLE001 - returned to the caller, which asserts on it
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(a,)) for a in actions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors
