"""Score sheets in task forms, on both databases: the server scores on completion, findings come from the records,
overrides are audited, and a case keeps scoring under its own bundle's standard."""
from __future__ import annotations

from datetime import datetime
from uuid import UUID

import pytest
import time_machine
from sqlalchemy import select

from engine.core import people
from engine.core.errors import DataValidationError
from engine.core.models import AuditEvent, HumanTask
from engine.definitions import bundles
from engine.runtime import cases
from engine.work import score_sheet_start

from .helpers import only_ready, zh
from .standards_data import bundle, mini

PERIOD = {"party_code": "P1", "period_from": "2026-01-01", "period_to": "2026-06-30"}
SHEET = {"items": {"A1": {"deductions": [{"reason": "未设", "count": 1}]}, "B1": {"score": 3, "reason": "部分公示"}},
         "bonus": {"X1": {"points": 1, "reason": "创新"}}, "notes": "现场检查"}


@pytest.fixture
def scored(session, engine, org_tree):
    """The scoring bundle deployed."""
    return bundles.deploy(session, bundle(), engine=engine).bundle


def at(day: str, hour: int = 10):
    """Travel to a moment of a China day (UTC+8)."""
    return time_machine.travel(datetime.fromisoformat(f"{day}T{hour:02d}:00:00+08:00"), tick=False)


def incident(engine, session, day: str, party: str, result: str, hour: int = 10):
    with at(day, hour):
        return cases.start_case(engine, session, "incident", {"party": party, "result": result}, org_code="county-a")


def start_scored(engine, session, **data):
    with at("2026-07-10"):
        return cases.start_case(engine, session, "scored", {**PERIOD, **data}, org_code="county-a")


def complete(engine, session, case, data):
    task = only_ready(session, case.id)
    with at("2026-07-11"):
        return cases.complete_task(engine, session, task.id, data, user=people.user_by_name(session, "alice"))


def data_now(engine, session, case) -> dict:
    task = only_ready(session, case.id)
    return engine.load_workflow(session, case).get_task_from_id(UUID(task.task_uuid)).data


def test_completion_stores_what_the_server_computed_and_ignores_client_totals(engine, session, scored):
    case = start_scored(engine, session)
    sent = {**SHEET, "total": 10, "band": "top", "passed": True, "subtotals": {"A": 6, "B": 4}}
    complete(engine, session, case, {"score": sent, "comment": "好"})
    stored = data_now(engine, session, case)["score"]
    assert stored["item_scores"] == {"A1": 0, "A2": 2, "B1": 3}
    assert (stored["subtotals"], stored["bonus_total"], stored["total"]) == ({"A": 2, "B": 3}, 1, 6)
    assert (stored["veto"], stored["band"], stored["band_label"], stored["passed"]) == (False, "failed", "不达标", False)
    assert stored["standard"] == "test/mini.standard.json" and stored["notes"] == "现场检查"
    assert stored["findings"] == {"A2": {"cases": [], "count": 0}, "V1": {"cases": [], "count": 0}}


def test_a_refused_sheet_names_the_item_and_nothing_is_saved(engine, session, scored):
    case = start_scored(engine, session)
    version = case.version
    bad = {"items": {"B1": {"score": 9}, "A1": {"deductions": [{"count": 1}]}}, "vetoes": {"V2": {"hit": True}}}
    with pytest.raises(DataValidationError) as refused:
        complete(engine, session, case, {"score": bad})
    assert [(e.field, zh(e)) for e in refused.value.errors] == [
        ("score.items.A1.deductions.0.reason", "A1 组织设置：每项扣分须写明理由"),
        ("score.items.B1.score", "B1 公示：得分应为 0 至 4 之间的数"),
        ("score.vetoes.V2.grounds", "V2 弄虚作假：一票否决须写明依据"),
    ]
    assert refused.value.context["task"] == only_ready(session, case.id).id
    assert cases.get_case(session, case.id).version == version
    assert only_ready(session, case.id).name == "评分"


def test_findings_come_from_cases_matching_the_rule_in_the_period(engine, session, scored):
    upheld = incident(engine, session, "2026-01-01", "P1", "upheld", hour=0)        # the first day, at midnight
    partly = incident(engine, session, "2026-06-30", "P1", "partly", hour=23)       # the last day, late
    incident(engine, session, "2025-12-31", "P1", "upheld", hour=23)                # the day before
    incident(engine, session, "2026-07-01", "P1", "upheld", hour=0)                 # the day after
    incident(engine, session, "2026-03-01", "P1", "dismissed")                      # no finding
    incident(engine, session, "2026-03-01", "P2", "upheld")                         # another party
    severe = incident(engine, session, "2026-04-01", "P1", "severe")
    case = start_scored(engine, session)
    task = session.get(HumanTask, only_ready(session, case.id).id)
    start = score_sheet_start(engine, session, task)["score"]
    assert start["findings"] == {
        "A2": {"cases": [{"id": c.id, "number": c.business_number} for c in (upheld, partly)], "count": 2},
        "V1": {"cases": [{"id": severe.id, "number": severe.business_number}], "count": 1}}
    assert start["entry"]["items"]["A2"]["deductions"] == [
        {"reason": f"{upheld.business_number}, {partly.business_number}", "count": 2, "cases": [upheld.id, partly.id]}]
    assert start["entry"]["vetoes"] == {"V1": {"hit": True, "grounds": severe.business_number}}
    assert start["standard"]["title"] == "测试评分标准" and start["compare"] is None
    assert start["standard_path"] == "test/mini.standard.json"
    complete(engine, session, case, {"score": start["entry"]})
    stored = data_now(engine, session, case)["score"]
    assert (stored["item_scores"]["A2"], stored["veto_items"], stored["band"]) == (0, ["V1"], "failed")
    assert stored["findings"]["A2"]["count"] == 2


def test_an_override_needs_a_reason_and_is_audited_with_the_step(engine, session, scored):
    found = incident(engine, session, "2026-02-01", "P1", "upheld")
    severe = incident(engine, session, "2026-02-02", "P1", "severe")
    case = start_scored(engine, session, self_score={"total": 9})
    with pytest.raises(DataValidationError) as refused:
        complete(engine, session, case, {"score": {"items": {"A2": {"deductions": []}}}})
    assert [(e.field, zh(e)) for e in refused.value.errors] == [
        ("score.items.A2.override_reason", "A2 无查实事件：系统记录为 1，填写为 0，更改须写明理由")]
    sheet = {"items": {"A2": {"deductions": [], "override_reason": "已撤销"}},
             "vetoes": {"V1": {"hit": False, "override_reason": "处罚已被复议撤销"}}}
    complete(engine, session, case, {"score": sheet})
    stored = data_now(engine, session, case)["score"]
    assert (stored["total"], stored["veto"], stored["band"]) == (10, False, "top")
    events = session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id,
                                                      AuditEvent.action == "score_override")
                             .order_by(AuditEvent.id)).all()
    assert [e.detail for e in events] == [
        {"field": "score", "item": "A2", "found": 1, "entered": 0, "reason": "已撤销"},
        {"field": "score", "item": "V1", "found": True, "entered": False, "reason": "处罚已被复议撤销"}]
    assert {e.actor for e in events} == {"alice"} and found.id != severe.id


def test_the_page_gets_the_earlier_sheet_to_compare(engine, session, scored):
    case = start_scored(engine, session, self_score={"total": 9, "band": "top"})
    task = session.get(HumanTask, only_ready(session, case.id).id)
    assert score_sheet_start(engine, session, task)["score"]["compare"] == {"total": 9, "band": "top"}


def test_a_case_scores_under_its_own_bundles_standard_after_a_new_one_is_deployed(engine, session, scored):
    old_case = start_scored(engine, session)
    lower = mini(bands=[{"code": "top", "label": "示范", "min": 6, "passed": True},
                        {"code": "good", "label": "达标", "min": 5, "max": 6, "passed": True},
                        {"code": "fix", "label": "整改", "min": 4, "max": 5},
                        {"code": "failed", "label": "不达标", "max": 4}], pass_={})
    lower.pop("pass_")
    lower["pass"] = {"min_total": 5, "no_veto": True}
    with at("2026-07-10"):
        second = bundles.deploy(session, bundle(lower), engine=engine).bundle
    assert second.version == scored.version + 1
    new_case = start_scored(engine, session)
    for case in (old_case, new_case):
        complete(engine, session, case, {"score": SHEET})
    old, new = data_now(engine, session, old_case)["score"], data_now(engine, session, new_case)["score"]
    assert (old["total"], old["band"], old["passed"]) == (6, "failed", False)
    assert (new["total"], new["band"], new["passed"]) == (6, "top", True)
