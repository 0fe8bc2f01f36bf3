"""The web's one seam to scoring standards (issue 16): where a standard, a sheet's starting entries, an earlier
sheet and a sheet's result come from. Every engine call the score-sheet pages make is here, so the pages do not
change when the engine's scoring functions are rewired."""
from __future__ import annotations

import copy
import json

from flask import g

from engine.core import vocabulary, Case, HumanTask
from engine.definitions import bundles
from engine.records import attachments
from engine.runtime import cases
from engine.work import casework, score_sheet_start

STANDARD_KEYWORD = vocabulary.STANDARD_KEYWORD              # a score sheet's standard (a path under forms/)
COMPARE_KEYWORD = vocabulary.STANDARD_COMPARE_KEYWORD       # the case data holding an earlier sheet to show beside it
_STANDARDS: dict[tuple[str, str], dict] = {}     # by the bundle's content hash: the same in every database


def is_sheet(prop) -> bool:
    """Whether a form field is a score sheet."""
    return isinstance(prop, dict) and prop.get("type") == "object" and bool(prop.get(STANDARD_KEYWORD))


def sheet_props(schema: dict) -> dict[str, dict]:
    """The top-level score-sheet fields of a form, by name."""
    return {key: prop for key, prop in (schema.get("properties") or {}).items() if is_sheet(prop)}


def standard(db, case: Case, path: str) -> dict:
    """A standard (a bundle file under forms/) of the bundle version the case runs on (for a completed sheet;
    an open task's comes with its starting entries)."""
    key = (case.definition.bundle.content_hash, path)
    if key not in _STANDARDS:
        _STANDARDS[key] = json.loads(bundles.bundle_file(db, case.definition.bundle_id, f"forms/{path}"))
    return _STANDARDS[key]


def case_data(eng, db, case: Case) -> dict:
    """What the case knows now (earlier sheets, a sheet's stored result)."""
    return casework.case_data(eng, db, case)


def _started(eng, db, task: HumanTask) -> dict[str, dict]:
    """The engine's start of each score sheet of an open task (standard, entries with the findings filled in,
    findings, earlier sheet), computed once per request."""
    done = g.setdefault("sheet_starts", {})
    if task.id not in done:
        done[task.id] = score_sheet_start(eng, db, task) if task.status == "ready" else {}
    return done[task.id]


def starting_sheet(eng, db, task: HumanTask, key: str) -> dict | None:
    """The entries a sheet opens with when the task has no draft: the auto findings from the records filled in."""
    entry = _started(eng, db, task).get(key, {}).get("entry")
    if entry is None:
        return None
    # The findings (with every case or ledger row behind them) are only read: copying them costs most of a page
    # whose rules find thousands of rows.
    return {**copy.deepcopy({k: v for k, v in entry.items() if k != "findings"}), "findings": entry.get("findings")}


def sheet_contexts(eng, db, task: HumanTask, schema: dict, data: dict | None) -> dict[str, dict]:
    """What each score-sheet field of a task's form is drawn with: its standard, the earlier sheet it is compared
    with (`x-standard-compare`), the auto findings (kept beside a draft, which holds entries only) and the names of
    its evidence files."""
    props = sheet_props(schema)
    if not props:
        return {}
    started = _started(eng, db, task)
    known = case_data(eng, db, task.case) if len(started) < len(props) else {}
    contexts, titles = {}, casework.field_titles(db, task.case.definition.bundle_id)
    for key, prop in props.items():
        start, compared = started.get(key), prop.get(COMPARE_KEYWORD) or ""
        earlier = start["compare"] if start else known.get(compared)
        contexts[key] = {"standard": start["standard"] if start else standard(db, task.case, prop[STANDARD_KEYWORD]),
                         "earlier": earlier or None, "compare": bool(compared),
                         "compare_label": titles.get(compared, "") if titles.get(compared) != compared else "",
                         "findings": start["findings"] if start else None,
                         "files": {**evidence_files(db, task.case_id, earlier if isinstance(earlier, dict) else None),
                                   **evidence_files(db, task.case_id, (data or {}).get(key))},
                         "case_id": task.case_id}
    return contexts


def evidence_files(db, case_id: int, sheet) -> dict[int, str]:
    """The file names of the evidence a sheet's items refer to, by attachment id."""
    ids = [i for entry in ((sheet or {}).get("items") or {}).values() if isinstance(entry, dict)
           for i in entry.get("evidence") or [] if isinstance(i, int)]
    return {a.id: a.filename for a in attachments.of_case(db, case_id, ids)}


def completed_sheets(eng, db, case: Case, tasks: list[HumanTask] | None = None) -> list[dict]:
    """Every score sheet the case's completed tasks filled: field, title, standard path, who and when (the last
    completion of each field). `tasks`: the case's tasks when the caller read them already."""
    found: dict[str, dict] = {}
    for task in _completed_tasks(db, case, tasks):
        schema = casework.form_schema(eng, db, task) or {}
        for key, prop in sheet_props(schema).items():
            found[key] = {"field": key, "title": prop.get("title", key), "standard": prop[STANDARD_KEYWORD],
                          "task": task.name, "by": task.completed_by, "at": task.completed_at}
    return list(found.values())


def _completed_tasks(db, case: Case, tasks: list[HumanTask] | None = None) -> list[HumanTask]:
    """The case's completed tasks with a form, oldest first (of `tasks`, when given, else read)."""
    tasks = cases.case_tasks(db, case.id) if tasks is None else tasks
    done = [t for t in tasks if t.status == "completed" and t.form]
    return sorted(done, key=lambda t: (t.completed_at, t.id))
