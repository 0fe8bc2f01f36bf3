"""Files uploaded into a case's forms: stored with their hash, size-checked, read back only within the case."""
from __future__ import annotations

import hashlib
from pathlib import PurePath

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from ..core.case_records import Attachment
from ..core.errors import DataValidationError, FieldError, NotFound
from ..core.messages import Msg

MAX_BYTES = 20 * 1024 * 1024
ALLOWED = {".pdf", ".jpg", ".jpeg", ".png", ".doc", ".docx", ".xls", ".xlsx", ".txt", ".ofd", ".zip", ".mp3", ".mp4"}


def check(field: str, filename: str, content: bytes, max_bytes: int = MAX_BYTES) -> FieldError | None:
    """What is wrong with one uploaded file of a form field, or None: no name, a type not accepted, larger than
    `max_bytes`, or empty."""
    found = _problem(field, filename, content, max_bytes)
    return found[1] if found else None


def _problem(field: str, filename: str, content: bytes, max_bytes: int) -> tuple[Msg, FieldError] | None:
    name = _name(filename)
    suffix = PurePath(name).suffix.lower()
    if not name:
        return Msg("attachment.invalid"), FieldError(field, Msg("attachment.no_name"), "file")
    if suffix not in ALLOWED:
        detail = Msg("attachment.type_detail", suffix=suffix or Msg("attachment.no_suffix"),
                     allowed=", ".join(sorted(ALLOWED)))
        return Msg("attachment.type_refused"), FieldError(field, detail, "file")
    if len(content) > max_bytes:
        return Msg("attachment.too_large"), FieldError(field, Msg("attachment.too_large_detail", name=name,
                                                                  mb=_megabytes(max_bytes)), "file")
    if not content:
        return Msg("attachment.empty"), FieldError(field, Msg("attachment.empty_detail", name=name), "file")
    return None


def _name(filename: str) -> str:
    return PurePath(filename.replace("\\", "/")).name.strip()


def _megabytes(size: int) -> int | float:
    """A limit in MB as people write it: whole when it is, else to one decimal (never 0)."""
    mb = size / 1024 / 1024
    return int(mb) if mb == int(mb) else max(round(mb, 1), 0.1)


def store(session: Session, case_id: int | None, field: str, filename: str, content_type: str, content: bytes, *,
          actor: str, now, max_bytes: int = MAX_BYTES) -> Attachment:
    """Keep one uploaded file of a case (flushed, not committed: the caller's transaction decides). Without a
    case yet (`case_id` None) it belongs to nobody until `adopt` gives it to the case it came with."""
    found = _problem(field, filename, content, max_bytes)
    if found:
        raise DataValidationError(found[0], [found[1]])
    kept = Attachment(case_id=case_id, filename=_name(filename)[:300],
                      content_type=content_type or "application/octet-stream", size=len(content),
                      sha256=hashlib.sha256(content).hexdigest(), content=content, uploaded_by=actor, created_at=now)
    session.add(kept)
    session.flush()
    return kept


def adopt(session: Session, case_id: int, ids: list[int]) -> None:
    """Give files stored before their case existed to that case (not committed)."""
    if ids:
        session.execute(update(Attachment).where(Attachment.id.in_(ids), Attachment.case_id.is_(None))
                        .values(case_id=case_id))


def discard(session: Session, ids: list[int]) -> None:
    """Remove files stored for a case that never started (not committed)."""
    if ids:
        session.execute(delete(Attachment).where(Attachment.id.in_(ids), Attachment.case_id.is_(None)))


def listed(session: Session, case_id: int) -> list[Attachment]:
    """A case's files, oldest first (their content is read only when asked for)."""
    return list(session.scalars(select(Attachment).where(Attachment.case_id == case_id).order_by(Attachment.id)))


def describe(attachment: Attachment) -> dict:
    """How a form's data refers to a file."""
    return {"attachment_id": attachment.id, "filename": attachment.filename, "size": attachment.size}


def of_case(session: Session, case_id: int, ids: list[int]) -> list[Attachment]:
    """The case's attachments among `ids` (others are ignored)."""
    if not ids:
        return []
    return list(session.scalars(select(Attachment).where(Attachment.case_id == case_id, Attachment.id.in_(ids))))


def attachment(session: Session, case_id: int, attachment_id: int) -> Attachment:
    """One attachment of a case, with its content."""
    found = session.scalar(select(Attachment).where(Attachment.id == attachment_id, Attachment.case_id == case_id))
    if found is None:
        raise NotFound(Msg("attachment.not_found"), attachment=attachment_id)
    return found
