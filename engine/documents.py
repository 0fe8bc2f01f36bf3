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
from .state import plain
from .statements import INSERT_DOCUMENT
from .workdays import CHINA_TZ, as_moment, day_of


def _cn_date(value) -> str:
    """2025年10月13日 from a date, a moment or an ISO string (a deadline shows the day it ends)."""
    if value in (None, ""):
        return ""
    if isinstance(value, str) and len(value) == 10:
        day = date.fromisoformat(value)
    elif isinstance(value, date) and not isinstance(value, datetime):
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
    """The `document` message handler: queue `forms/<template>` to be filled with the case's data as it is now.

    The document is written in the step's transaction as *pending* and filled after commit (`render_pending`,
    run by the scheduler, or on first download), so a slow or broken template never holds up or fails a step.
    """
    if not isinstance(payload, dict) or not payload.get("template") or not payload.get("name"):
        raise ValueError("document 消息的内容必须包含 template 和 name")
    case, session, now = instance.case, instance.session, instance.engine.now()
    org = session.get(Organization, case.org_id) if case.org_id else None
    context = {**instance.current_data(), **(payload.get("data") or {}),
               "case": {"number": case.business_number or str(case.id), "title": case.title,
                        "organization": org.name if org else ""},
               "today": now.astimezone(CHINA_TZ).date().isoformat()}
    name = str(payload["name"])
    bundle_id = instance.engine.properties(case.definition_id, lambda: case.definition)["bundle_id"]
    instance.insert(INSERT_DOCUMENT, {
        "case_id": case.id, "bundle_id": bundle_id, "name": name, "template": f"forms/{payload['template']}",
        "filename": f"{case.business_number or case.id}-{name}.docx", "status": "pending", "context": plain(context),
        "created_at": now, "created_by": instance.actor})
    instance.audit("document_requested", name=name, template=f"forms/{payload['template']}")


def fill(session: Session, doc: CaseDocument) -> None:
    """Fill one pending document from its bundle's template; a broken template marks it failed, with why."""
    try:
        content = render(bundle_file(session, doc.bundle_id, doc.template), doc.context)
    except Exception as exc:        # a template is staff-written data: any error it raises is reported, not raised
        doc.status, doc.error = "failed", f"{type(exc).__name__}: {exc}"
        return
    doc.content, doc.sha256, doc.status, doc.error = content, hashlib.sha256(content).hexdigest(), "ready", None


def render_pending(session: Session, limit: int = 50) -> int:
    """Fill pending documents (oldest first), committing each; return how many were handled."""
    ids = list(session.scalars(select(CaseDocument.id).where(CaseDocument.status == "pending")
                               .order_by(CaseDocument.id).limit(limit)))
    for doc_id in ids:
        doc = session.get(CaseDocument, doc_id)
        if doc is not None and doc.status == "pending":
            fill(session, doc)
            session.commit()
    return len(ids)


def case_documents(session: Session, case_id: int) -> list[CaseDocument]:
    """A case's documents, oldest first (without their content)."""
    return list(session.scalars(select(CaseDocument).where(CaseDocument.case_id == case_id)
                                .order_by(CaseDocument.id).execution_options(populate_existing=True)))


def document(session: Session, case_id: int, document_id: int) -> CaseDocument:
    """One document of a case with its content, filled now if it is still pending."""
    doc = session.scalar(select(CaseDocument).where(CaseDocument.id == document_id, CaseDocument.case_id == case_id))
    if doc is None:
        raise NotFound("文书不存在", document=document_id)
    if doc.status == "pending":
        fill(session, doc)
        session.commit()
    return doc
