"""Score sheets in task forms: each top-level field with `x-standard` is scored by the server when the task is
completed (in the same engine call that checks the form); what the client sent as totals is replaced, and an
auto finding entered differently is audited as `score_override` with the step."""
from __future__ import annotations

import copy

from sqlalchemy.orm import Session

from ..core.errors import DataValidationError
from ..core.vocabulary import STANDARD_COMPARE_KEYWORD, STANDARD_KEYWORD
from ..definitions.bundles import bundle_file
from ..definitions.scoring import overrides, score_sheet, start_entry
from ..records.findings import auto_rules, findings

OVERRIDE_ACTION = "score_override"


def sheet_fields(schema) -> dict[str, str]:
    """The score-sheet fields of a form: field name -> the standard's bundle path."""
    properties = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(properties, dict):
        return {}
    return {name: f"forms/{field[STANDARD_KEYWORD]}" for name, field in properties.items()
            if isinstance(field, dict) and isinstance(field.get(STANDARD_KEYWORD), str)}


def load_sheets(engine, session: Session, bundle_id: int, schema) -> dict[str, tuple[str, dict]]:
    """Each score-sheet field of a form with its standard's path and the standard, from the bundle version."""
    return {name: (path, engine.standards.get(bundle_id, path, lambda path=path: bundle_file(session, bundle_id, path)))
            for name, path in sheet_fields(schema).items()}


def case_findings(session: Session, standard: dict, case_data: dict, case_id: int | None) -> dict | None:
    """What the records show for a standard's auto items and vetoes (None when it has none)."""
    return findings(session, standard, case_data, case_id) if auto_rules(standard) else None


def score_submission(instance, sheets: dict[str, tuple[str, dict]], case_data: dict, data: dict,
                     task_uuid: str, **context) -> dict:
    """The submitted data with each score sheet scored (findings from the records), overrides audited; a refusal
    carries `context` (the task) like the form check's."""
    scored = dict(data)
    for name, (path, standard) in sheets.items():
        if name not in data:
            continue
        found = case_findings(instance.session, standard, case_data, instance.case.id)
        try:
            scored[name] = score_sheet(standard, data[name], found, field=name, path=path.removeprefix("forms/"))
        except DataValidationError as exc:
            raise DataValidationError(exc.msg, exc.errors, **context) from None
        for change in overrides(standard, data[name], found or {}):
            instance.audit(OVERRIDE_ACTION, task_uuid, field=name, **change)
    return scored


def starting_sheets(session: Session, schema, sheets: dict[str, tuple[str, dict]], case_data: dict,
                    case_id: int) -> dict[str, dict]:
    """For a task page: each sheet's standard, starting entries (the findings filled in) and the earlier sheet."""
    out = {}
    for name, (path, standard) in sheets.items():
        found = case_findings(session, standard, case_data, case_id) or {}
        compare = schema["properties"][name].get(STANDARD_COMPARE_KEYWORD)
        out[name] = {"standard_path": path.removeprefix("forms/"), "standard": copy.deepcopy(standard),     # the cached one stays as is
                     "entry": start_entry(standard, found),
                     "findings": found, "compare": case_data.get(compare) if compare else None}
    return out
