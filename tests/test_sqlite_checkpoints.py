"""SQLite checkpoints run by a thread of the process (engine/core/sqlite_checkpoints.py), not inside commits."""
from __future__ import annotations

import shutil
import sqlite3

from sqlalchemy import text

from engine.core.db import connect
from engine.core import sqlite_checkpoints
from engine.core.sqlite_checkpoints import BACKSTOP_PAGES, CHECKPOINTER, checkpoint


def _rows_in_the_file_alone(path, tmp_path) -> int:
    """The rows of table `t` in the database file without its WAL: what a checkpoint has copied there."""
    alone = tmp_path / "alone.sqlite"
    shutil.copyfile(path, alone)
    connection = sqlite3.connect(alone)
    try:
        return connection.execute("SELECT count(*) FROM t").fetchone()[0]
    except sqlite3.OperationalError:        # not even the table is in the file yet
        return 0
    finally:
        connection.close()


def test_commits_reach_the_database_file_soon_without_a_writer_checkpointing(tmp_path):
    path = tmp_path / "county.sqlite"
    sql = connect(f"sqlite:///{path}")
    try:
        with sql.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == BACKSTOP_PAGES
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            connection.execute(text("CREATE TABLE t (x INTEGER)"))
            connection.commit()
            for x in range(5):
                connection.execute(text("INSERT INTO t VALUES (:x)"), {"x": x})
                connection.commit()
            passes = CHECKPOINTER.passes
            # A pass that began before the last commit was noted may have missed it: the next one has it.
            found = 0
            for _ in range(2):
                assert CHECKPOINTER.wait_for_pass(passes, timeout=30)
                passes = CHECKPOINTER.passes
                found = _rows_in_the_file_alone(path, tmp_path)
                if found == 5:
                    break
            assert found == 5
            assert connection.execute(text("SELECT count(*) FROM t")).scalar() == 5
    finally:
        sql.dispose()


def test_a_checkpoint_never_makes_a_database_file(tmp_path):
    gone = tmp_path / "gone.sqlite"
    checkpoint(str(gone))
    assert not gone.exists()


def test_a_failing_checkpoint_leaves_the_thread_checkpointing_the_others(monkeypatch, tmp_path):
    tried = []

    def failing_first(path: str) -> None:
        tried.append(path)
        if path.endswith("a.sqlite"):
            raise RuntimeError("disk on fire")
    monkeypatch.setattr(sqlite_checkpoints, "checkpoint", failing_first)
    first, second = str(tmp_path / "a.sqlite"), str(tmp_path / "b.sqlite")
    passes = CHECKPOINTER.passes
    CHECKPOINTER.note(first)
    CHECKPOINTER.note(second)
    while not {first, second} <= set(tried):
        assert CHECKPOINTER.wait_for_pass(passes, timeout=30)
        passes = CHECKPOINTER.passes
    CHECKPOINTER.note(second)                   # and it goes on to the next pass
    while tried.count(second) < 2:
        assert CHECKPOINTER.wait_for_pass(passes, timeout=30)
        passes = CHECKPOINTER.passes
