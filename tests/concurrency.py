"""Helpers for concurrency tests on PostgreSQL: real threads, real transactions."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connections


def run_together(calls: list[Callable[[], Any]], *, timeout: float = 30) -> list[Any]:
    """Start every call at the same moment in its own thread (and database connection); each
    result is what the call returned or the exception it raised."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def worker(i: int) -> None:
        try:
            barrier.wait()
            results[i] = calls[i]()
        except Exception as exc:  # noqa: BLE001 - the test inspects what each call raised
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert not any(t.is_alive() for t in threads), "a call did not finish: blocked on a lock?"
    return results
