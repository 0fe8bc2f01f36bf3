"""Files uploaded into a case's forms: stored with their hash, size-checked, read back only within the case."""
from __future__ import annotations

import hashlib
from pathlib import PurePath

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core.case_records import Attachment
from ..core.errors import DataValidationError, FieldError, NotFound
from ..core.messages import Msg

MAX_BYTES = 20 * 1024 * 1024
ALLOWED = {".pdf", ".jpg", ".jpeg", ".png", ".doc", ".docx", ".xls", ".xlsx", ".txt", ".ofd", ".zip", ".mp3", ".mp4"}


def store(session: Session, case_id: int, field: str, filename: str, content_type: str, content: bytes, *,
          actor: str, now) -> Attachment:
    """Keep one uploaded file of a case (flushed, not committed: the caller's transaction decides)."""
    name = PurePath(filename.replace("\\", "/")).name.strip()
    suffix = PurePath(name).suffix.lower()
    if not name:
        raise DataValidationError(Msg("attachment.invalid"), [FieldError(field, Msg("attachment.no_name"), "file")])
    if suffix not in ALLOWED:
        detail = Msg("attachment.type_detail", suffix=suffix or Msg("attachment.no_suffix"),
                     allowed=", ".join(sorted(ALLOWED)))
        raise DataValidationError(Msg("attachment.type_refused"), [FieldError(field, detail, "file")])
    if len(content) > MAX_BYTES:
        raise DataValidationError(Msg("attachment.too_large"), [FieldError(
            field, Msg("attachment.too_large_detail", name=name, mb=MAX_BYTES // 1024 // 1024), "file")])
    if not content:
        raise DataValidationError(Msg("attachment.empty"), [FieldError(
            field, Msg("attachment.empty_detail", name=name), "file")])
    found = Attachment(case_id=case_id, filename=name[:300], content_type=content_type or "application/octet-stream",
                       size=len(content), sha256=hashlib.sha256(content).hexdigest(), content=content,
                       uploaded_by=actor, created_at=now)
    session.add(found)
    session.flush()
    return found


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
