"""Cases a member of the public starts without an account, and the little they may later see of them.

A process opts in with properties: `portalForm` (the JSON Schema the public fills in), `portalDefaults`
(JSON merged into the data, e.g. the intake channel), `portalDateField` (the field that gets the day of submission),
`portalOrgKinds` (kinds of organisation it may go to),
`publicFields` (case fields shown on the status page, as `field` or `field:label`), `publicDocuments` (documents,
by name or template, the status page offers for download once the case has them).
A user task's `publicStage` property names the stage the public sees while it is open."""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core.errors import CaseFailed, DataValidationError, EngineError, FieldError, NotFound
from ..core.messages import Msg
from ..core.case_records import CaseDocument
from ..core.models import Case, Organization, ProcessDefinition
from ..core.vocabulary import (
    NUMBER_PATTERN_PROPERTY, PORTAL_DATE_PROPERTY, PORTAL_DEFAULTS_PROPERTY, PORTAL_FORM_PROPERTY,
    PORTAL_ORG_KINDS_PROPERTY, PUBLIC_FIELDS_PROPERTY, PUBLIC_STAGE_PROPERTY, WIDGET_KEYWORD,
)
from ..definitions import forms
from ..definitions.bundles import bundle_file, latest_definition, latest_definitions
from ..definitions.limit_tables import bundle_rows, fill_placeholders
from ..runtime.limit_context import form_limits
from ..definitions.number_patterns import typed_candidates
from ..definitions.public_documents import public_document_entries
from ..records import attachments, documents
from ..records.directory import directory_errors
from ..runtime.cases import STATUS_LABELS, case_tasks, start_case
from .casework import case_data, field_titles
from .plain import readable_data

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"      # no 0/O, 1/I: read aloud over the phone
ITERATIONS = 120_000


def public_processes(session: Session) -> list[ProcessDefinition]:
    """Processes the public may start."""
    return [d for d in latest_definitions(session) if (d.properties or {}).get(PORTAL_FORM_PROPERTY)]


def public_form(engine, session: Session, process_key: str) -> tuple[ProcessDefinition, dict]:
    """A public process and the schema of its intake form."""
    definition = latest_definition(session, process_key)
    path = (definition.properties or {}).get(PORTAL_FORM_PROPERTY)
    if not path:
        raise NotFound(Msg("portal.no_online"), process=process_key)
    full = f"forms/{path}"
    load = lambda: bundle_file(session, definition.bundle_id, full)  # noqa: E731
    schema = engine.forms.validator(definition.bundle_id, full, load,
                                    form_limits(engine, session, definition.bundle_id, full)).schema
    if "{limit:" in json.dumps(schema, ensure_ascii=False):
        schema = fill_placeholders(schema, bundle_rows(engine.limit_tables, session, definition.bundle_id,
                                                       definition.file_path)[1])
    return definition, schema


def receiving_organizations(session: Session, definition: ProcessDefinition) -> list[Organization]:
    """Organisations a submission may be addressed to: those of the kinds the process names (`portalOrgKinds`),
    else every organisation below the root."""
    kinds = [k.strip() for k in (definition.properties or {}).get(PORTAL_ORG_KINDS_PROPERTY, "").split(",") if k.strip()]
    query = select(Organization).where(Organization.active).order_by(Organization.path)     # none deactivated
    query = query.where(Organization.kind.in_(kinds)) if kinds else query.where(Organization.parent_id.is_not(None))
    return list(session.scalars(query))


def submit(engine, session: Session, process_key: str, data: dict, org_code: str,
           files: dict[str, list[Upload]] | None = None, max_file_bytes: int = attachments.MAX_BYTES) -> tuple[Case, str]:
    """Check the submission (its files included: `files` by form field, each within `max_file_bytes` and of a type
    accepted) against the intake form, start the case with its files, and return it with its access code (shown
    once; only its hash is kept). A refused submission keeps nothing."""
    definition, schema = public_form(engine, session, process_key)
    data = forms.visible(schema, data)          # a field the form hides is neither demanded nor kept
    files = {name: found for name, found in (files or {}).items() if name in file_fields(schema) and found}
    problems = _problems(engine, session, definition, schema, {**data, **_placeholders(files)}, org_code)
    problems += [p for name, found in files.items() for upload in found
                 if (p := attachments.check(name, upload.filename, upload.content, max_file_bytes))]
    if problems:
        session.rollback()
        raise DataValidationError(Msg("portal.fix_count", count=len(problems)), problems)
    defaults = json.loads((definition.properties or {}).get(PORTAL_DEFAULTS_PROPERTY) or "{}")
    dated = (definition.properties or {}).get(PORTAL_DATE_PROPERTY)
    if dated:       # the day it arrived, in China time: what registration records as the date of receipt
        defaults[dated] = engine.today().isoformat()
    ids, described = _store_files(engine, session, files, max_file_bytes)
    case = _start_with_files(engine, session, process_key, {**defaults, **data, **described}, org_code, ids)
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    case.access_code_hash = _hash(code)
    session.commit()
    return case, code


def _store_files(engine, session: Session, files: dict[str, list[Upload]], max_bytes: int):
    """Store checked files before their case exists: their ids, and how the form's data refers to them."""
    kept = {name: [attachments.store(session, None, name, u.filename, u.content_type, u.content, actor="public",
                                     now=engine.now(), max_bytes=max_bytes) for u in found]
            for name, found in files.items()}
    described = {name: [attachments.describe(a) for a in found] for name, found in kept.items()}
    return [a.id for found in kept.values() for a in found], described


def _start_with_files(engine, session: Session, process_key: str, data: dict, org_code: str, ids: list[int]) -> Case:
    """Start the case and give it the files (in the transaction that stores its access code). Starting may commit
    the files on their own (SQLite's write transaction), so a case that does not start discards them, and one that
    fails is kept in error with them."""
    try:
        case = start_case(engine, session, process_key, data, org_code=org_code, actor="public")
    except EngineError as exc:
        if isinstance(exc, CaseFailed):
            attachments.adopt(session, exc.context["case"], ids)
        else:
            attachments.discard(session, ids)
        session.commit()
        raise
    attachments.adopt(session, case.id, ids)
    return case


class Upload(NamedTuple):
    """A file the public sent with a submission."""

    filename: str
    content_type: str
    content: bytes


def file_fields(schema: dict) -> set[str]:
    """The intake form's top-level fields that take files (`x-widget: files`)."""
    return {name for name, prop in (schema.get("properties") or {}).items()
            if prop.get(WIDGET_KEYWORD) in ("files", "file")}


def _placeholders(files: dict[str, list[Upload]]) -> dict[str, list[dict]]:
    """The files as the form's data will refer to them, for checking the form before anything is stored."""
    return {name: [{"attachment_id": 0, "filename": u.filename, "size": len(u.content)} for u in found]
            for name, found in files.items()}


def _problems(engine, session: Session, definition, schema: dict, data: dict, org_code: str) -> list:
    """What is wrong with a submission's data and the organisation it is addressed to."""
    bundle_id, path = definition.bundle_id, f"forms/{definition.properties[PORTAL_FORM_PROPERTY]}"
    load = lambda: bundle_file(session, bundle_id, path)  # noqa: E731
    problems = []
    try:
        engine.forms.check(bundle_id, path, load, data, form_limits(engine, session, bundle_id, path))
    except DataValidationError as exc:
        problems += exc.errors
    problems += directory_errors(session, schema, data)
    if org_code not in {o.code for o in receiving_organizations(session, definition)}:
        problems.append(FieldError("org", Msg("portal.choose_org"), "required"))
    return problems


def status(engine, session: Session, business_number: str, code: str) -> dict:
    """What the public may see of a case: its stage, the declared public fields and the public documents it has
    (`publicDocuments`). One answer for a wrong number and a wrong code, so neither can be probed."""
    case = _found(session, business_number, code)
    props = case.definition.properties or {}
    fields = [entry.strip().partition(":") for entry in props.get(PUBLIC_FIELDS_PROPERTY, "").split(",") if entry.strip()]
    data = case_data(engine, session, case) if fields else {}
    titles = field_titles(session, case.definition.bundle_id)
    data = readable_data(session, case, data)            # the public reads names, never ID numbers
    shown = [(label or titles.get(name, name), data[name]) for name, _, label in fields
             if data.get(name) not in (None, "", [])]
    return {"business_number": case.business_number, "received_at": case.created_at, "stage": _stage(engine, session, case),
            "finished": case.status in ("completed", "terminated"), "fields": shown,
            "documents": [{"id": d.id, "name": d.name, "created_at": d.created_at} for d in _public_documents(session, case)]}


def public_document(session: Session, business_number: str, code: str, document_id: int) -> CaseDocument:
    """One public document of a case, with its content, given the case's number and access code; any other
    document, or a wrong number or code, is not found."""
    case = _found(session, business_number, code)
    if document_id not in {d.id for d in _public_documents(session, case)}:
        raise NotFound(Msg("portal.not_found"))
    return documents.document(session, case.id, document_id)


def _public_documents(session: Session, case: Case) -> list[CaseDocument]:
    """The case's documents the process declares public (by name or template), unless filling one failed."""
    declared = public_document_entries(case.definition.properties)
    return [d for d in documents.case_documents(session, case.id)
            if d.status != "failed" and (d.name in declared or d.template.removeprefix("forms/") in declared)]


def _found(session: Session, business_number: str, code: str) -> Case:
    """The case a number and access code name, else NotFound; a number naming nothing costs what a wrong code
    costs."""
    patterns = [d.properties.get(NUMBER_PATTERN_PROPERTY) for d in latest_definitions(session)
                if (d.properties or {}).get(NUMBER_PATTERN_PROPERTY)]
    candidates = typed_candidates(business_number, patterns)
    found = session.scalars(select(Case).where(Case.business_number.in_(candidates))).all() if candidates else []
    case = next((c for c in found if _check(code.strip().upper(), c.access_code_hash)), None)
    if not found:
        _check(code.strip().upper(), None)
    if case is None:
        raise NotFound(Msg("portal.not_found"))
    return case


def _stage(engine, session: Session, case: Case) -> Msg | str:
    """The stage the public sees: the open task's `publicStage` (the diagram's words), else the case's status."""
    if case.status in ("completed", "terminated"):
        return STATUS_LABELS[case.status]
    spec, subs = engine.specs(case.definition_id, lambda: case.definition)
    specs = {s.bpmn_id: s for p in (spec, *subs.values()) for s in p.task_specs.values() if getattr(s, "bpmn_id", None)}
    for task in case_tasks(session, case.id, "ready"):
        stage = (getattr(specs.get(task.element_id), "extensions", None) or {}).get("properties", {}).get(PUBLIC_STAGE_PROPERTY)
        if stage:
            return stage
    return STATUS_LABELS["running"]


def _hash(code: str) -> str:
    salt = secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac("sha256", code.encode(), bytes.fromhex(salt), ITERATIONS).hex()
    return f"pbkdf2_sha256${ITERATIONS}${salt}${digest}"


def _check(code: str, stored: str | None) -> bool:
    if not stored:
        hashlib.pbkdf2_hmac("sha256", code.encode(), b"0" * 16, ITERATIONS)    # same cost either way
        return False
    _, iterations, salt, digest = stored.split("$")
    candidate = hashlib.pbkdf2_hmac("sha256", code.encode(), bytes.fromhex(salt), int(iterations)).hex()
    return hmac.compare_digest(candidate, digest)
