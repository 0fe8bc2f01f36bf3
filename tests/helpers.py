"""Small helpers shared by tests."""
from __future__ import annotations

import re
from contextlib import contextmanager

import pytest

from engine.core.models import Case
from engine.runtime import cases

from .workflow_compare import assert_same_workflow


def roundtrip(engine, session, case_id: int) -> None:
    """Reload the case from the database and check the reload is faithful to the live workflow it was saved from.

    The live workflow (the engine keeps it after a step, keyed by the case version) is compared task by task
    with the one restored from the stored state, so a field the codec loses on the way out and back fails here.
    """
    session.commit()      # end any read snapshot, then forget what this session had loaded
    session.expire_all()
    stored = cases.stored_state(session, case_id)
    case = session.get(Case, case_id)
    cached = engine._live.get(case_id)
    live = cached[1] if cached is not None and cached[0] == case.version else None
    engine.forget_all()
    workflow = engine.load_workflow(session, case)
    assert engine.codec.dump_state(workflow) == stored
    if live is not None:
        assert engine.codec.dump_state(live) == stored
        assert_same_workflow(live, workflow)
    engine.forget_all()


def ready(session, case_id: int):
    """The case's ready human tasks."""
    session.commit()
    session.expire_all()
    return cases.case_tasks(session, case_id, "ready")


def only_ready(session, case_id: int):
    """The case's single ready human task."""
    tasks = ready(session, case_id)
    assert len(tasks) == 1, [t.name for t in tasks]
    return tasks[0]


def zh(obj) -> str:
    """An engine error, field error, problem or message as the Chinese interface shows it (the web's source text)."""
    from web.engine_text import render

    return render(obj, str)


@contextmanager
def raises_zh(kind, match: str):
    """`pytest.raises(kind, match=…)` against the Chinese text of the engine message."""
    with pytest.raises(kind) as info:
        yield info
    assert re.search(match, zh(info.value)), zh(info.value)


def sheet_totalling(standard: dict, total: int, vetoes: dict | None = None, *, score_reason: str,
                    deduction_reason: str, notes: str) -> dict:
    """A score sheet on `standard` that totals `total`: points taken, in the standard's order, from the items a
    scorer enters (not those the records fill in); the server computes every total."""
    missing, items = standard["scale"] - total, {}
    for dimension in standard["dimensions"]:
        for item in dimension["items"]:
            rule = item.get("deduction")
            if missing <= 0 or item.get("auto"):
                continue
            if rule is None:
                take = min(item["points"], missing)
                items[item["code"]] = {"score": item["points"] - take, "reason": score_reason}
            elif rule["kind"] == "per_occurrence" and rule["points"] <= missing:
                count = min(missing, rule.get("cap", item["points"])) // rule["points"]
                take = count * rule["points"]
                items[item["code"]] = {"deductions": [{"reason": deduction_reason, "count": count}]}
            else:
                continue
            missing -= take
    assert missing == 0, "the standard has too few entered items for this total"
    hits = {code: {"hit": True, "grounds": grounds} for code, grounds in (vetoes or {}).items()}
    return {"items": items, "vetoes": hits, "notes": notes}
