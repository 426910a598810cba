"""The embedded SQLite file's write-ahead log, folded back into the database file.

A ``wal_checkpoint(TRUNCATE)`` waits (on the busy handler) for every reader of an older snapshot
and, while it waits, holds back every new writer. With the connection's ordinary 20-second busy
timeout, one long page read at the moment a vote is closed would stall every citizen's submission
for up to 20 seconds. So the checkpoint gets a short timeout of its own: if readers are still
there it gives up, and the hourly ``core.sweep`` tries again until the log is truncated.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import connection

logger = logging.getLogger(__name__)

CHECKPOINT_TIMEOUT_MS = 250


def truncate_wal(cursor: Any = None, *, timeout_ms: int = CHECKPOINT_TIMEOUT_MS) -> bool | None:
    """Fold the WAL into the database file and truncate it to zero bytes. True when done, False
    when readers or a writer kept it from completing within ``timeout_ms``, None when the
    database is not SQLite (or the connection is inside a transaction, where SQLite refuses).
    ``cursor``: a DB-API cursor on the SQLite database; Django's default connection if omitted."""
    if cursor is None:
        if connection.vendor != "sqlite" or connection.in_atomic_block:
            return None
        with connection.cursor() as django_cursor:
            return truncate_wal(django_cursor, timeout_ms=timeout_ms)
    previous = cursor.execute("PRAGMA busy_timeout").fetchone()[0]
    cursor.execute(f"PRAGMA busy_timeout = {int(timeout_ms)}")
    try:
        busy, _log_frames, _checkpointed = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        cursor.execute(f"PRAGMA busy_timeout = {int(previous)}")
    if busy:
        logger.info("WAL checkpoint deferred: readers still hold an older snapshot; core.sweep retries")
    return not busy
