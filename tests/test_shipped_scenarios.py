"""Issue 21, "try a draft": the bundle ships saved try-run scenarios (`forms/<process>/scenarios/<name>.json`) for the
complaint procedure (accepted and closed with no violation; with an extension; not accepted), the law-firm acceptance
and the legal-aid audit. On both databases they run green against the shipped diagrams — a diagram or limit change
that moves their route or a deadline fails here, which is the point — and a bad scenario file is refused at
validation and publishing with its file and its path within the scenario."""
from __future__ import annotations

import json

import pytest

from engine.core import people
from engine.core.errors import BundleInvalid
from engine.definitions import bundles, drafts
from engine.work import trial

from .conftest import ROOT
from .law_firm_steps import add_law_firm_people
from .legal_aid_steps import add_legal_aid_people

SHIPPED = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "forms").glob("*/scenarios/*.json"))
COMPLAINT = "forms/lawyer_complaint/scenarios/"


@pytest.fixture
def everyone(session, complaint_setup):
    """The people and organisations the shipped scenarios name: county-a's complaint staff, firm F-0001, LA-a, and
    the city bureau by its code in the shipped demo (`city-bureau`, web/demo_data.json), which the firm's and the
    institution's lanes name."""
    add_law_firm_people(session)
    add_legal_aid_people(session)
    people.add_organization(session, "city-bureau", "示范市司法局")
    session.commit()


def test_the_complaint_procedure_law_firms_and_legal_aid_ship_scenarios():
    assert SHIPPED == sorted([COMPLAINT + "不予受理.json", COMPLAINT + "受理后查无违规.json",
                              COMPLAINT + "延期办理.json", "forms/law_firm_application/scenarios/申报补正后推荐.json",
                              "forms/legal_aid_assessment/scenarios/试点机构自查报送.json"])
    for path in SHIPPED:
        scenario = trial.parse_scenario((ROOT / path).read_bytes(), path)
        assert path.split("/")[1] == scenario["process"] and scenario["expected"]["deadlines"], path


@pytest.mark.parametrize("path", SHIPPED)
def test_a_shipped_scenario_runs_green_against_the_shipped_diagrams(sql_engine, engine, everyone, path):
    files = bundles.collect(ROOT)
    scenario = trial.parse_scenario(files[path], path)
    outcome = trial.run(sql_engine, engine, files, scenario, actor="policy", documents=False)
    assert outcome.failed_step is None, (path, outcome.failure)
    assert trial.compare(scenario["expected"], outcome) == [], path


def test_the_complaint_scenarios_take_their_three_routes():
    plain, extended, refused = (json.loads((ROOT / COMPLAINT / f"{name}.json").read_text(encoding="utf-8"))["expected"]
                                for name in ("受理后查无违规", "延期办理", "不予受理"))
    assert "延期审批" in extended["route"] and "延期告知书" in extended["documents"]
    assert extended["deadlines"]["调查核实 #2"] > extended["deadlines"]["调查核实"]      # 30 days more
    assert "延期审批" not in plain["route"] and plain["status"] == extended["status"] == "completed"
    assert "调查核实" not in refused["route"] and "不予受理（引导）告知书" in refused["documents"]


def test_a_changed_limit_breaks_a_shipped_scenario_and_names_the_deadline(sql_engine, engine, everyone):
    """The regression check: the review limit goes from 10 to 15 working days in the files; the shipped scenario
    now differs from its recorded outcome in exactly that deadline."""
    files = bundles.collect(ROOT)
    table = json.loads(files["forms/complaint/limits.json"])
    next(r for r in table["limits"] if r["name"] == "review")["value"] = 15
    files["forms/complaint/limits.json"] = json.dumps(table, ensure_ascii=False).encode()
    path = COMPLAINT + "不予受理.json"
    scenario = trial.parse_scenario(files[path], path)
    changes = trial.compare(scenario["expected"], trial.run(sql_engine, engine, files, scenario, actor="policy",
                                                            documents=False))
    assert {"what": "deadline", "item": "初审", "before": "2026-03-16", "after": "2026-03-23"} in changes


BAD = {
    "start": ({"start": "2026-13-40"}, "start", "trial.bad_moment"),
    "process": ({"process": "no_such_process"}, "process", "scenario.unknown_process"),
    "task": ({"steps": [{"task": "Task_register", "values": {}}, {"task": "Task_nowhere", "values": {}}]},
             "steps[2].task", "scenario.unknown_task"),
    "message": ({"steps": [{"message": "no_such_message"}]}, "steps[1].message", "trial.unknown_message"),
    "step": ({"steps": [{"task": "Task_register"}, {"values": {}}]}, "steps[2]", "trial.bad_step"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_scenario_file_is_refused_with_its_file_and_path(session, engine, deployed, case):
    change, element, code = BAD[case]
    path = COMPLAINT + "坏场景.json"
    scenario = {**json.loads((ROOT / COMPLAINT / "不予受理.json").read_text(encoding="utf-8")), **change}
    draft = drafts.create(session, engine, actor="policy", name="坏场景")
    drafts.put(session, engine, draft.id, path, json.dumps(scenario, ensure_ascii=False).encode(), actor="policy")
    problems = [p for p in drafts.validate(session, engine, draft.id) if p.blocking]
    assert [(p.file, p.element, p.msg.code) for p in problems] == [(path, element, code)]
    active = bundles.active_bundle(session).version
    with pytest.raises(BundleInvalid):
        drafts.publish_draft(session, engine, draft.id, actor="policy")
    session.rollback()
    assert bundles.active_bundle(session).version == active


def test_a_scenario_that_is_not_json_is_refused_with_its_file(session, engine, deployed):
    path = "forms/sample_review/scenarios/坏.json"
    draft = drafts.create(session, engine, actor="policy", name="坏场景")
    drafts.put(session, engine, draft.id, path, b'{"process": ', actor="policy")
    [problem] = [p for p in drafts.validate(session, engine, draft.id) if p.blocking]
    assert (problem.file, problem.msg.code) == (path, "trial.not_json")
