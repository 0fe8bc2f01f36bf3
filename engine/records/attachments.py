"""Files uploaded into a case's forms: stored with their hash, size-checked, read back only within the case."""
from __future__ import annotations

import hashlib
from pathlib import PurePath

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core.errors import DataValidationError, FieldError, NotFound
from ..core.models import Attachment

MAX_BYTES = 20 * 1024 * 1024
ALLOWED = {".pdf", ".jpg", ".jpeg", ".png", ".doc", ".docx", ".xls", ".xlsx", ".txt", ".ofd", ".zip", ".mp3", ".mp4"}


def store(session: Session, case_id: int, field: str, filename: str, content_type: str, content: bytes, *,
          actor: str, now) -> Attachment:
    """Keep one uploaded file of a case (flushed, not committed: the caller's transaction decides)."""
    name = PurePath(filename.replace("\\", "/")).name.strip()
    suffix = PurePath(name).suffix.lower()
    if not name:
        raise DataValidationError("文件无效", [FieldError(field, "文件名为空", "file")])
    if suffix not in ALLOWED:
        raise DataValidationError("文件类型不允许", [FieldError(
            field, f"不支持 {suffix or '无扩展名'} 文件；可上传 {'、'.join(sorted(ALLOWED))}", "file")])
    if len(content) > MAX_BYTES:
        raise DataValidationError("文件过大", [FieldError(field, f"{name} 超过 {MAX_BYTES // 1024 // 1024} MB", "file")])
    if not content:
        raise DataValidationError("文件为空", [FieldError(field, f"{name} 是空文件", "file")])
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
        raise NotFound("附件不存在", attachment=attachment_id)
    return found
