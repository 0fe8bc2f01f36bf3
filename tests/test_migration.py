"""Moving running cases to a new version: preview, refusal when a finished step would be lost, the new rule
applied where safe (a recomputed deadline), the old kept where not, each move audited."""
from __future__ import annotations

import time_machine

from engine.core.errors import InvalidState
from engine.definitions import bundles, drafts
from engine.records import history
from engine.runtime import cases, migration
from engine.time.workdays import day_of

from . import diagrams
from .complaint_steps import at, do, register, review
from .conftest import bundle_with
from .helpers import raises_zh, zh

PATH = "processes/complaint/lawyer_complaint.bpmn"
TEN = b'review_deadline = limit_due("review", received_at)'              # 10 working days (the table)
SEVEN = b'review_deadline = limit_due("referral_review", received_at)'   # 7 working days


def publish_with(session, engine, files: dict[str, bytes]):
    draft = drafts.create(session, engine, actor="policy", name="新规则")
    for path, content in files.items():
        drafts.put(session, engine, draft.id, path, content, actor="policy")
    return drafts.publish_draft(session, engine, draft.id, actor="policy")


def seven_days(session, engine):
    content = bundles.bundle_files(session, bundles.active_bundle(session).id)[PATH]
    assert content.count(TEN) == 2
    return publish_with(session, engine, {PATH: content.replace(TEN, SEVEN)})


def review_due(session, case_id) -> str:
    task = next(t for t in cases.case_tasks(session, case_id, "ready") if t.name == "初审")
    return day_of(task.due_at).isoformat()


def test_a_case_moves_to_the_new_rule_where_it_is_safe(engine, session, complaint_setup):
    with time_machine.travel(at("2025-10-13T09:00"), tick=False):
        old = register(engine, session)
        assert review_due(session, old.id) == "2025-10-27"
        v2 = seven_days(session, engine)
        new = register(engine, session)
        assert review_due(session, new.id) == "2025-10-22"
        assert review_due(session, old.id) == "2025-10-27"          # until someone migrates it
        target = migration.target_for(session, old, v2.version)
        found = migration.preview(engine, session, cases.get_case(session, old.id), target)
        assert found.can_migrate and found.reasons == []
        assert [r[0] for r in found.recomputed] == ["review_deadline"]
        assert any("初审" in zh(name) and "2025-10-28T00:00" in (before or "") and "2025-10-23T00:00" in (after or "")
                   for name, before, after in found.deadline_changes), found.deadline_changes
        changes = {zh(name): (before, after) for name, before, after in found.deadline_changes}
        assert changes.get("定时：审查期限届满") == ("2025-10-28T00:00:00+08:00", "2025-10-23T00:00:00+08:00")
        assert review_due(session, old.id) == "2025-10-27"          # a preview changes nothing
        assert cases.get_case(session, old.id).next_timer_at == at("2025-10-24T00:00")   # reminder: 2 WD before
        migration.migrate(engine, session, old.id, target, actor="policy")
        moved = cases.get_case(session, old.id)
        assert moved.next_timer_at == at("2025-10-21T00:00")                          # the reminder moved too
        assert moved.definition.bundle.version == 2 and review_due(session, old.id) == "2025-10-22"
        event = history.case_history(session, old.id)[-1]
        assert (event.action, event.actor, event.detail["from"], event.detail["to"]) == ("case_migrated", "policy", 1, 2)
        do(engine, session, old.id, "初审", "chen", review("accept"))      # and it goes on, on the new version
        assert [t.name for t in cases.case_tasks(session, old.id, "ready")] == ["受理审查决定"]
        with raises_zh(InvalidState, "已在该版本"):
            migration.migrate(engine, session, old.id, target, actor="policy")


def test_a_deadline_adjusted_since_keeps_its_value(engine, session, complaint_setup):
    with time_machine.travel(at("2025-10-13T09:00"), tick=False) as clock:
        case = register(engine, session)
        do(engine, session, case.id, "初审", "chen", review("supplement", supplement_items="身份证明"))
        clock.move_to(at("2025-10-15T09:00"))
        do(engine, session, case.id, "收到补正材料", "xu", {"supplement_received_on": "2025-10-15",
                                                      "supplement_summary": "已补正身份证明"})
        kept = review_due(session, case.id)
        v2 = seven_days(session, engine)
        found = migration.preview(engine, session, cases.get_case(session, case.id),
                                  migration.target_for(session, case, v2.version))
        assert found.can_migrate and found.recomputed == []
        assert any("review_deadline" in zh(w) for w in found.warnings)
        migration.migrate(engine, session, case.id, migration.target_for(session, case, v2.version), actor="policy")
        assert review_due(session, case.id) == kept


def test_a_migration_that_would_drop_a_finished_step_is_refused(engine, session, deployed):
    steps = [diagrams.user_task("Task_a", name="甲"), diagrams.user_task("Task_b", name="乙")]
    v1 = diagrams.process("two_steps", ['<bpmn:startEvent id="StartEvent"/>', *steps, '<bpmn:endEvent id="EndEvent"/>'],
                          [diagrams.flow("F1", "StartEvent", "Task_a"), diagrams.flow("F2", "Task_a", "Task_b"),
                           diagrams.flow("F3", "Task_b", "EndEvent")],
                          lanes={"经办人": ["StartEvent", "Task_a", "Task_b", "EndEvent"]})
    v2 = diagrams.process("two_steps", ['<bpmn:startEvent id="StartEvent"/>', steps[1], '<bpmn:endEvent id="EndEvent"/>'],
                          [diagrams.flow("F1", "StartEvent", "Task_b"), diagrams.flow("F3", "Task_b", "EndEvent")],
                          lanes={"经办人": ["StartEvent", "Task_b", "EndEvent"]})
    bundles.deploy(session, bundle_with({"processes/test/two_steps.bpmn": v1}), engine=engine)
    case = cases.start_case(engine, session, "two_steps", {}, org_code="county-a")
    first = cases.case_tasks(session, case.id, "ready")[0]
    from engine.core import people
    cases.complete_task(engine, session, first.id, {"title": "事项", "reason": "理由充分的申请"},
                        user=people.user_by_name(session, "alice"))
    newer = bundles.deploy(session, bundle_with({"processes/test/two_steps.bpmn": v2}), engine=engine).bundle
    target = migration.target_for(session, case, newer.version)
    found = migration.preview(engine, session, cases.get_case(session, case.id), target)
    assert not found.can_migrate and any("Task_a" in zh(r) for r in found.reasons)
    version = cases.get_case(session, case.id).version
    with raises_zh(InvalidState, "不能迁移"):
        migration.migrate(engine, session, case.id, target, actor="policy")
    assert cases.get_case(session, case.id).version == version
    assert cases.get_case(session, case.id).definition.bundle.version == 2
