"""Two people completing the same task at once: one wins, the other gets a conflict; nothing half-applied."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from engine.core import people
from engine.core.errors import ConflictError, DataValidationError, InvalidState
from engine.core.models import AuditEvent
from engine.runtime import cases
from engine.runtime.engine import Engine
from engine.runtime.instance import Instance
from engine.work import case_status

from .helpers import only_ready, roundtrip

APPLY = {"title": "购置办公设备", "reason": "现有设备老化，影响办公"}


def _hold_two_saves_together(db_url, monkeypatch):
    """Make two racing steps meet at save.

    PostgreSQL lets both read before either writes: holding both at save makes them truly overlap. SQLite queues
    writers (BEGIN IMMEDIATE), so there the second simply runs after the first. Returns the unpatched save.
    """
    overlap = db_url.startswith("postgresql")
    barrier = threading.Barrier(2, timeout=30)
    original_save = Instance.save

    def save(self):
        if overlap:
            barrier.wait()
        original_save(self)

    monkeypatch.setattr(Instance, "save", save)
    return original_save


def test_two_people_complete_the_same_task_at_once(db_url, Session, engine, session, deployed, monkeypatch):
    case = cases.start_case(engine, session, "sample_review", {}, org_code="county-a")
    task = only_ready(session, case.id)
    version_before = case.version
    original_save = _hold_two_saves_together(db_url, monkeypatch)
    results: dict[str, str] = {}

    def worker(username: str) -> None:
        own_engine = Engine()   # as if in another process: no shared in-memory state
        with Session() as s:
            try:
                cases.complete_task(own_engine, s, task.id, APPLY, user=people.user_by_name(s, username))
                results[username] = "won"
            except ConflictError:
                results[username] = "conflict"

    threads = [threading.Thread(target=worker, args=(name,)) for name in ("alice", "amy")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results.values()) == ["conflict", "won"]
    monkeypatch.setattr(Instance, "save", original_save)

    session.commit()
    session.expire_all()
    completed = session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.case_id == case.id, AuditEvent.action == "task_completed"))
    assert completed == 1
    assert cases.get_case(session, case.id).version == version_before + 1
    review = only_ready(session, case.id)
    assert review.name == "审核"
    winner = next(name for name, r in results.items() if r == "won")
    assert cases.case_tasks(session, case.id)[0].completed_by == winner
    roundtrip(engine, session, case.id)


def test_a_refused_request_does_not_keep_other_writers_waiting(db_url, Session, engine, session, deployed):
    case = cases.start_case(engine, session, "sample_review", {}, org_code="county-a")
    task = only_ready(session, case.id)
    with pytest.raises(DataValidationError):
        cases.complete_task(engine, session, task.id, {"title": "x"}, user=people.user_by_name(session, "alice"))
    case_status.suspend_case(engine, session, case.id)
    with pytest.raises(InvalidState):
        case_status.suspend_case(engine, session, case.id)
    assert not session.in_transaction()             # nothing left holding the database's write lock
    with Session() as other:                        # another writer goes straight through
        case_status.resume_case(Engine(), other, case.id, actor="bob")


def test_two_requests_in_one_process_never_share_a_workflow_object(db_url, Session, engine, session, deployed,
                                                                    monkeypatch):
    """A threaded server shares one engine: a completion and a withdrawal racing on the same case must each
    work on their own copy, so exactly one of them is in the database afterwards."""
    case = cases.start_case(engine, session, "sample_review", {}, org_code="county-a")
    task = only_ready(session, case.id)
    engine.remember(case, engine.load_workflow(session, case))       # warm: both requests find it in the cache
    original_save = _hold_two_saves_together(db_url, monkeypatch)
    results: dict[str, str] = {}

    def complete() -> None:
        with Session() as s:
            try:
                cases.complete_task(engine, s, task.id, APPLY, user=people.user_by_name(s, "alice"))
                results["complete"] = "won"
            except (ConflictError, InvalidState):
                results["complete"] = "refused"

    def withdraw() -> None:
        with Session() as s:
            try:
                cases.send_message(engine, s, case.id, "withdraw", {"reason": "不再需要"}, actor="alice")
                results["withdraw"] = "won"
            except (ConflictError, InvalidState):      # lost the race, or came second (SQLite queues writers)
                results["withdraw"] = "refused"

    threads = [threading.Thread(target=complete), threading.Thread(target=withdraw)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    monkeypatch.setattr(Instance, "save", original_save)
    assert sorted(results.values()) == ["refused", "won"]
    session.commit()                # end this session's read snapshot
    session.expire_all()
    stored = cases.get_case(session, case.id)
    ready = [t.name for t in cases.case_tasks(session, case.id, "ready")]
    if results["withdraw"] == "won":
        assert (stored.status, ready) == ("completed", [])
    else:
        assert (stored.status, ready) == ("running", ["审核"])
    engine.forget_all()
    cold = engine.load_workflow(session, stored)                    # what the database holds, loaded afresh
    assert cold.is_completed() == (stored.status == "completed")
    roundtrip(engine, session, case.id)
