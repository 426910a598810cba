"""Closing a vote folds SQLite's write-ahead log into the file (the old pages of the open ballot
box must not linger there), but a long reader at that moment must not stall everyone else's
writes for the connection's whole 20-second busy timeout."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from renda.core.sqlite import truncate_wal


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=20, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    return conn


def test_a_checkpoint_blocked_by_a_reader_gives_up_quickly_and_lets_writers_in(tmp_path):
    path = tmp_path / "db.sqlite3"
    closer, reader, writer = _connect(path), _connect(path), _connect(path)
    closer.execute("CREATE TABLE t (x INTEGER)")
    closer.execute("INSERT INTO t VALUES (1)")
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM t").fetchone()  # a long page read holds its snapshot
    closer.execute("INSERT INTO t VALUES (2)")  # the snapshot is now an older one

    waited: list[float] = []

    def write_meanwhile() -> None:
        time.sleep(0.05)
        started = time.monotonic()
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("INSERT INTO t VALUES (3)")
        writer.execute("COMMIT")
        waited.append(time.monotonic() - started)

    thread = threading.Thread(target=write_meanwhile)
    thread.start()
    started = time.monotonic()
    done = truncate_wal(closer.cursor(), timeout_ms=300)
    took = time.monotonic() - started
    thread.join(timeout=25)

    assert done is False, "the reader's snapshot keeps the log from being truncated"
    assert took < 2, f"the checkpoint waited {took:.1f} s"
    assert waited and waited[0] < 2, f"a citizen's write waited {waited} s behind the checkpoint"
    assert closer.execute("PRAGMA busy_timeout").fetchone()[0] == 20000, "the busy timeout is put back"

    reader.execute("COMMIT")
    assert truncate_wal(closer.cursor()) is True
    assert Path(f"{path}-wal").stat().st_size == 0, "nothing of the old pages stays in the log"
    assert closer.execute("SELECT count(*) FROM t").fetchone()[0] == 3
