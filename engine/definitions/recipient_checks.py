"""Checks of recipients (core/recipients.py) where a diagram spells them: every task's lane, and the `to` of each
`notify` and `copy` it throws when written as constants. An address that cannot be read or a task that is no user
task of the process is an error wherever it is checked; an organisation, role or person that the database does
not hold is one when the database is at hand (a plain role of the case's organisation is left alone, as the
diagrams of a fresh installation are deployed before its people are loaded)."""
from __future__ import annotations

import ast

from ..core.messages import Msg
from ..core.recipients import ROLE, TASK, USER, KnownPeople, RecipientError, parse
from ..core.vocabulary import COPY_MESSAGE, NOTIFY_MESSAGE, SENDER_ROLES_PROPERTY, TRANSFER_ROLES_PROPERTY
from .code_checks import UNPARSABLE

ADDRESSED_MESSAGES = (NOTIFY_MESSAGE, COPY_MESSAGE)


def recipient_problems(task_spec, human_ids: frozenset[str], known: KnownPeople | None,
                       lanes_seen: set[str]) -> list[Msg]:
    """What is wrong with the recipients a task spec names: its lane (each lane once per process, in
    `lanes_seen`) and the constant `to` of a notify or copy it throws."""
    found: list[Msg] = []
    lane = getattr(task_spec, "lane", None)
    if getattr(task_spec, "manual", False) and lane and lane not in lanes_seen:
        lanes_seen.add(lane)
        found += address_problems(lane, Msg("validation.recipient_lane"), human_ids, known)
    event = getattr(task_spec, "event_definition", None)
    if getattr(event, "name", None) in ADDRESSED_MESSAGES and getattr(event, "expression", None):
        where = Msg("validation.recipient_payload", message=event.name)
        for text in constant_recipients(event.expression):
            found += address_problems(text, where, human_ids, known)
    return found


def constant_recipients(expression: str) -> list[str]:
    """The addresses a payload's `to` spells as constants (a text, or texts in a list); computed ones are checked
    when they run."""
    try:
        node = ast.parse(expression.strip(), mode="eval").body
    except UNPARSABLE:
        return []
    if not isinstance(node, ast.Dict):
        return []
    for key, value in zip(node.keys, node.values):
        if isinstance(key, ast.Constant) and key.value == "to":
            items = value.elts if isinstance(value, (ast.List, ast.Tuple)) else [value]
            return [item.value for item in items if isinstance(item, ast.Constant) and isinstance(item.value, str)]
    return []


def address_problems(text: str, where: Msg, human_ids: frozenset[str], known: KnownPeople | None) -> list[Msg]:
    """What is wrong with one address (`where`: the lane, or which message's recipient it is)."""
    try:
        address = parse(text)
    except RecipientError:
        return [Msg("validation.recipient_bad", where=where, to=text)]
    if address.kind == TASK:
        return [] if address.name in human_ids else [
            Msg("validation.recipient_unknown_task", where=where, to=text, task=address.name)]
    if known is None:
        return []
    if address.kind == USER:
        return [] if known.user(address.name) else [
            Msg("validation.recipient_unknown_user", where=where, to=text, username=address.name)]
    found = []
    if address.kind == ROLE and address.where is not None and not known.role(address.name):
        found.append(Msg("validation.recipient_unknown_role", where=where, to=text, role=address.name))
    if address.org_code is not None and not known.organization(address.org_code):
        found.append(Msg("validation.recipient_unknown_org", where=where, to=text, code=address.org_code))
    return found


def named_roles(task_spec) -> list[tuple[str, str, bool]]:
    """(how, role, plain) for each role a task spec names: its lane and the constant `to` of a notify or copy it
    throws (plain: no organisation named), and its transferRoles and senderRoles (always plain). People, tasks
    and addresses that cannot be read are left out (`recipient_problems` reports those)."""
    named = []
    lane = getattr(task_spec, "lane", None)
    if getattr(task_spec, "manual", False) and lane:
        named += [("lane", *role) for role in _roles_of([lane])]
    event = getattr(task_spec, "event_definition", None)
    if getattr(event, "name", None) in ADDRESSED_MESSAGES and getattr(event, "expression", None):
        named += [(event.name, *role) for role in _roles_of(constant_recipients(event.expression))]
    props = (getattr(task_spec, "extensions", None) or {}).get("properties") or {}
    for prop in (TRANSFER_ROLES_PROPERTY, SENDER_ROLES_PROPERTY):
        named += [(prop, name, True) for name in listed_roles(props.get(prop))]
    return named


def listed_roles(value) -> list[str]:
    """The roles of a comma-separated property."""
    return [part.strip() for part in str(value or "").split(",") if part.strip()]


def _roles_of(addresses: list[str]) -> list[tuple[str, bool]]:
    found = []
    for text in addresses:
        try:
            address = parse(text)
        except RecipientError:
            continue
        if address.kind == ROLE:
            found.append((address.name, address.where is None))
    return found


def unregistered_roles(task_spec, known: KnownPeople | None, seen: set[str]) -> list[Msg]:
    """The plain roles a task names that the role catalogue lacks, each once per process (`seen`): a warning, as
    the catalogue may get them later; only while the catalogue holds some role (a fresh installation deploys its
    diagrams before it loads its people). A role named with its organisation is `recipient_problems`' error."""
    if known is None:
        return []
    found = []
    for how, name, plain in named_roles(task_spec):
        if plain and name not in seen:
            seen.add(name)
            if known.any_role() and not known.role(name):
                found.append(Msg("validation.role_unregistered", where=_place(how), role=name))
    return found


def _place(how: str) -> Msg:
    if how == "lane":
        return Msg("validation.recipient_lane")
    if how in ADDRESSED_MESSAGES:
        return Msg("validation.recipient_payload", message=how)
    return Msg("text", text=how)
