"""Auto rules over a ledger: a score sheet starts with the rows found (count, total, the rows behind them), a
per_share deduction takes one occurrence per step of the share found; diagrams read rows with `ledger_rows` and
`ledger_row`."""
from __future__ import annotations

import copy
import io
import json

import pytest

from engine.core import BundleInvalid, people
from engine.definitions import bundles, scoring
from engine.records import ledger_import
from engine.runtime import cases
from engine.work import casework, score_sheet_start

from . import diagrams, standards_data
from .conftest import bundle_with
from .helpers import zh
from .ledger_data import LEDGER, case_row, csv_bytes, ledger_people

RULE = {"ledger": LEDGER, "match": {"@org": "institution_code"}, "period": ["period_from", "period_to"]}
STANDARD = copy.deepcopy(standards_data.MINI)
STANDARD["dimensions"][0]["items"][1] = {
    "code": "A2", "title": "审查时限", "points": 2,
    "deduction": {"kind": "per_share", "points": 1, "step": 10, "cap": 2, "label": "超期比例每 10%"},
    "auto": {**RULE, "where": [{"review_overdue": True}]}}
STANDARD["vetoes"][0]["auto"] = {**RULE, "where": [{"case_type": "行政", "visited": False}]}


@pytest.fixture
def scored(session, engine, org_tree):
    """The standard with ledger rules deployed; 20 rows of county A in 2025 (3 reviewed late), one late row
    outside the period and one of county B."""
    ledger_people(session)
    bundles.deploy(session, bundle_with(standards_data.bundle(STANDARD)), engine=engine)
    late = {"decided": "2025-03-20", "assigned": "2025-03-21", "agreement": "2025-03-22"}
    rows = [case_row(f"A-{n:02d}", **(late if n < 3 else {})) for n in range(20)]
    rows += [case_row("A-old", applied="2024-03-03", closed="2024-12-30", decided="2024-03-20", assigned="2024-03-21",
                      agreement="2024-03-22", visited="2025-01-05"),
             case_row("B-1", org="county-b", **late)]
    ledger_import.import_file(session, engine, people.user_by_name(session, "organizer"), LEDGER, "l.csv",
                              io.BytesIO(csv_bytes(rows)))
    session.commit()


def start(engine, session, org="county-a"):
    data = {"institution_code": org, "period_from": "2025-01-01", "period_to": "2025-12-31"}
    case = cases.start_case(engine, session, "scored", data, org_code="county-a", actor="alice")
    session.commit()
    return case, cases.case_tasks(session, case.id, "ready")[0]


def test_a_sheet_starts_with_the_ledger_rows_found_and_a_per_share_deduction(engine, session, scored):
    case, task = start(engine, session)
    sheet = score_sheet_start(engine, session, task)["score"]
    found = sheet["findings"]["A2"]
    assert (found["count"], found["total"]) == (3, 20)
    assert [c["number"] for c in found["cases"]] == ["A-00", "A-01", "A-02"]
    assert {c["ledger"] for c in found["cases"]} == {LEDGER}
    deduction = sheet["entry"]["items"]["A2"]["deductions"][0]
    assert deduction["count"] == 2                       # 15% late: ceil(15 / 10) steps
    assert deduction["reason"] == "A-00, A-01, A-02 (3/20)"
    assert sheet["findings"]["V1"] == {"cases": [], "count": 0, "total": 20}
    cases.complete_task(engine, session, task.id, {"score": {}}, user=people.user_by_name(session, "alice"))
    session.commit()
    stored = casework.case_data(engine, session, case)["score"]
    assert stored["item_scores"]["A2"] == 0 and stored["findings"]["A2"]["total"] == 20
    assert stored["items"]["A2"]["deductions"][0]["count"] == 2


def test_an_institution_without_rows_finds_nothing_and_takes_no_deduction(engine, session, scored):
    _, task = start(engine, session, org="city")
    sheet = score_sheet_start(engine, session, task)["score"]
    assert sheet["findings"]["A2"] == {"cases": [], "count": 0, "total": 0}
    assert sheet["entry"]["items"] == {}


@pytest.mark.parametrize(("count", "total", "step", "expected"), [
    (0, 0, 10, 0), (3, 0, 10, 0), (0, 20, 10, 0), (1, 100, 10, 1), (10, 100, 10, 1), (11, 100, 10, 2),
    (1, 3, 10, 4), (2, 3, 33.3, 3), (50, 100, 25, 2)])
def test_per_share_occurrences_round_each_started_step_up(count, total, step, expected):
    item = {"deduction": {"kind": "per_share", "points": 1, "step": step}}
    assert scoring.occurrences(item, {"count": count, "total": total}) == expected


def test_a_per_share_deduction_needs_its_step_and_only_it_takes_one(engine, session, org_tree):
    broken = copy.deepcopy(STANDARD)
    del broken["dimensions"][0]["items"][1]["deduction"]["step"]
    broken["dimensions"][0]["items"][0]["deduction"]["step"] = 5
    with pytest.raises(BundleInvalid) as refused:
        bundles.deploy(session, bundle_with(standards_data.bundle(broken)), engine=engine)
    assert sorted(p.element for p in refused.value.problems) == [
        "/dimensions/0/items/0/deduction", "/dimensions/0/items/1/deduction"]
    over_cases = copy.deepcopy(STANDARD)             # a share of cases: the rule counts no total
    over_cases["dimensions"][0]["items"][1]["auto"] = standards_data.MINI["dimensions"][0]["items"][1]["auto"]
    with pytest.raises(BundleInvalid) as refused:
        bundles.deploy(session, bundle_with(standards_data.bundle(over_cases)), engine=engine)
    assert [(p.element, zh(p)) for p in refused.value.problems] == [
        ("/dimensions/0/items/1/auto", "评分项 A2 审查时限：按比例扣分按台账记录所占比例计算，其自动规则须引用台账")]


def test_a_rule_naming_no_ledger_or_no_field_is_a_warning(engine, session, org_tree):
    odd = copy.deepcopy(STANDARD)
    odd["dimensions"][0]["items"][1]["auto"]["where"] = [{"review_late": True}]
    odd["vetoes"][0]["auto"]["ledger"] = "nothing"
    result = bundles.deploy(session, bundle_with(standards_data.bundle(odd)), engine=engine)
    assert sorted(str(w.msg) for w in result.warnings if "ledger" in w.msg.code) == [
        "A2: review_late is not a column or measure of ledger legal_aid_cases, so the rule finds nothing",
        "V1: the auto rule names ledger nothing, which is not in the bundle"]


def _reading_process() -> bytes:
    script = ("late = ledger_rows('legal_aid_cases', match={'@org': 'county-a'}, where=[{'review_overdue': True}], "
              "period=['2025-01-01', None])\n"
              "keys = [r['key'] for r in late]\n"
              "one = ledger_row('legal_aid_cases', 'B-1')\n"
              "none = ledger_row('legal_aid_cases', 'Z-9')")
    return diagrams.process("reader", [
        '<bpmn:startEvent id="StartEvent"/>', diagrams.script_task("Script_read", script),
        diagrams.user_task("Task_look", "test/note.schema.json"), '<bpmn:endEvent id="EndEvent"/>',
    ], [diagrams.flow("F1", "StartEvent", "Script_read"), diagrams.flow("F2", "Script_read", "Task_look"),
        diagrams.flow("F3", "Task_look", "EndEvent")], lanes={"经办人": ["StartEvent", "Script_read", "Task_look",
                                                                   "EndEvent"]})


def test_diagrams_read_rows_with_ledger_rows_and_ledger_row(engine, session, scored):
    files = bundle_with(standards_data.bundle(STANDARD, {"processes/test/reader.bpmn": _reading_process()}))
    bundles.deploy(session, files, engine=engine)
    case = cases.start_case(engine, session, "reader", {}, org_code="county-a", actor="alice")
    session.commit()
    data = casework.case_data(engine, session, case)
    assert data["keys"] == ["A-00", "A-01", "A-02"]
    assert data["one"]["org"] == "county-b" and data["one"]["key"] == "B-1" and data["one"]["review_overdue"]
    assert data["none"] is None
    assert json.dumps(data["late"][0], ensure_ascii=False).count("applied_on") == 1


def test_more_rows_than_a_draws_pool_holds_are_refused_naming_the_limit(session, org_tree):
    from engine.core import CaseFailed
    from engine.runtime.engine import Engine
    from engine.sandbox.limits import Limits


    engine = Engine(limits=Limits(max_instances=2))          # pools of at most 20
    ledger_people(session)
    bundles.deploy(session, bundle_with(standards_data.bundle(STANDARD, {"processes/test/reader.bpmn":
                                                                           _reading_process()})), engine=engine)
    rows = [case_row(f"A-{n:02d}") for n in range(21)]
    ledger_import.import_file(session, engine, people.user_by_name(session, "organizer"), LEDGER, "l.csv",
                              io.BytesIO(csv_bytes(rows)))
    session.commit()
    script = "pool = ledger_rows('legal_aid_cases', match={'@org': ['county-a', 'county-b']})"
    files = {"processes/test/pool.bpmn": diagrams.process("pool", [
        '<bpmn:startEvent id="StartEvent"/>', diagrams.script_task("Script_pool", script),
        '<bpmn:endEvent id="EndEvent"/>'], [diagrams.flow("F1", "StartEvent", "Script_pool"),
                                             diagrams.flow("F2", "Script_pool", "EndEvent")])}
    bundles.deploy(session, bundle_with(standards_data.bundle(STANDARD, files)), engine=engine)
    with pytest.raises(CaseFailed) as refused:
        cases.start_case(engine, session, "pool", {}, org_code="county-a", actor="alice")
    assert zh(refused.value).endswith("台账 legal_aid_cases 符合条件的记录有 > 20 条，超过上限 20")
