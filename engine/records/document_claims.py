"""Who fills a pending document: a claim on its row, so several schedulers (and a first download) fill it once.

A claim is taken in a short transaction of its own (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so fillers take
different rows without waiting on each other; SQLite's write lock makes one claimer at a time) and written on the
row: a token and a moment it lasts until. The filling, up to the document limits' wall-clock seconds in a child
process, runs outside any transaction; the filled document is stored by an update guarded by the token, so only the
claim's holder stores it. A filler that dies between its claim and its store leaves the row pending with a claim
that expires: once `claimed_until` has passed, the next filler takes it over, and a late store of the dead one (its
token replaced) changes nothing.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from ..core.case_records import CaseDocument
from ..core.db import begin_write

# How long a claim lasts beyond the wall-clock limit of one fill (the child is killed at that limit): room for
# storing the result on a busy database; a claim still held after that is taken to be a dead filler's.
CLAIM_MARGIN = timedelta(minutes=2)


def _free(now: datetime):
    return [CaseDocument.status == "pending",
            or_(CaseDocument.claimed_until.is_(None), CaseDocument.claimed_until < now)]


def claim_next(session: Session, now: datetime, fill_seconds: float) -> tuple[CaseDocument, str] | None:
    """The oldest pending document no live claim holds, claimed (committed) for `fill_seconds` and the margin,
    with the claim's token; None when there is none."""
    query = select(CaseDocument.id).where(*_free(now)).order_by(CaseDocument.id).limit(1)
    return _claim(session, query, now, fill_seconds)


def claim(session: Session, document_id: int, now: datetime, fill_seconds: float) -> str | None:
    """Claim one pending document (committed) and return the token; None when it is filled or claimed already."""
    found = _claim(session, select(CaseDocument.id).where(CaseDocument.id == document_id, *_free(now)), now,
                   fill_seconds)
    return found[1] if found is not None else None


def _claim(session: Session, query, now: datetime, fill_seconds: float) -> tuple[CaseDocument, str] | None:
    session.rollback()
    begin_write(session)
    document_id = session.scalar(query.with_for_update(skip_locked=True))
    if document_id is None:
        session.rollback()
        return None
    token = secrets.token_hex(16)
    until = now + timedelta(seconds=fill_seconds) + CLAIM_MARGIN
    session.execute(update(CaseDocument).where(CaseDocument.id == document_id)
                    .values(claimed_by=token, claimed_until=until).execution_options(synchronize_session=False))
    session.commit()
    return session.get(CaseDocument, document_id), token


def finish(session: Session, document_id: int, token: str, values: dict) -> int:
    """Store a filled document if the claim `token` still holds it (committed); 1 if it was stored, 0 if the
    claim had expired and another filler took the row over."""
    begin_write(session)
    stored = session.execute(
        update(CaseDocument).where(CaseDocument.id == document_id, CaseDocument.status == "pending",
                                   CaseDocument.claimed_by == token)
        .values(**values, claimed_by=None, claimed_until=None).execution_options(synchronize_session=False))
    session.commit()
    return stored.rowcount
