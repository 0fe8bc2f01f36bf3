"""The timer sweep's claim reads its batch from an index in its own order (issue 23, scale): a backlog of due
cases is not read whole and sorted for each batch of 50."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import text

from engine.runtime.timers import due_claim

NOW = datetime(2026, 12, 5, 10, 0, tzinfo=timezone.utc)


def _plan(session, prefix: str) -> str:
    compiled = due_claim(NOW, 50).compile(session.get_bind())
    params = tuple(compiled.params[name] for name in compiled.positiontup) if compiled.positional else compiled.params
    rows = session.connection().exec_driver_sql(prefix + str(compiled), params).all()
    return "\n".join(" ".join(str(v) for v in row) for row in rows)


def test_the_claim_reads_running_due_cases_from_their_index_in_order_without_sorting_them(session, db_url):
    if db_url.startswith("sqlite"):
        plan = _plan(session, "EXPLAIN QUERY PLAN ")
        assert "ix_case_instance_timer_due" in plan and "TEMP B-TREE" not in plan, plan
        return
    # a table of no rows would be read whole: make the planner show the path it takes at a city's scale
    session.execute(text("SET LOCAL enable_seqscan = off"))
    session.execute(text("SET LOCAL enable_bitmapscan = off"))
    plan = _plan(session, "EXPLAIN ")
    assert "ix_case_instance_timer_due" in plan and "Sort" not in plan, plan
