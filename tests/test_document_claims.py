"""Filling pending documents with several schedulers at once (issue 23): each document is claimed before it is
filled, filled and stored once, and a claim left by a filler that died expires and is taken over."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from sqlalchemy import select

from engine.core.case_records import CaseDocument
from engine.records import document_claims, documents
from engine.work import operations

from .test_documents import text_of

MOMENT = datetime(2025, 10, 13, 1, 0, tzinfo=timezone.utc)


def pending_documents(session, deployed, count: int) -> list[int]:
    """`count` pending documents of the sample approval notice (as a step would have asked for them)."""
    from engine.core import Case

    case = Case(definition_id=_definition(session), process_key="sample_review", status="completed", title="t",
                created_at=MOMENT, updated_at=MOMENT, created_by="alice", version=1)
    session.add(case)
    session.flush()
    docs = [CaseDocument(case_id=case.id, bundle_id=deployed.id, name=f"通知{i}",
                         template="forms/sample/approval_notice.docx", filename=f"{i}.docx", status="pending",
                         context={"title": f"文书{i}", "case": {"number": f"N{i}"}, "today": "2025-10-13"},
                         created_at=MOMENT, created_by="bob") for i in range(count)]
    session.add_all(docs)
    session.commit()
    return [d.id for d in docs]


def _definition(session) -> int:
    from engine.core.models import ProcessDefinition

    return session.scalar(select(ProcessDefinition.id).where(ProcessDefinition.process_key == "sample_review"))


class CountingFiller:
    """Stands for the child process: records which context it filled, and lets the first fill of each thread
    wait for the other's, so the two fillers are at work at the same time."""

    def __init__(self, parties: int) -> None:
        self.filled: list[str] = []
        self.barrier = threading.Barrier(parties, timeout=20)
        self.waited: set[int] = set()
        self.lock = threading.Lock()

    def __call__(self, template: bytes, context: dict, limits) -> bytes:
        with self.lock:
            self.filled.append(context["title"])
            first = threading.get_ident() not in self.waited
            self.waited.add(threading.get_ident())
        if first:
            self.barrier.wait()
        return documents.render(template, context)


def test_two_schedulers_filling_at_once_fill_each_document_exactly_once(Session, deployed, session, monkeypatch):
    ids = pending_documents(session, deployed, 12)
    filler = CountingFiller(2)
    monkeypatch.setattr(documents, "fill_in_child", filler)
    counts, errors = [], []

    def scheduler() -> None:
        try:
            with Session() as own:
                counts.append(documents.render_pending(own, limit=100))
        except Exception as exc:        # reported below: a thread's failure must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    with time_machine.travel(MOMENT, tick=False):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert not errors
    assert sorted(filler.filled) == sorted(f"文书{i}" for i in range(12))       # each filled once
    assert sum(counts) == 12 and min(counts) >= 1        # both took a share
    session.expire_all()
    stored = session.scalars(select(CaseDocument).where(CaseDocument.id.in_(ids))).all()
    assert all(d.status == "ready" and f"申请事项：文书{ids.index(d.id)}" in text_of(documents.whole(session, d))
               for d in stored)
    assert all(d.claimed_by is None and d.claimed_until is None for d in stored)


def test_a_claim_left_by_a_dead_scheduler_expires_and_the_document_is_filled_then(deployed, session, monkeypatch):
    [doc_id] = pending_documents(session, deployed, 1)
    filler = CountingFiller(1)
    monkeypatch.setattr(documents, "fill_in_child", filler)
    with time_machine.travel(MOMENT, tick=False):
        doc, dead = document_claims.claim_next(session, MOMENT, documents.limits().wall_seconds)
        assert doc.id == doc_id         # the scheduler that claimed it dies here, before it stores anything
        assert documents.render_pending(session) == 0 and filler.filled == []
        assert operations.figures(session, MOMENT).documents_pending == 1     # still the backlog's
    expiry = MOMENT + timedelta(seconds=documents.limits().wall_seconds) + document_claims.CLAIM_MARGIN
    with time_machine.travel(expiry - timedelta(seconds=1), tick=False):
        assert documents.render_pending(session) == 0
    with time_machine.travel(expiry + timedelta(seconds=1), tick=False):
        assert documents.render_pending(session) == 1 and filler.filled == ["文书0"]
        # the dead scheduler's late store, were it to come back, changes nothing
        assert document_claims.finish(session, doc_id, dead, {"status": "failed", "error": "late"}) == 0
        assert operations.figures(session, expiry).documents_pending == 0
    session.expire_all()
    stored = session.get(CaseDocument, doc_id)
    assert stored.status == "ready" and "文书0" in text_of(documents.whole(session, stored)) and stored.error is None


def test_a_download_while_a_scheduler_fills_the_document_gets_it_and_stores_nothing(deployed, session,
                                                                                    monkeypatch):
    [doc_id] = pending_documents(session, deployed, 1)
    filler = CountingFiller(1)
    monkeypatch.setattr(documents, "fill_in_child", filler)
    case_id = session.get(CaseDocument, doc_id).case_id
    with time_machine.travel(MOMENT, tick=False):
        _doc, token = document_claims.claim_next(session, MOMENT, documents.limits().wall_seconds)
        got = documents.document(session, case_id, doc_id)
        assert got.status == "ready" and "文书0" in text_of(got.content)
        session.rollback()
        session.expire_all()
        assert session.get(CaseDocument, doc_id).status == "pending"       # the scheduler stores it
        assert document_claims.finish(session, doc_id, token, documents.fill(session, session.get(
            CaseDocument, doc_id))) == 1
    session.expire_all()
    assert session.get(CaseDocument, doc_id).status == "ready"


def test_a_first_download_claims_fills_and_stores_a_pending_document(deployed, session, monkeypatch):
    [doc_id] = pending_documents(session, deployed, 1)
    filler = CountingFiller(1)
    monkeypatch.setattr(documents, "fill_in_child", filler)
    case_id = session.get(CaseDocument, doc_id).case_id
    with time_machine.travel(MOMENT, tick=False):
        got = documents.document(session, case_id, doc_id)
        assert got.status == "ready" and "文书0" in text_of(got.content)
        assert documents.render_pending(session) == 0 and filler.filled == ["文书0"]
    session.expire_all()
    assert session.get(CaseDocument, doc_id).status == "ready"


@pytest.mark.parametrize("size", [3])
def test_the_backlog_gauge_counts_pending_documents_claimed_or_not(deployed, session, monkeypatch, size):
    pending_documents(session, deployed, size)
    with time_machine.travel(MOMENT, tick=False):
        document_claims.claim_next(session, MOMENT, documents.limits().wall_seconds)
        figures = operations.figures(session, MOMENT + timedelta(minutes=5))
    assert figures.documents_pending == size and figures.oldest_document_seconds == 300
