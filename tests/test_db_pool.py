"""PostgreSQL connections from the pool: one that sat idle is tested before use; one just handed back is not."""
from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from engine.core import db

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_engine(pg_url):
    engine = db.connect(pg_url)
    yield engine
    engine.dispose()


def _backend_pid(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar()


def _terminate(pg_url, pid: int) -> None:
    other = db.connect(pg_url)
    with other.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    other.dispose()


def test_a_connection_idle_past_the_limit_is_tested_and_replaced_when_dead(pg_url, pg_engine, monkeypatch):
    monkeypatch.setattr(db, "IDLE_BEFORE_PING", 0.0)      # every pooled connection counts as idle
    dead = _backend_pid(pg_engine)
    _terminate(pg_url, dead)
    # The ping finds the connection gone; the pool connects again and the statement runs.
    assert _backend_pid(pg_engine) != dead


def test_a_connection_handed_back_a_moment_ago_is_used_without_a_test(pg_url, pg_engine, monkeypatch):
    monkeypatch.setattr(db, "IDLE_BEFORE_PING", 3600.0)
    dead = _backend_pid(pg_engine)
    _terminate(pg_url, dead)
    with pytest.raises(OperationalError):
        _backend_pid(pg_engine)         # not tested first: the statement meets the dead connection
    # That failure invalidated the pool; the next checkout connects afresh.
    assert _backend_pid(pg_engine) != dead
