"""`publicDocuments`: which documents of a case its status page on the portal offers for download, by the name or
the template (a path under forms/) of the `document` message that makes them; checked at deploy against the
documents the process (and what it calls) can make."""
from __future__ import annotations

import ast

from ..core.errors import Problem
from ..core.messages import Msg
from ..core.vocabulary import DOCUMENT_MESSAGE, PUBLIC_DOCUMENTS_PROPERTY
from .tree_checks import BPMN_NS, SPIFF_NS


def public_document_entries(properties: dict | None) -> set[str]:
    """The names and template paths a process declares public."""
    text = (properties or {}).get(PUBLIC_DOCUMENTS_PROPERTY) or ""
    return {entry.strip() for entry in text.split(",") if entry.strip()}


def check_public_documents(path: str, key: str, node, properties: dict, spec, subs: dict,
                           problems: list[Problem]) -> None:
    """A problem for each declared entry no `document` message of the process can make, when every such message
    spells its name and template so they can be read (a computed name might make anything)."""
    declared = public_document_entries(properties)
    if not declared:
        return
    known = made_documents(spec, subs)
    if known is None:
        return
    unknown = sorted(declared - known)
    if unknown:
        line = _line(node)
        problems.append(Problem(path, Msg("validation.public_documents_unknown", names=", ".join(unknown),
                                          known=", ".join(sorted(known)) or "—"), element=key, line=line))


def _line(node) -> int:
    """The line of the `publicDocuments` property of a process element."""
    for prop in node.iterfind(f"{{{BPMN_NS}}}extensionElements/{{{SPIFF_NS}}}properties/{{{SPIFF_NS}}}property"):
        if prop.get("name") == PUBLIC_DOCUMENTS_PROPERTY:
            return prop.sourceline
    return node.sourceline


def made_documents(spec, subs: dict) -> set[str] | None:
    """The names (each branch of a conditional name) and templates of every document the process and the
    processes it calls can make, or None when one message computes its name or template in another way."""
    found: set[str] = set()
    for process in (spec, *(s for s in subs.values() if s is not None)):
        for task_spec in process.task_specs.values():
            event = getattr(task_spec, "event_definition", None)
            if getattr(event, "name", None) != DOCUMENT_MESSAGE or not getattr(event, "expression", None):
                continue
            read = _spelled(event.expression)
            if read is None:
                return None
            found |= read
    return found


def _spelled(expression: str) -> set[str] | None:
    """The constant name(s) and template of one `document` payload, or None when they are computed."""
    try:
        node = ast.parse(expression.strip(), mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    if not isinstance(node, ast.Dict):
        return None
    values = {k.value: v for k, v in zip(node.keys, node.values) if isinstance(k, ast.Constant)}
    found: set[str] = set()
    for name in ("template", "name"):
        constants = _constants(values.get(name))
        if constants is None:
            return None
        found |= constants
    return found


def _constants(node) -> set[str] | None:
    """The texts a constant or a conditional between constants can be (`"甲" if x else "乙"`), else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        body, other = _constants(node.body), _constants(node.orelse)
        return body | other if body is not None and other is not None else None
    return None
