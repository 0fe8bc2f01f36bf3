"""Documents: a diagram throws the message `document` and the engine fills a Word template of the bundle.

Templates are .docx files under forms/, written by staff in Word with {{ placeholders }}; they are filled
with docxtpl in a sandboxed Jinja environment, so a template can read case data but reach nothing else.
"""
from __future__ import annotations

import hashlib
import io
from datetime import date, datetime

from docxtpl import DocxTemplate
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import select
from sqlalchemy.orm import Session

from .bundles import bundle_file
from .errors import NotFound
from .models import CaseDocument, Organization
from .workdays import CHINA_TZ, as_moment, day_of



def _cn_date(value) -> str:
    """2025年10月13日 from a date, a moment or an ISO string (a deadline shows the day it ends)."""
    if value in (None, ""):
        return ""
    if isinstance(value, date) and not isinstance(value, datetime):
        day = value
    else:
        day = day_of(as_moment(value))
    return f"{day.year}年{day.month}月{day.day}日"


def _environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(autoescape=False)
    env.filters["cn_date"] = _cn_date
    return env


def render(template: bytes, context: dict) -> bytes:
    """Fill a .docx template with a context; return the new document."""
    doc = DocxTemplate(io.BytesIO(template))
    doc.render(context, jinja_env=_environment())
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def handle_document(instance, payload) -> None:
    """The `document` message handler: fill `forms/<template>` with the case's data and attach it to the case."""
    if not isinstance(payload, dict) or not payload.get("template") or not payload.get("name"):
        raise ValueError("document 消息的内容必须包含 template 和 name")
    case, session, now = instance.case, instance.session, instance.engine.now()
    path = f"forms/{payload['template']}"
    bundle_id = instance.engine.properties(case.definition_id, lambda: case.definition)["bundle_id"]
    try:
        template = bundle_file(session, bundle_id, path)
    except NotFound as exc:
        raise ValueError(f"文书模板 {path} 不在流程包中") from exc
    org = session.get(Organization, case.org_id) if case.org_id else None
    context = {**instance.current_data(), **(payload.get("data") or {}),
               "case": {"number": case.business_number or str(case.id), "title": case.title,
                        "organization": org.name if org else ""},
               "today": now.astimezone(CHINA_TZ).date()}
    content = render(template, context)
    name = str(payload["name"])
    session.add(CaseDocument(
        case_id=case.id, name=name, template=path, filename=f"{case.business_number or case.id}-{name}.docx",
        content=content, sha256=hashlib.sha256(content).hexdigest(), created_at=now, created_by=instance.actor))
    instance.audit("document_generated", name=name, template=path)


def case_documents(session: Session, case_id: int) -> list[CaseDocument]:
    """A case's documents, oldest first (without their content)."""
    return list(session.scalars(select(CaseDocument).where(CaseDocument.case_id == case_id)
                                .order_by(CaseDocument.id)))


def document(session: Session, case_id: int, document_id: int) -> CaseDocument:
    """One document of a case, with its content."""
    doc = session.scalar(select(CaseDocument).where(CaseDocument.id == document_id, CaseDocument.case_id == case_id))
    if doc is None:
        raise NotFound("文书不存在", document=document_id)
    return doc
