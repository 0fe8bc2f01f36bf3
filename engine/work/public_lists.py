"""Public lists on the portal and the messages the public may send to a listed case.

A process declares them (`publicLists`, `publicMessages`, see engine/definitions/public_declarations.py): a list
shows the running and finished cases whose reportable field equals a value, by business number, title and the
process's `publicFields`, or by business number and the list's own `publicListFields` (reportable, so a page reads
case rows only). No case id and no other data leaves here.
A public message goes through the engine's normal message delivery with the actor "public"."""
from __future__ import annotations

import secrets

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..core.errors import CaseFailed, DataValidationError, FieldError, InvalidState, NotAllowed, NotFound
from ..core.messages import Msg
from ..core.models import Case, ProcessDefinition
from ..definitions.bundles import latest_definition, latest_definitions
from ..definitions.public_declarations import (
    PublicList, public_field_names, public_list_fields, public_lists as declared_lists, public_messages,
)
from ..runtime.cases import send_message, waiting_messages
from .casework import case_fields, field_titles
from .plain import readable

LISTED_STATUSES = ("running", "completed")
MAX_TEXT = 2_000
MAX_SHORT = 100                     # a name or a contact
MAX_PER_PAGE = 100
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"    # read aloud over the phone: no 0/O, 1/I


def public_lists(session: Session) -> list[dict]:
    """Every public list the active processes declare: process, name, title and the messages it accepts."""
    return [_describe(definition, item) for definition in latest_definitions(session)
            for item in declared_lists(definition.properties).values()]


def _describe(definition: ProcessDefinition, item: PublicList) -> dict:
    accepts = [{"message": m.message, "title": m.title}
               for m in public_messages(definition.properties) if m.list == item.name]
    return {"process": definition.process_key, "process_name": definition.name, "name": item.name,
            "title": item.title, "messages": accepts}


def list_heading(session: Session, process_key: str, name: str) -> dict:
    """A declared list's process, name, title and the messages it accepts, without its rows."""
    return _describe(*_declared(session, process_key, name))


def _declared(session: Session, process_key: str, name: str) -> tuple[ProcessDefinition, PublicList]:
    """The active definition of a process and its public list `name`; NotFound for a list nobody declared."""
    try:
        definition = latest_definition(session, process_key)
    except NotFound:
        definition = None
    item = declared_lists(definition.properties).get(name) if definition is not None else None
    if item is None:
        raise NotFound(Msg("public.list_not_found", process=process_key, name=name), process=process_key, list=name)
    return definition, item


def _listed(process_key: str, item: PublicList):
    """The query of the cases a list shows."""
    return select(Case).where(Case.process_key == process_key, Case.status.in_(LISTED_STATUSES),
                              Case.meta[item.field].as_string() == item.value)


def public_list(session: Session, process_key: str, name: str, page: int = 1, per_page: int = 20) -> dict:
    """One page of a public list: each row a case's business number, title and public fields, nothing else."""
    definition, item = _declared(session, process_key, name)
    per_page = min(max(int(per_page), 1), MAX_PER_PAGE)
    total = session.scalar(select(func.count()).select_from(_listed(process_key, item).subquery()))
    pages = max((total + per_page - 1) // per_page, 1)
    page = min(max(int(page), 1), pages)
    found = session.scalars(_listed(process_key, item).order_by(Case.id).offset((page - 1) * per_page).limit(per_page))
    own = public_list_fields(definition.properties).get(item.name)
    shown = own or public_field_names(definition.properties)
    rows = [{"number": case.business_number, "title": None if own else case.title,
             "fields": _public_fields(session, case, shown)} for case in found]
    return {**_describe(definition, item), "rows": rows, "page": page, "per_page": per_page, "total": total,
            "pages": pages, "columns": _column_titles(session, definition, shown), "titled": not own}


def _public_fields(session: Session, case: Case, shown: list[tuple[str, str]]) -> list:
    """The case's public field values, in the declared order, by their labels (an empty cell for a missing one)."""
    values = {field: value for field, _, value in readable(session, case, case_fields(session, case), full=False)}
    return [values.get(field, "") for field, _ in shown]


def _column_titles(session: Session, definition: ProcessDefinition, shown: list[tuple[str, str]]) -> list[str]:
    """Each public field's label: the one `publicFields` gives, else its form title."""
    titles = field_titles(session, definition.bundle_id)
    return [label or titles.get(field, field) for field, label in shown]


def send_public_message(engine, session: Session, process_key: str, list_name: str, number: str, message: str,
                        payload: dict) -> dict:
    """Send a message from the public to a case shown in a list that accepts it, while the case waits for it.

    The payload is `{name, contact, text, submitted_at, reference}`; the answer is the reference, the number and
    the moment, for the sender's receipt. Refused, nothing is saved."""
    definition, item = _declared(session, process_key, list_name)
    if not any(m.message == message and m.list == item.name for m in public_messages(definition.properties)):
        raise NotAllowed(Msg("public.message_not_accepted", name=item.name, message=message), list=item.name)
    sent = _checked_payload(payload)
    case = session.scalar(_listed(process_key, item).where(Case.business_number == (number or "").strip()))
    if case is None:
        raise NotFound(Msg("public.case_not_listed", number=number), list=item.name)
    not_waiting = InvalidState(Msg("public.case_not_waiting", number=case.business_number, message=message),
                               list=item.name)
    if message not in waiting_messages(engine, session, case.id):
        raise not_waiting
    sent.update(submitted_at=engine.now().isoformat(), reference=_reference())
    try:
        send_message(engine, session, case.id, message, sent, actor="public")
    except InvalidState as exc:     # it stopped waiting between the look and the send
        if exc.message_code in ("case.not_waiting_message", "case.wrong_status"):
            raise not_waiting from None
        raise
    except CaseFailed:              # staff see why in the case; the public is told no more than that it failed
        raise CaseFailed(Msg("public.not_received", number=case.business_number), list=item.name) from None
    return {"reference": sent["reference"], "number": case.business_number, "submitted_at": sent["submitted_at"]}


def _checked_payload(payload: dict) -> dict:
    """The sender's name, contact and text, trimmed; every problem at once by field."""
    sent = {key: str((payload or {}).get(key) or "").strip() for key in ("name", "contact", "text")}
    problems = []
    if not sent["text"]:
        problems.append(FieldError("text", Msg("public.text_required"), "required"))
    for key, limit in (("name", MAX_SHORT), ("contact", MAX_SHORT), ("text", MAX_TEXT)):
        if len(sent[key]) > limit:
            problems.append(FieldError(key, Msg("public.too_long", limit=limit), "maxLength"))
    if problems:
        raise DataValidationError(Msg("public.message_invalid", count=len(problems)), problems)
    return sent


def _reference() -> str:
    """A reference the sender quotes when asking about the message (it is in the case data staff see)."""
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(10))
