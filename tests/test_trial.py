"""Try-runs of a draft (engine/work/trial.py): a test case run by the real engine on the draft's files, on a
clock of its own, in a transaction that is rolled back; saved scenarios run again on the next draft."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select, text

from engine.core import Base, BundleInvalid, BusinessSequence, DataValidationError
from engine.definitions import bundles, drafts
from engine.work import trial

SCENARIO = {
    "process": "sample_review", "org": "county-a", "start": "2027-03-01",
    "steps": [
        {"task": "Task_fill", "values": {"title": "办公设备采购", "reason": "旧设备已无法使用", "amount": 3000}},
        {"task": "Task_review", "values": {"decision": "return", "opinion": "请补充报价"}},
        {"advance": "next_timer"},
    ],
}


def _every_table(session) -> dict:
    """Each table's row count, and the business-number sequences as they stand."""
    counts = {t.name: session.execute(select(func.count()).select_from(t)).scalar_one() for t in Base.metadata.sorted_tables}
    counts["sequences"] = sorted(session.execute(select(BusinessSequence.pattern, BusinessSequence.year,
                                                        BusinessSequence.value)).all())
    return counts


def test_a_try_run_follows_the_draft_and_leaves_no_trace(sql_engine, session, engine, deployed):
    before = _every_table(session)
    session.rollback()
    files = bundles.bundle_files(session, deployed.id)
    outcome = trial.run(sql_engine, engine, files, SCENARIO, actor="policy")
    assert outcome.failed_step is None, outcome.failure
    assert [r["name"] for r in outcome.route] == ["填写申请", "审核"]
    assert outcome.route[0]["completed_by"] == "alice"      # a candidate of the lane did it
    assert outcome.route[0]["values"]["amount"] == 3000
    fill_again = [t for t in outcome.tasks if t["element"] == "Task_fill"]
    assert fill_again[0]["due_day"] == "2027-03-08"        # 5 working days from Monday 1 March
    assert fill_again[0]["basis"].startswith("经办人填写申请事项和理由")
    assert outcome.number and outcome.number.startswith("〔2027〕样例第")
    # the returned application waits again; the clock went to its first timer, the reminder, which notified alice
    assert outcome.clock.startswith("2027-03-")
    assert any(m["kind"] == "reminder" and "alice" in m["to"] for m in outcome.messages), (outcome.clock, outcome.timers, outcome.audit[-4:], outcome.tasks)
    assert outcome.open_task["element"] == "Task_fill"
    assert outcome.open_task["prefill"]["title"] == "办公设备采购"
    assert [t["name"] for t in outcome.timers]           # the later timers still wait, with their moments
    assert all(t["due"] for t in outcome.timers)
    session.expire_all()
    assert _every_table(session) == before


def test_a_try_run_fills_its_documents_in_memory(sql_engine, session, engine, deployed):
    before = _every_table(session)
    session.rollback()
    scenario = {**SCENARIO, "steps": [SCENARIO["steps"][0],
                                      {"task": "Task_review", "values": {"decision": "approve", "opinion": "同意"}}]}
    outcome = trial.run(sql_engine, engine, bundles.bundle_files(session, deployed.id), scenario, actor="policy")
    assert outcome.status == "completed"
    assert [d["name"] for d in outcome.documents] and outcome.documents[0]["status"] == "ready"
    assert outcome.documents[0]["content"][:2] == b"PK"
    assert "办公设备采购" in outcome.documents[0]["text"]
    session.expire_all()
    assert _every_table(session) == before


def test_a_step_that_cannot_run_is_named_and_the_run_stops_there(sql_engine, session, engine, deployed):
    session.rollback()
    files = bundles.bundle_files(session, deployed.id)
    refused = {**SCENARIO, "steps": [{"task": "Task_fill", "values": {"title": "x"}}]}
    outcome = trial.run(sql_engine, engine, files, refused, actor="policy")
    assert outcome.failed_step == 1 and isinstance(outcome.failure, DataValidationError)
    assert {e.field for e in outcome.failure.errors} >= {"title", "reason"}
    assert outcome.open_task["element"] == "Task_fill"
    wrong = {**SCENARIO, "steps": [{"task": "Task_review", "values": {}}]}
    outcome = trial.run(sql_engine, engine, files, wrong, actor="policy")
    assert outcome.failed_step == 1 and outcome.failure.msg.code == "trial.task_not_open"
    fill = dict(SCENARIO["steps"][0])
    outcome = trial.run(sql_engine, engine, files, {**SCENARIO, "steps": [{**fill, "by": "amy"}]}, actor="policy")
    assert outcome.route[0]["completed_by"] == "amy"          # the scenario names which candidate does it
    outcome = trial.run(sql_engine, engine, files, {**SCENARIO, "steps": [{**fill, "by": "bob"}]}, actor="policy")
    assert outcome.failed_step == 1 and outcome.failure.msg.code == "trial.not_candidate"
    with pytest.raises(DataValidationError) as bad:
        trial.run(sql_engine, engine, files, {**SCENARIO, "start": "next week"}, actor="policy")
    assert bad.value.errors[0].field == "start"


def test_a_saved_scenario_replays_on_the_next_draft_and_names_the_changed_deadline(sql_engine, session, engine,
                                                                                    deployed):
    draft = drafts.create(session, engine, actor="policy", name="期限调整")
    files = drafts.files(session, draft.id)
    first = trial.run(sql_engine, engine, files, SCENARIO, actor="policy")
    path = trial.scenario_path("sample_review", "退回后重填")
    drafts.put(session, engine, draft.id, path, trial.scenario_file(SCENARIO, first), actor="policy")
    assert trial.compare(json.loads(drafts.files(session, draft.id)[path])["expected"], first) == []
    # the limit of 填写申请 goes from 5 to 7 working days in the draft's limits table (one cell)
    table = "forms/sample/limits.json"
    changed = files[table].replace(b'"value": 5, "unit": "working_days"', b'"value": 7, "unit": "working_days"')
    assert changed != files[table]
    drafts.put(session, engine, draft.id, table, changed, actor="policy")
    before = _every_table(session)
    session.rollback()
    files = drafts.files(session, draft.id)
    saved = trial.parse_scenario(files[path])
    again = trial.run(sql_engine, engine, files, saved, actor="policy")
    changes = trial.compare(saved["expected"], again)
    assert {"what": "deadline", "item": "填写申请", "before": "2027-03-08", "after": "2027-03-10"} in changes
    assert [p for p in trial.scenario_paths(files) if p.startswith("forms/sample_review/")] == [path]   # + shipped
    session.expire_all()
    assert _every_table(session) == before
    assert session.scalar(text("select count(*) from bundle")) == 1        # nothing was published by the runs


def test_a_draft_that_does_not_validate_is_not_run(sql_engine, session, engine, deployed):
    before = _every_table(session)
    session.rollback()
    files = bundles.bundle_files(session, deployed.id)
    diagram = "processes/sample/sample_review.bpmn"
    broken = files[diagram].replace('result = "已通过"'.encode(), b"result = (")     # a script that does not compile
    assert broken != files[diagram]
    files[diagram] = broken
    with pytest.raises(BundleInvalid):
        trial.run(sql_engine, engine, files, SCENARIO, actor="policy")
    session.expire_all()
    assert _every_table(session) == before


WITHDRAW = {**SCENARIO, "steps": [{"message": "withdraw", "payload": {"note": "申请人不再需要"}}]}


def test_a_step_sends_the_case_a_message_and_leaves_no_trace(sql_engine, session, engine, deployed):
    before = _every_table(session)
    session.rollback()
    files = bundles.bundle_files(session, deployed.id)
    started = trial.run(sql_engine, engine, files, {**SCENARIO, "steps": []}, actor="policy")
    assert {"name": "withdraw", "label": "撤回申请"} in started.waiting      # what the page offers to send
    outcome = trial.run(sql_engine, engine, files, WITHDRAW, actor="policy")
    assert outcome.failed_step is None, outcome.failure
    assert outcome.status == "completed" and outcome.waiting == []
    assert [t["status"] for t in outcome.tasks if t["element"] == "Task_fill"] == ["cancelled"]
    assert outcome.sent == [{"step": 1, "message": "withdraw", "label": "撤回申请", "at": outcome.start, "by": "",
                             "payload": {"note": "申请人不再需要"}}]
    received = [e for e in outcome.audit if e["action"] == "message_received"]
    assert received and received[0]["detail"]["message"] == "withdraw"
    assert received[0]["detail"]["note"] == "申请人不再需要"
    session.expire_all()
    assert _every_table(session) == before


def test_a_message_step_the_case_cannot_take_is_named(sql_engine, session, engine, deployed):
    session.rollback()
    files = bundles.bundle_files(session, deployed.id)
    with pytest.raises(DataValidationError) as unknown:      # no diagram of the draft waits for it
        trial.run(sql_engine, engine, files, {**SCENARIO, "steps": [SCENARIO["steps"][0], {"message": "cancel"}]},
                  actor="policy")
    assert unknown.value.errors[0].field == "steps[2].message"
    assert unknown.value.errors[0].msg.code == "trial.unknown_message"
    assert unknown.value.errors[0].msg.params["step"] == 2 and "withdraw" in unknown.value.errors[0].msg.params["known"]
    late = {**SCENARIO, "steps": [SCENARIO["steps"][0], {"message": "withdraw", "payload": {}}]}
    outcome = trial.run(sql_engine, engine, files, late, actor="policy")    # 填写申请 is done: nothing waits for it
    assert outcome.failed_step == 2 and outcome.failure.msg.code == "trial.message_not_waiting"
    assert outcome.steps_done == 1 and outcome.open_task["element"] == "Task_review"
    outcome = trial.run(sql_engine, engine, files, {**SCENARIO, "steps": [{"message": "withdraw", "by": "nobody"}]},
                        actor="policy")
    assert outcome.failed_step == 1 and outcome.failure.msg.code == "trial.not_sender"
    for steps, field in (([{"message": "withdraw", "task": "Task_fill"}], "steps[1]"), ([{"message": ""}], "steps[1]"),
                         ([{"message": "withdraw", "payload": ["x"]}], "steps[1].payload")):
        with pytest.raises(DataValidationError) as bad:
            trial.parse_scenario({**SCENARIO, "steps": steps})
        assert bad.value.errors[0].field == field


def test_a_saved_scenario_keeps_its_message_step(sql_engine, session, engine, deployed):
    draft = drafts.create(session, engine, actor="policy", name="撤回场景")
    files = drafts.files(session, draft.id)
    first = trial.run(sql_engine, engine, files, WITHDRAW, actor="policy")
    path = trial.scenario_path("sample_review", "撤回申请")
    drafts.put(session, engine, draft.id, path, trial.scenario_file(WITHDRAW, first), actor="policy")
    saved = trial.parse_scenario(drafts.files(session, draft.id)[path])
    assert saved["steps"] == WITHDRAW["steps"] and saved["expected"]["status"] == "completed"
    again = trial.run(sql_engine, engine, drafts.files(session, draft.id), saved, actor="policy")
    assert again.sent[0]["message"] == "withdraw" and trial.compare(saved["expected"], again) == []
