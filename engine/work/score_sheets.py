"""What a task page needs to draw a score sheet: the standard, and the entries it starts with (auto findings from
the records filled in, with the cases behind them)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from ..core.models import HumanTask
from ..runtime.score_sheets import load_sheets, starting_sheets
from .casework import form_schema, task_data


def score_sheet_start(engine, session: Session, task: HumanTask) -> dict[str, dict]:
    """For each score-sheet field of a task's form: {"standard_path", "standard", "entry", "findings", "compare"}
    (compare: the earlier sheet its `x-standard-compare` names, if the case has one)."""
    schema = form_schema(engine, session, task)
    if not schema:
        return {}
    bundle_id = engine.properties(task.case.definition_id, lambda: task.case.definition)["bundle_id"]
    sheets = load_sheets(engine, session, bundle_id, schema)
    if not sheets:
        return {}
    return starting_sheets(session, schema, sheets, task_data(engine, session, task), task.case_id)
