"""Public lists and public messages a process declares for the portal, read and checked at deploy.

`publicLists` = `name=field=value:title, …`: a list of the process's cases whose reportable field equals the value.
`publicListFields` = `list=field:label|field:label, …`: the reportable fields a list shows instead of the case's
title and `publicFields` (a list whose titles would name a person who is not to be published).
`publicMessages` = `message=list:title, …`: the public may send that message to a case shown in that list.
The web shows the titles as the diagram writes them; the names stay in URLs and forms."""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..core.errors import Problem
from ..core.messages import Msg
from ..core.vocabulary import (
    NUMBER_PATTERN_PROPERTY, PUBLIC_FIELDS_PROPERTY, PUBLIC_LIST_FIELDS_PROPERTY, PUBLIC_LISTS_PROPERTY,
    PUBLIC_MESSAGES_PROPERTY, REPORTABLE_PROPERTY,
)
from .tree_checks import BPMN_NS, SPIFF_NS

LIST_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")     # it goes into the list's address


@dataclass(frozen=True)
class PublicList:
    """One declared public list: the cases whose reportable `field` equals `value`."""

    name: str
    field: str
    value: str
    title: str


@dataclass(frozen=True)
class PublicMessage:
    """One message the public may send to a case of a list."""

    message: str
    list: str
    title: str


def _entries(text: str | None) -> list[str]:
    return [entry.strip() for entry in (text or "").split(",") if entry.strip()]


def _list_entry(entry: str) -> PublicList | None:
    """`name=field=value:title` read, or None when it is not written so."""
    head, _, title = entry.partition(":")
    parts = [p.strip() for p in head.split("=", 2)]
    if len(parts) != 3 or not all(parts) or not title.strip() or not LIST_NAME.fullmatch(parts[0]):
        return None
    return PublicList(parts[0], parts[1], parts[2], title.strip())


def _message_entry(entry: str) -> PublicMessage | None:
    """`message=list:title` read, or None when it is not written so."""
    head, _, title = entry.partition(":")
    message, equals, name = (p.strip() for p in head.partition("="))
    if not (message and equals and name and title.strip()):
        return None
    return PublicMessage(message, name, title.strip())


def public_lists(properties: dict | None) -> dict[str, PublicList]:
    """A process's public lists by name (entries deploy refused are never stored, so none are skipped here)."""
    found = (_list_entry(e) for e in _entries((properties or {}).get(PUBLIC_LISTS_PROPERTY)))
    return {item.name: item for item in found if item is not None}


def public_messages(properties: dict | None) -> list[PublicMessage]:
    """The messages the public may send to a process's listed cases."""
    found = (_message_entry(e) for e in _entries((properties or {}).get(PUBLIC_MESSAGES_PROPERTY)))
    return [item for item in found if item is not None]


def public_field_names(properties: dict | None) -> list[tuple[str, str]]:
    """`publicFields` as (name, label) pairs; the label is empty when the entry gives none."""
    pairs = (entry.partition(":") for entry in _entries((properties or {}).get(PUBLIC_FIELDS_PROPERTY)))
    return [(name.strip(), label.strip()) for name, _, label in pairs]


def public_list_fields(properties: dict | None) -> dict[str, list[tuple[str, str]]]:
    """`publicListFields` as the (name, label) pairs each named list shows; lists not named there show none."""
    found: dict[str, list[tuple[str, str]]] = {}
    for entry in _entries((properties or {}).get(PUBLIC_LIST_FIELDS_PROPERTY)):
        name, _, fields = entry.partition("=")
        pairs = (f.partition(":") for f in fields.split("|") if f.strip())
        found[name.strip()] = [(field.strip(), label.strip()) for field, _, label in pairs]
    return found


def check_public_declarations(path: str, key: str, node, properties: dict, caught: set[str],
                              problems: list[Problem]) -> None:
    """Problems with a process's public lists and messages, each at the line of the property that holds it."""
    lists_text, messages_text = properties.get(PUBLIC_LISTS_PROPERTY), properties.get(PUBLIC_MESSAGES_PROPERTY)
    if lists_text is None and messages_text is None and properties.get(PUBLIC_LIST_FIELDS_PROPERTY) is None:
        return
    lines = _property_lines(node)

    def problem(name: str, msg: Msg) -> None:
        problems.append(Problem(path, msg, element=key, line=lines.get(name, node.sourceline)))

    reportable = {f.strip() for f in (properties.get(REPORTABLE_PROPERTY) or "").split(",") if f.strip()}
    declared: set[str] = set()
    for entry in _entries(lists_text):
        item = _list_entry(entry)
        if item is None:
            problem(PUBLIC_LISTS_PROPERTY, Msg("validation.public_list_entry", entry=entry))
        elif item.name in declared:
            problem(PUBLIC_LISTS_PROPERTY, Msg("validation.public_list_duplicate", name=item.name))
        else:
            declared.add(item.name)
            if item.field not in reportable:
                problem(PUBLIC_LISTS_PROPERTY, Msg("validation.public_list_field", name=item.name, field=item.field,
                                                   property=REPORTABLE_PROPERTY))
    hidden = [name for name, _ in public_field_names(properties) if name not in reportable]
    if declared and hidden:          # a list reads the case rows only, never each case's workflow
        problem(PUBLIC_FIELDS_PROPERTY, Msg("validation.public_fields_reportable", fields=", ".join(hidden),
                                            property=REPORTABLE_PROPERTY))
    _check_list_fields(properties, declared, reportable, problem)
    _check_messages(messages_text, declared, caught, properties, problem)


def _check_list_fields(properties: dict, declared: set[str], reportable: set[str], problem) -> None:
    """Each list `publicListFields` names is declared, and shows reportable fields only."""
    for name, pairs in public_list_fields(properties).items():
        if name not in declared:
            problem(PUBLIC_LIST_FIELDS_PROPERTY, Msg("validation.public_list_fields_list", list=name,
                                                     property=PUBLIC_LISTS_PROPERTY))
        hidden = [field for field, _ in pairs if field not in reportable] or ([] if pairs else ["—"])
        if hidden:
            problem(PUBLIC_LIST_FIELDS_PROPERTY, Msg("validation.public_fields_reportable", fields=", ".join(hidden),
                                                     property=REPORTABLE_PROPERTY))


def _check_messages(text: str | None, declared: set[str], caught: set[str], properties: dict, problem) -> None:
    seen: set[tuple[str, str]] = set()
    for entry in _entries(text):
        item = _message_entry(entry)
        if item is None:
            problem(PUBLIC_MESSAGES_PROPERTY, Msg("validation.public_message_entry", entry=entry))
            continue
        if (item.message, item.list) in seen:
            problem(PUBLIC_MESSAGES_PROPERTY, Msg("validation.public_message_duplicate", message=item.message,
                                                  list=item.list))
        seen.add((item.message, item.list))
        if item.list not in declared:
            problem(PUBLIC_MESSAGES_PROPERTY, Msg("validation.public_message_list", message=item.message,
                                                  list=item.list, property=PUBLIC_LISTS_PROPERTY))
        if item.message not in caught:
            problem(PUBLIC_MESSAGES_PROPERTY, Msg("validation.public_message_uncaught", message=item.message))
    if seen and not properties.get(NUMBER_PATTERN_PROPERTY):     # the public names a case by its number
        problem(PUBLIC_MESSAGES_PROPERTY, Msg("validation.public_message_number", property=NUMBER_PATTERN_PROPERTY))


def _property_lines(node) -> dict[str, int]:
    """The line of each property of a process element, by name."""
    found = node.findall(f"{{{BPMN_NS}}}extensionElements/{{{SPIFF_NS}}}properties/{{{SPIFF_NS}}}property")
    return {prop.get("name"): prop.sourceline for prop in found}


def caught_messages(spec, subs: dict) -> set[str]:
    """Names of the messages some element of a process (or the processes it calls) catches."""
    names = set()
    for process in (spec, *(s for s in subs.values() if s is not None)):
        for task_spec in process.task_specs.values():
            event = getattr(task_spec, "event_definition", None)
            if type(event).__name__ == "MessageEventDefinition" and "Throw" not in type(task_spec).__name__:
                names.add(event.name)
    return names
