"""Documents: a diagram throws the message `document` and the engine fills a Word template of the bundle.

Templates are .docx files under forms/, written by staff in Word with {{ placeholders }}; they are filled
with docxtpl in a sandboxed Jinja environment, so a template can read case data but reach nothing else, and in
a child process with CPU, memory and size limits (`document_worker`), so a runaway template fails its document
and nothing else.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ..core.case_records import CaseDocument
from ..core.errors import NotFound
from ..core.messages import Msg
from ..core.models import Organization
from ..core.values import plain
from ..definitions.bundles import bundle_file
from ..definitions.limit_tables import bundle_rows, template_context
from ..time.workdays import CHINA_TZ
from . import document_claims, document_packing
from .document_worker import Limits, TemplateFailed, fill_in_child
from .document_worker import render  # noqa: F401 - documents.render fills in this process, without limits

INSERT_DOCUMENT = insert(CaseDocument.__table__)      # run by the instance's fast path with the step's writes
# What filling one document may use (the web's settings may set these at start-up). The CPU time includes the
# child's start, about half a second; the wall-clock limit leaves room for a busy machine.
FILL_CPU_SECONDS = 10
FILL_MEMORY_BYTES = 512 * 1024 * 1024
FILL_OUTPUT_BYTES = 20 * 1024 * 1024
FILL_WALL_SECONDS = 30.0


def limits() -> Limits:
    """The limits in force now (read at each fill, so a changed setting applies to the next document)."""
    return Limits(FILL_CPU_SECONDS, FILL_MEMORY_BYTES, FILL_OUTPUT_BYTES, FILL_WALL_SECONDS)


def handle_document(instance, payload) -> None:
    """The `document` message handler: queue `forms/<template>` to be filled with the case's data as it is now.

    The document is written in the step's transaction as *pending* and filled after commit (`render_pending`,
    run by the scheduler, or on first download), so a slow or broken template never holds up or fails a step.
    """
    if not isinstance(payload, dict) or not payload.get("template") or not payload.get("name"):
        raise ValueError(Msg("document.payload"))
    case, session, now = instance.case, instance.session, instance.engine.now()
    org = session.get(Organization, case.org_id) if case.org_id else None
    context = {**instance.current_data(), **(payload.get("data") or {}),
               "case": {"number": case.business_number or str(case.id), "title": case.title,
                        "organization": org.name if org else ""},
               "today": now.astimezone(CHINA_TZ).date().isoformat()}
    name = str(payload["name"])
    props = instance.engine.properties(case.definition_id, lambda: case.definition)
    bundle_id = props["bundle_id"]
    # The definition as the case holds it when loaded (a migration sets it), else the path read once per version:
    # a case row fresh in this step's session would need a query for its definition (as runtime's case_limits).
    definition = getattr(case, "__dict__", {}).get("definition")
    path = definition.file_path if definition is not None else props["file_path"]
    rows = bundle_rows(instance.engine.limit_tables, session, bundle_id, path)[1]
    if rows:        # a template reads limits.<name>.value, .text, .basis: the case's own version's table
        context.setdefault("limits", template_context(rows))
    instance.insert(INSERT_DOCUMENT, {
        "case_id": case.id, "bundle_id": bundle_id, "name": name, "template": f"forms/{payload['template']}",
        "filename": f"{case.business_number or case.id}-{name}.docx", "status": "pending", "context": plain(context),
        "created_at": now, "created_by": instance.actor})
    instance.audit("document_requested", name=name, template=f"forms/{payload['template']}")


def fill(session: Session, doc: CaseDocument) -> dict:
    """The stored values of one pending document filled from its bundle's template: `ready` with its content,
    compact (see `document_packing`; its context, needed no more, emptied), or `failed` with why when the template
    is broken or runaway (the child process reports what the template raised, or which limit stopped it)."""
    try:
        template = bundle_file(session, doc.bundle_id, doc.template)
        content = document_packing.compact(template, fill_in_child(template, doc.context, limits()))
    except (TemplateFailed, NotFound) as exc:
        # each reader sees why in their language
        return {"content": None, "sha256": None, "status": "failed", "error": exc.msg.dumps()}
    whole = document_packing.expand(template, content)
    return {"content": content, "sha256": hashlib.sha256(whole).hexdigest(), "status": "ready", "error": None,
            "context": {}}


def whole(session: Session, doc: CaseDocument) -> bytes | None:
    """A ready document's content as a download gets it: the whole .docx."""
    if not document_packing.is_compact(doc.content):
        return doc.content
    return document_packing.expand(bundle_file(session, doc.bundle_id, doc.template), doc.content)


def render_pending(session: Session, limit: int = 50, now: datetime | None = None) -> int:
    """Fill pending documents (oldest first), each claimed, filled and stored on its own; return how many were
    filled. Safe with several schedulers and downloads at once: see `document_claims`."""
    filled = 0
    while filled < limit:
        claimed = document_claims.claim_next(session, now or datetime.now(timezone.utc), limits().wall_seconds)
        if claimed is None:
            break
        doc, token = claimed
        filled += document_claims.finish(session, doc.id, token, fill(session, doc))
    session.rollback()
    return filled


def case_documents(session: Session, case_id: int) -> list[CaseDocument]:
    """A case's documents, oldest first (without their content)."""
    return list(session.scalars(select(CaseDocument).where(CaseDocument.case_id == case_id)
                                .order_by(CaseDocument.id).execution_options(populate_existing=True)))


def document(session: Session, case_id: int, document_id: int) -> CaseDocument:
    """One document of a case with its whole content (not attached to the session), filled now if it is still
    pending."""
    doc = session.scalar(select(CaseDocument).where(CaseDocument.id == document_id, CaseDocument.case_id == case_id))
    if doc is None:
        raise NotFound(Msg("document.not_found"), document=document_id)
    if doc.status == "pending":
        doc = _fill_now(session, doc)
    if document_packing.is_compact(doc.content):
        content = whole(session, doc)
        if doc in session:
            session.expunge(doc)        # the whole document is for this reader; the row keeps the compact one
        doc.content = content
    return doc


def _fill_now(session: Session, doc: CaseDocument) -> CaseDocument:
    """A pending document filled for the one asking: stored when its claim is free (or has expired); while a
    scheduler holds it, filled for this download alone and left for the scheduler to store."""
    doc_id, case_id = doc.id, doc.case_id
    claimed = document_claims.claim(session, doc_id, datetime.now(timezone.utc), limits().wall_seconds)
    if claimed is not None:
        document_claims.finish(session, doc_id, claimed, fill(session, doc))
        found = session.scalar(select(CaseDocument).where(CaseDocument.id == doc_id, CaseDocument.case_id == case_id)
                               .execution_options(populate_existing=True))
        if found is not None and found.status != "pending":
            return found
        doc = found or doc
    values = fill(session, doc)
    session.expunge(doc)            # this download's copy: nothing of it is written
    for name, value in values.items():
        setattr(doc, name, value)
    return doc
