"""Work that stays with its handler, on both databases: a task's `keepWith` assigns it to whoever completed the most
recent of the earlier tasks it names, if that person is active and holds the task's role in its organisation (or is
named by it), else it waits for the group; each is audited; a `keepWith` naming no user task is a deploy problem.
A member of staff who starts a case gets the first task he may do."""
from __future__ import annotations

import pytest

from engine.core.errors import BundleInvalid
from engine.definitions import bundles
from engine.records import history
from engine.runtime import cases
from engine.work import casework, tasks, worklists

from . import diagrams
from .complaint_steps import REGISTRATION, do, review, user
from .conftest import bundle_with
from .helpers import only_ready, ready, zh

FORM = "legal_aid/quality_summary.schema.json"
DONE = {"summary": "已办理"}


def handed_on(**keep: str) -> bytes:
    """初办 → 复办 → 审核 (负责人) → 续办, each later one keeping to the tasks `keep` names for it."""
    steps = [("Task_first", "初办"), ("Task_second", "复办"), ("Task_check", "审核"), ("Task_more", "续办")]
    elements = ['<bpmn:startEvent id="StartEvent"/>', '<bpmn:endEvent id="EndEvent"/>']
    elements += [diagrams.user_task(tid, FORM, name, **({"keepWith": keep[tid]} if tid in keep else {}))
                 for tid, name in steps]
    ids = ["StartEvent", *(tid for tid, _ in steps), "EndEvent"]
    flows = [diagrams.flow(f"F{i}", a, b) for i, (a, b) in enumerate(zip(ids, ids[1:]))]
    return diagrams.process("handed_on", elements, flows, lanes={
        "经办人": ["StartEvent", "Task_first", "Task_second", "Task_more", "EndEvent"], "负责人": ["Task_check"]})


KEEPING = {"Task_second": "Task_first", "Task_check": "Task_second", "Task_more": "Task_first,Task_second"}


def deploy(engine, session, xml: bytes) -> None:
    bundles.deploy(session, bundle_with({"processes/test/handed_on.bpmn": xml}), engine=engine)
    session.commit()


@pytest.fixture
def handed(engine, session, deployed):
    """A case of the test process in county A, its first task claimed and completed by alice."""
    deploy(engine, session, handed_on(**KEEPING))
    case = cases.start_case(engine, session, "handed_on", {}, org_code="county-a", actor="bob")
    first = only_ready(session, case.id)
    assert first.assignee_id is None        # started without `assign_first`: the group's
    tasks.claim(engine, session, first.id, user(session, "alice"))
    cases.complete_task(engine, session, first.id, DONE, user=user(session, "alice"))
    return case


def events(session, case_id, action):
    return [e for e in history.case_history(session, case_id) if e.action == action]


def test_the_next_task_is_assigned_to_who_did_the_earlier_one_and_audited(engine, session, handed):
    second = only_ready(session, handed.id)
    alice, amy = user(session, "alice"), user(session, "amy")
    assert second.name == "复办" and second.assignee_id == alice.id
    assert [t.id for t in worklists.inbox(session, alice, "mine")] == [second.id]
    assert worklists.inbox(session, amy, "group") == []             # nobody else's to claim
    [assigned] = events(session, handed.id, "task_assigned")
    assert (assigned.actor, assigned.task_uuid, assigned.detail) == (
        "system", second.task_uuid, {"name": "复办", "to": "alice", "rule": "keepWith"})
    cases.complete_task(engine, session, second.id, DONE, user=alice)     # no claim needed


def test_a_handler_without_the_tasks_role_leaves_it_to_the_group(engine, session, handed):
    alice = user(session, "alice")
    cases.complete_task(engine, session, only_ready(session, handed.id).id, DONE, user=alice)
    check = only_ready(session, handed.id)
    assert check.name == "审核" and check.assignee_id is None        # alice is 经办人, not 负责人
    assert [t.id for t in worklists.inbox(session, user(session, "bob"), "group")] == [check.id]
    [left] = events(session, handed.id, "task_left_to_group")
    assert left.actor == "system" and left.task_uuid == check.task_uuid and left.detail["name"] == "审核"
    assert zh(left.detail["reason"]) == "原承办人张三不能办理此任务（已停用或不具备相应角色），任务回到待签收"


def test_a_deactivated_handler_leaves_it_to_the_group(engine, session, handed):
    alice = user(session, "alice")
    cases.complete_task(engine, session, only_ready(session, handed.id).id, DONE, user=alice)
    alice.active = False
    session.commit()
    bob = user(session, "bob")
    check = only_ready(session, handed.id)
    tasks.claim(engine, session, check.id, bob)
    cases.complete_task(engine, session, check.id, DONE, user=bob)
    more = only_ready(session, handed.id)
    assert more.name == "续办" and more.assignee_id is None
    assert [t.id for t in worklists.inbox(session, user(session, "amy"), "group")] == [more.id]
    assert len(events(session, handed.id, "task_left_to_group")) == 2


def test_the_most_recent_of_the_named_tasks_decides(engine, session, handed):
    alice, amy, bob = user(session, "alice"), user(session, "amy"), user(session, "bob")
    second = only_ready(session, handed.id)
    tasks.transfer(engine, session, second.id, alice, "amy", reason="本人出差")
    cases.complete_task(engine, session, second.id, DONE, user=amy)
    check = only_ready(session, handed.id)
    tasks.claim(engine, session, check.id, bob)
    cases.complete_task(engine, session, check.id, DONE, user=bob)
    more = only_ready(session, handed.id)           # 初办 was alice's, 复办 (later) amy's
    assert more.name == "续办" and more.assignee_id == amy.id
    assert [e.detail["to"] for e in events(session, handed.id, "task_assigned")] == ["alice", "amy"]


def test_a_named_candidate_is_kept_only_while_the_task_names_him(engine, session, deployed):
    xml = handed_on(**KEEPING).replace(b'name="keepWith" value="Task_first"/>',
                                       b'name="keepWith" value="Task_first"/><spiffworkflow:property '
                                       b'name="assigneeExpression" value="second_by"/>')
    deploy(engine, session, xml)
    for second_by, expected in (("alice", "alice"), ("amy", None)):
        case = cases.start_case(engine, session, "handed_on", {"second_by": second_by}, org_code="county-a",
                                actor="bob")
        first = only_ready(session, case.id)
        tasks.claim(engine, session, first.id, user(session, "alice"))
        cases.complete_task(engine, session, first.id, DONE, user=user(session, "alice"))
        second = only_ready(session, case.id)
        assert second.candidate_users == [second_by]
        assert second.assignee_id == (user(session, expected).id if expected else None)


@pytest.mark.parametrize("value, named", [("Task_first,Task_nowhere", "Task_nowhere"), ("StartEvent", "StartEvent")])
def test_keep_with_naming_no_user_task_is_a_deploy_problem(engine, session, deployed, value, named):
    with pytest.raises(BundleInvalid) as invalid:
        deploy(engine, session, handed_on(Task_second=value))
    [problem] = invalid.value.problems
    assert problem.file == "processes/test/handed_on.bpmn" and problem.element == "Task_second" and problem.line
    assert zh(problem) == f"keepWith 引用的 `{named}` 不是本流程（或其调用的流程）的人工任务"
    with pytest.raises(BundleInvalid) as invalid:
        deploy(engine, session, handed_on(Task_second=" , "))
    assert [zh(p) for p in invalid.value.problems] == ["keepWith 没有指明任何任务"]


def test_a_member_of_staff_who_starts_a_case_gets_its_first_task_he_may_do(engine, session, deployed):
    deploy(engine, session, handed_on(**KEEPING))
    alice, bob = user(session, "alice"), user(session, "bob")
    mine = casework.start_as(engine, session, alice, "handed_on", "county-a")
    first = only_ready(session, mine.id)
    assert first.assignee_id == alice.id
    [assigned] = events(session, mine.id, "task_assigned")
    assert assigned.actor == "system" and assigned.detail == {"name": "初办", "to": "alice", "rule": "start"}
    theirs = casework.start_as(engine, session, bob, "handed_on", "county-a")     # 负责人 may not do 初办
    assert only_ready(session, theirs.id).assignee_id is None and events(session, theirs.id, "task_assigned") == []


def test_the_complaint_stays_with_its_caseworker_and_approvals_with_their_lanes(engine, session, complaint_setup):
    xu, chen = user(session, "xu"), user(session, "chen")
    case = casework.start_as(engine, session, xu, "lawyer_complaint", "county-a")
    register = only_ready(session, case.id)
    assert register.name == "投诉登记" and register.assignee_id == xu.id
    today = engine.today().isoformat()                      # received the day it is registered
    do(engine, session, case.id, "投诉登记", "xu", {**REGISTRATION, "received_on": today})
    preliminary = only_ready(session, case.id)
    assert preliminary.assignee_id is None                 # the caseworkers' to claim
    tasks.claim(engine, session, preliminary.id, chen)
    do(engine, session, case.id, "初审", "chen", review("accept"))
    decide = only_ready(session, case.id)
    assert decide.name == "受理审查决定" and decide.assignee_id is None     # the section chief's
    do(engine, session, case.id, "受理审查决定", "zhou", {"decision": "accepted", "decision_reason": "属于受理范围"})
    notify = only_ready(session, case.id)
    assert notify.name == "告知投诉人" and notify.assignee_id == chen.id
    do(engine, session, case.id, "告知投诉人", "chen", {"notice_method": "post", "notified_on": today})
    assert [(t.name, t.assignee_id) for t in ready(session, case.id)] == [("被投诉人书面说明", chen.id)]
