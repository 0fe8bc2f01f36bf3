"""What the modeler offers as choices for a draft's diagram: the draft's forms, processes and decisions, the roles,
the messages the engine handles and the lawflow properties each kind of element may carry (from the vocabulary,
so a new term appears in the panel without a change here)."""
from __future__ import annotations

import re

from lxml import etree
from sqlalchemy import select

from engine.core import Role, vocabulary
from engine.definitions import drafts, limit_tables

from .engine_text import engine_text

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


def choices(db, content: dict[str, bytes], diagram: str = "") -> dict:
    """The choice lists of the properties panel for a draft whose files are `content` (and, for the diagram at
    `diagram`, the rows of its limits table)."""
    processes, decisions = [], []
    for path in sorted(content):
        if not path.endswith((".bpmn", ".dmn")):
            continue
        try:
            root = etree.fromstring(content[path], _PARSER)
        except etree.XMLSyntaxError:
            continue                    # validation names the broken file; the choices simply leave it out
        found = processes if path.endswith(".bpmn") else decisions
        tag = "{*}process" if path.endswith(".bpmn") else "{*}decision"
        found.extend({"id": node.get("id"), "name": node.get("name") or node.get("id"), "file": path}
                     for node in root.iter(tag) if node.get("id"))
    properties: dict[str, list[dict]] = {}
    for term in vocabulary.TERMS:
        if term.where in vocabulary.PROPERTIES_OF:
            properties.setdefault(term.where, []).append(
                {"name": term.name, "parsed": term.parsed, "meaning": term.meaning})
    return {
        "forms": sorted(p.removeprefix("forms/") for p in content if p.endswith(".schema.json")),
        "roles": [r.name for r in db.scalars(select(Role).order_by(Role.name))],
        "processes": processes,
        "decisions": decisions,
        "messages": [t.name for t in vocabulary.TERMS if t.where == vocabulary.MESSAGE],
        "properties": properties,
        "kinds": {"process": vocabulary.PROCESS, "task": vocabulary.TASK, "catch": vocabulary.CATCH_EVENT,
                  "timer": vocabulary.TIMER},
        # the roles a role list (senderRoles, transferRoles, starterRoles) may name, by code or by name
        "role_codes": [{"code": r.code, "name": r.name} for r in db.scalars(select(Role).order_by(Role.name))],
        # the helpers of the vocabulary, appended to the script, timer and due-expression hints (issue 21)
        "helpers": helper_signatures(),
        # the rows of the diagram's limits table, the choices of a step's `timeLimit` (issue 21)
        "limits": [{"name": name, "label": row["label"], "text": limit_tables.value_text(row)}
                   for name, row in limit_tables.rows_beside(content, limit_tables.table_path(diagram)).items()],
    }


def helper_signatures() -> list[str]:
    """Each helper of the vocabulary with its first form of arguments, e.g. `limit_due(name, start)`."""
    found = []
    for term in vocabulary.TERMS:
        if term.where == vocabulary.HELPER:
            form = re.search(r"`(\([^`]*\))`", term.parsed)
            found.append(term.name + (form.group(1) if form else "()"))
    return found


def problems(db, engine, draft_id: int) -> list[dict]:
    """The draft's problems as the modeler shows them on their elements (as a save answers them): the page opened
    from a problem on the draft page shows it at once."""
    return [{"file": p.file, "element": p.element, "line": p.line, "message": engine_text(p), "severity": p.severity}
            for p in drafts.validate(db, engine, draft_id)]
