"""SQLite checkpoints off the writers' path: one thread per process copies committed pages into the database file.

In WAL mode a commit appends its pages to the `-wal` file; a checkpoint copies them into the database file and,
with `synchronous=NORMAL` (engine.core.db), is also when the WAL is written to disk for good. By default the
writer that takes the WAL past 1,000 pages runs the checkpoint itself, inside its commit: measured with the
benchmark's step, about one commit in a hundred took 5–10 ms for it, a tenth of every step's cost on average.

Here a daemon thread does it instead, on a connection of its own, about `SETTLE_SECONDS` after a commit (the
commits in between share one checkpoint). A PASSIVE checkpoint never waits for readers or writers, so steps go on
while it runs. Writers still checkpoint themselves, as a backstop, once the WAL holds `BACKSTOP_PAGES` (the thread
fell that far behind, or a long read kept it from finishing).

Durability: a commit is in the WAL at once and survives the process ending; it is on disk against a power cut
after the next checkpoint. That is now within about `SETTLE_SECONDS` of the commit, whatever the load; at SQLite's
default it came only once 1,000 pages had gathered, which at a county's pace of work could take hours.
"""
from __future__ import annotations

import logging
import os
import sqlite3
import threading
from pathlib import Path
from urllib.parse import quote

log = logging.getLogger("lawflow.sqlite")
SETTLE_SECONDS = 0.2
BACKSTOP_PAGES = 10_000


class Checkpointer:
    """The process's checkpoint thread and the database files committed to since its last pass."""

    def __init__(self) -> None:
        self._reset()
        self.passes = 0

    def _reset(self) -> None:
        """No thread yet, and nothing to do: at first, and in a forked child (threads are not forked)."""
        self._dirty: set[str] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._passed = threading.Condition()
        self._started = False

    def note(self, path: str) -> None:
        """A commit was made to this file (called after every commit: a set lookup, once the file is noted)."""
        if path in self._dirty:
            return
        with self._lock:
            self._dirty.add(path)
            if not self._started:
                self._started = True
                threading.Thread(target=self._run, name="sqlite-checkpoints", daemon=True).start()
        self._wake.set()

    def wait_for_pass(self, after: int, timeout: float) -> bool:
        """Wait until the thread has made a pass beyond `after` (tests); whether it did within `timeout`."""
        with self._passed:
            return self._passed.wait_for(lambda: self.passes > after, timeout)

    def _run(self) -> None:
        while True:
            self._wake.wait()
            _PAUSE.wait(SETTLE_SECONDS)         # let the commits of the next moments join this pass
            self._wake.clear()
            with self._lock:
                paths, self._dirty = self._dirty, set()
            for path in sorted(paths):
                try:
                    checkpoint(path)
                except Exception:       # the thread goes on: the next commit's pass may succeed
                    log.exception("checkpoint of %s failed", path)
            with self._passed:
                self.passes += 1
                self._passed.notify_all()


def checkpoint(path: str) -> None:
    """Copy the committed pages of a WAL database into its file, waiting for nobody; a file that is gone is left
    alone (opened read-write only: never made)."""
    try:
        connection = sqlite3.connect(f"file:{quote(path)}?mode=rw", uri=True, timeout=0, isolation_level=None)
    except sqlite3.Error:
        return
    try:
        connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    except sqlite3.Error as exc:
        log.debug("checkpoint of %s skipped: %s", path, exc)
    finally:
        connection.close()


_PAUSE = threading.Event()         # never set: waited on for a pause
CHECKPOINTER = Checkpointer()
os.register_at_fork(after_in_child=CHECKPOINTER._reset)


def watch(sql_engine, database: str | None) -> None:
    """Have commits through this SQLAlchemy engine checkpointed by the thread (a file database only)."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = str(Path(database).resolve())
    dialect = sql_engine.dialect
    commit, note = dialect.do_commit, CHECKPOINTER.note

    def do_commit(dbapi_connection) -> None:
        commit(dbapi_connection)
        note(path)
    dialect.do_commit = do_commit
