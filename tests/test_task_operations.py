"""Claim, release, 转办, 委派 and resolve, 催办, 抄送, comments, drafts and the inbox views, on both databases."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from engine.core import people, scope
from engine.core.errors import ConflictError, DataValidationError, InvalidState, NotAllowed, NotFound
from engine.records import history, notifications
from engine.runtime import cases
from engine.work import tasks, worklists

from .helpers import only_ready, raises_zh, zh

APPLY = {"title": "购置办公设备", "reason": "现有设备老化，影响办公"}


@pytest.fixture
def applied(session, engine, deployed):
    """A sample case in county A whose 经办人 task is ready for alice and amy."""
    case = cases.start_case(engine, session, "sample_review", {}, org_code="county-a", actor="alice")
    return case, only_ready(session, case.id)


def u(session, name):
    return people.user_by_name(session, name)


def actions(session, case_id):
    return [e.action for e in history.case_history(session, case_id)]


def test_claim_makes_the_task_mine_and_hides_it_from_the_group(session, engine, applied):
    case, task = applied
    assert [t.id for t in worklists.inbox(session, u(session, "amy"), "group")] == [task.id]
    tasks.claim(engine, session, task.id, u(session, "alice"))
    assert [t.id for t in worklists.inbox(session, u(session, "alice"), "mine")] == [task.id]
    assert worklists.inbox(session, u(session, "amy"), "group") == []
    with raises_zh(ConflictError, "已由 张三 签收"):
        tasks.claim(engine, session, task.id, u(session, "amy"))
    with pytest.raises(NotAllowed):      # amy is no longer allowed to complete it either
        cases.complete_task(engine, session, task.id, APPLY, user=u(session, "amy"))
    tasks.release(engine, session, task.id, u(session, "alice"))
    assert [t.id for t in worklists.inbox(session, u(session, "amy"), "group")] == [task.id]
    assert actions(session, case.id)[-2:] == ["task_claimed", "task_released"]


def test_only_candidates_may_claim(session, engine, applied):
    _, task = applied
    with pytest.raises(NotAllowed):
        tasks.claim(engine, session, task.id, u(session, "bob"))       # 负责人, not 经办人
    with pytest.raises(NotFound):
        tasks.claim(engine, session, task.id, u(session, "carl"))      # another county: not even visible


def test_transfer_hands_the_task_to_another_person_with_a_notification(session, engine, applied):
    case, task = applied
    with pytest.raises(DataValidationError) as refused:
        tasks.transfer(engine, session, task.id, u(session, "alice"), "amy", reason="")
    assert refused.value.errors[0].field == "reason"
    with pytest.raises(DataValidationError) as refused:
        tasks.transfer(engine, session, task.id, u(session, "alice"), "carl", reason="休假")
    assert refused.value.errors[0].field == "to" and "不是A区司法局的工作人员" in zh(refused.value.errors[0])
    tasks.transfer(engine, session, task.id, u(session, "alice"), "amy", reason="本人休假")
    assert worklists.inbox(session, u(session, "amy"), "mine")[0].id == task.id
    with pytest.raises(NotAllowed):
        cases.complete_task(engine, session, task.id, APPLY, user=u(session, "alice"))
    cases.complete_task(engine, session, task.id, APPLY, user=u(session, "amy"))
    assert [zh(n.title) for n in notifications.unread(session, u(session, "amy").id)] == ["转办：填写申请"]
    transferred = next(e for e in history.case_history(session, case.id) if e.action == "task_transferred")
    assert transferred.actor == "alice" and transferred.detail["to"] == "amy"
    assert [t.id for t in worklists.inbox(session, u(session, "amy"), "done")] == [task.id]


def test_delegate_and_resolve_bring_the_task_back_to_its_owner(session, engine, applied):
    case, task = applied
    alice, amy = u(session, "alice"), u(session, "amy")
    tasks.delegate(engine, session, task.id, alice, "amy", note="请先核实材料")
    with raises_zh(InvalidState, "委派中"):
        cases.complete_task(engine, session, task.id, APPLY, user=amy)
    tasks.save_draft(engine, session, task.id, amy, {"title": "购置办公设备"})
    with pytest.raises(NotAllowed):
        tasks.resolve(engine, session, task.id, alice)
    tasks.resolve(engine, session, task.id, amy, note="已核实")
    session.expire_all()
    back = worklists.inbox(session, alice, "mine")[0]
    assert (back.id, back.delegation, back.draft) == (task.id, "resolved", {"title": "购置办公设备"})
    assert [zh(n.title) for n in notifications.unread(session, alice.id)] == ["委派已交回：填写申请"]
    cases.complete_task(engine, session, task.id, APPLY, user=alice)
    assert actions(session, case.id).count("task_delegated") == 1
    assert "task_resolved" in actions(session, case.id) and "draft_saved" in actions(session, case.id)


def test_urge_notifies_the_holder_and_counts(session, engine, applied):
    _, task = applied
    tasks.urge(engine, session, task.id, u(session, "bob"), note="请于今日办结")
    assert {zh(n.title) for n in notifications.unread(session, u(session, "alice").id)} == {"催办：填写申请"}
    assert {zh(n.title) for n in notifications.unread(session, u(session, "amy").id)} == {"催办：填写申请"}
    tasks.claim(engine, session, task.id, u(session, "alice"))
    tasks.urge(engine, session, task.id, u(session, "bob"))
    session.expire_all()
    assert len(notifications.unread(session, u(session, "amy").id)) == 1
    assert len(notifications.unread(session, u(session, "alice").id)) == 2
    assert scope.scoped_task(session, u(session, "bob"), task.id).urge_count == 2
    with pytest.raises(NotFound):
        tasks.urge(engine, session, task.id, u(session, "cora"))
    with raises_zh(InvalidState, "无需催办"):          # alice holds it: nobody to remind
        tasks.urge(engine, session, task.id, u(session, "alice"))
    session.rollback()
    assert scope.scoped_task(session, u(session, "bob"), task.id).urge_count == 2


def test_copy_reaches_the_copies_view_and_comments_join_the_timeline(session, engine, applied):
    case, task = applied
    bob = u(session, "bob")
    with pytest.raises(DataValidationError):
        tasks.copy(engine, session, case.id, u(session, "alice"), [])
    tasks.copy(engine, session, case.id, u(session, "alice"), ["bob", "bob"], note="请知悉", task_id=task.id)
    sent = worklists.copies(session, bob)
    assert [(c.case_id, c.sent_by, c.note) for c in sent] == [(case.id, "alice", "请知悉")]
    assert worklists.inbox_counts(session, bob, datetime.now(timezone.utc), datetime.now(timezone.utc))["copies"] == 1
    tasks.read_copy(session, bob, sent[0].id, datetime.now(timezone.utc))
    assert worklists.copies(session, bob, unread_only=True) == []
    with pytest.raises(DataValidationError):
        tasks.comment(engine, session, case.id, bob, "  ")
    tasks.comment(engine, session, case.id, bob, "注意核实发票", task_id=task.id)
    remark = history.case_history(session, case.id)[-1]
    assert (remark.action, remark.actor, remark.detail, remark.task_uuid) == (
        "commented", "bob", {"text": "注意核实发票"}, task.task_uuid)
    with pytest.raises(NotFound):
        tasks.comment(engine, session, case.id, u(session, "carl"), "越权")


def test_inbox_filters_and_due_views(session, engine, deployed):
    first = cases.start_case(engine, session, "sample_review", {}, org_code="county-a")
    second = cases.start_case(engine, session, "sample_review", {}, org_code="county-a")
    alice = u(session, "alice")
    group = worklists.inbox(session, alice, "group")
    assert [t.case_id for t in group] == [first.id, second.id]          # equal due: oldest first
    now = datetime.now(timezone.utc)
    assert worklists.inbox(session, alice, "group", q=second.business_number or str(second.id)) != []
    assert worklists.inbox(session, alice, "group", process_key="other") == []
    assert worklists.inbox(session, alice, "group", due="overdue", now=now) == []
    later = now + timedelta(days=400)
    assert len(worklists.inbox(session, alice, "group", due="overdue", now=later)) == 2
    counts = worklists.inbox_counts(session, alice, later, later + timedelta(days=3))
    assert (counts["group"], counts["mine"], counts["overdue"]) == (2, 0, 2)
    with pytest.raises(DataValidationError):
        worklists.inbox(session, alice, "everything")
    assert worklists.search_cases(session, u(session, "carl")) == []
    assert {c.id for c in worklists.search_cases(session, alice, status="running")} == {first.id, second.id}


def test_operations_on_a_finished_task_are_refused(session, engine, applied):
    _, task = applied
    cases.complete_task(engine, session, task.id, APPLY, user=u(session, "alice"))
    for attempt in (lambda: tasks.claim(engine, session, task.id, u(session, "amy")),
                    lambda: tasks.urge(engine, session, task.id, u(session, "bob")),
                    lambda: tasks.transfer(engine, session, task.id, u(session, "alice"), "amy", "x")):
        with pytest.raises(InvalidState):
            attempt()
