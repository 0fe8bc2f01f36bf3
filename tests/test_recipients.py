"""Recipients across organisations, on both databases: `notify`, `copy` (抄送) and task lanes name a role in the
case's organisation, in another one by code, in the one a case field names, in the parent organisation, a person
or a task's holders, written the same way everywhere; a copy lets its recipient read the case and nothing more;
validation names an address it cannot read or that names what does not exist."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.core import people, scope
from engine.core.case_records import CaseCopy, Notification
from engine.core.errors import BundleInvalid, CaseFailed, NotAllowed, NotFound
from engine.core.models import AuditEvent, Case, CaseAccess
from engine.core.recipients import RecipientError, parse
from engine.definitions import bundles
from engine.runtime import cases
from engine.work import tasks, worklists

from .campaign_diagrams import _with_messages, throw
from .conftest import bundle_with
from .diagrams import flow, process, user_task
from .helpers import ready, roundtrip, zh

REVIEW = "sample/review.schema.json"
APPROVE = {"decision": "approve", "opinion": "同意办理"}
RETURN = {"decision": "return", "opinion": "再看一遍"}
EVERY_KIND = ["投诉受理@city-bar", "分管领导@parent", "经办人@field:other_org", "user:cora", "task:Task_first"]
LANES = {"投诉受理@city-bar": "Task_bar", "分管领导@parent": "Task_parent", "经办人@field:other_org": "Task_field",
         "user:cora": "Task_user", "task:Task_first": "Task_holder"}


def _routing() -> bytes:
    """经办人 in the case's county fill Task_first; a notify then reaches every kind of recipient, and five
    parallel tasks go to a lane of each kind."""
    branches = list(LANES.values())
    xml = process("routing", [
        '<bpmn:startEvent id="StartEvent"/>', user_task("Task_first", REVIEW),
        throw("Throw_notify", "notify", '{"to": ' + repr(EVERY_KIND).replace("'", '"') + ', "title": "请知悉"}'),
        '<bpmn:parallelGateway id="Split"/>', *(user_task(t, REVIEW) for t in branches),
        '<bpmn:parallelGateway id="Join"/>', '<bpmn:endEvent id="EndEvent"/>',
    ], [
        flow("F1", "StartEvent", "Task_first"), flow("F2", "Task_first", "Throw_notify"),
        flow("F3", "Throw_notify", "Split"),
        *(flow(f"Fs{i}", "Split", t) for i, t in enumerate(branches)),
        *(flow(f"Fj{i}", t, "Join") for i, t in enumerate(branches)), flow("F4", "Join", "EndEvent"),
    ], lanes={"经办人": ["StartEvent", "Task_first", "Throw_notify", "Split", "Join", "EndEvent"],
              **{lane: [task] for lane, task in LANES.items()}},
        properties={"businessNumberPattern": "R{seq}"})
    return _with_messages(xml, "notify")


def _copying(to: str = '"负责人@county-b"') -> bytes:
    """Task_first, then a 抄送 to `to` (an expression), then Task_second, which may send the case round again."""
    xml = process("copying", [
        '<bpmn:startEvent id="StartEvent"/>', user_task("Task_first", REVIEW),
        throw("Throw_copy", "copy", '{"to": ' + to + ', "note": "请阅处"}'), user_task("Task_second", REVIEW),
        '<bpmn:exclusiveGateway id="Again" default="F_end"/>', '<bpmn:endEvent id="EndEvent"/>',
    ], [
        flow("F1", "StartEvent", "Task_first"), flow("F2", "Task_first", "Throw_copy"),
        flow("F3", "Throw_copy", "Task_second"),
        flow("F4", "Task_second", "Again"), flow("F_again", "Again", "Throw_copy", 'decision == "return"'),
        flow("F_end", "Again", "EndEvent"),
    ], lanes={"经办人": ["StartEvent", "Task_first", "Throw_copy", "Task_second", "Again", "EndEvent"]},
        properties={"businessNumberPattern": "C{seq}"})
    return _with_messages(xml, "copy")


@pytest.fixture
def across(session, org_tree):
    """The lawyers association (投诉受理) and a city 分管领导 beside the two counties."""
    people.add_organization(session, "city-bar", "市律师协会", "city")
    people.add_role(session, "complaint_intake", "投诉受理")
    people.add_user(session, "barry", "律协受理员", "city-bar", ["complaint_intake"])
    people.add_user(session, "cindy", "市局分管领导", "city", ["director"])
    session.commit()


def _deploy(engine, session, **files: bytes):
    return bundles.deploy(session, bundle_with({f"processes/{k}.bpmn": v for k, v in files.items()}), engine=engine)


def u(session, name):
    return people.user_by_name(session, name)


def _first_done(engine, session, key: str, **data):
    case = cases.start_case(engine, session, key, data, org_code="county-a")
    first = ready(session, case.id)[0]
    tasks.claim(engine, session, first.id, u(session, "alice"))
    cases.complete_task(engine, session, first.id, APPROVE, user=u(session, "alice"))
    roundtrip(engine, session, case.id)
    return case


def test_the_syntax_reads_each_kind_and_refuses_what_it_cannot_read():
    assert parse("经办人") == parse("lane:经办人") == parse("role:经办人") == ("role", "经办人", None)
    assert parse("投诉受理@city-bar").org_code == "city-bar"
    assert parse("经办人@field:other_org").field == "other_org"
    assert parse("分管领导@parent") == ("role", "分管领导", "parent")
    assert parse("user:a@b.cn") == ("user", "a@b.cn", None)
    assert parse("task:Task_first") == ("task", "Task_first", None)
    for bad in ("", "mail:x", "经办人@", "@city", "经办人@field:", "x" * 201, None):
        with pytest.raises(RecipientError):
            parse(bad)


def test_a_notify_reaches_a_role_elsewhere_the_parent_a_field_s_organisation_a_person_and_a_task_s_holder(
        engine, session, across):
    _deploy(engine, session, routing=_routing())
    case = _first_done(engine, session, "routing", other_org="county-b")
    notified = session.scalars(select(Notification.user_id).where(Notification.case_id == case.id)).all()
    names = sorted(u.username for u in map(lambda i: session.get(people.User, i), notified))
    # barry: 投诉受理 at the association; cindy: 分管领导 of the parent (the city; not dora of county-a);
    # carl: 经办人 of county-b (the case's other_org); cora by name; alice completed Task_first.
    assert names == ["alice", "barry", "carl", "cindy", "cora"]
    audit = session.scalar(select(AuditEvent).where(AuditEvent.case_id == case.id, AuditEvent.action == "notified"))
    assert audit.detail["users"] == names


def test_lanes_give_tasks_to_a_role_elsewhere_the_parent_a_field_s_organisation_a_person_and_a_task_s_holder(
        engine, session, across):
    _deploy(engine, session, routing=_routing())
    case = _first_done(engine, session, "routing", other_org="county-b")
    by_element = {t.element_id: t for t in ready(session, case.id)}
    orgs = {code: people.organization(session, code).id for code in ("city-bar", "city", "county-b", "county-a")}
    place = {e: (t.lane, t.org_id, t.candidate_users) for e, t in by_element.items()}
    assert place == {
        "Task_bar": ("投诉受理", orgs["city-bar"], None),
        "Task_parent": ("分管领导", orgs["city"], None),
        "Task_field": ("经办人", orgs["county-b"], None),
        "Task_user": ("user:cora", orgs["county-a"], ["cora"]),
        "Task_holder": ("task:Task_first", orgs["county-a"], ["alice"]),
    }
    # Each does its task: the association's intake sees the case (its lane names her organisation) and her inbox
    # offers the task; county-b's handler likewise; the city's director from her subtree.
    for username, element in (("barry", "Task_bar"), ("carl", "Task_field"), ("cindy", "Task_parent"),
                              ("cora", "Task_user"), ("alice", "Task_holder")):
        user = u(session, username)
        assert scope.sees_case(session, user, case.id), username
        assert by_element[element].id in [t.id for t in worklists.inbox(session, user, "group")], username
        cases.complete_task(engine, session, by_element[element].id, APPROVE, user=user)
    assert session.get(Case, case.id).status == "completed"
    reasons = dict(session.execute(select(CaseAccess.user_id, CaseAccess.reason)
                                   .where(CaseAccess.case_id == case.id)).all())
    assert reasons[u(session, "barry").id] == "lane" and reasons[u(session, "carl").id] == "lane"


def test_a_lane_naming_an_organisation_that_does_not_exist_puts_the_case_in_error(engine, session, across):
    _deploy(engine, session, routing=_routing(), one_lane=_one_lane("经办人@field:other_org", after="Task_first"))
    case = cases.start_case(engine, session, "one_lane", {"other_org": "nowhere"}, org_code="county-a")
    first = ready(session, case.id)[0]
    with pytest.raises(CaseFailed) as failed:
        cases.complete_task(engine, session, first.id, APPROVE, user=u(session, "alice"))
    assert zh(failed.value).endswith("泳道 经办人@field:other_org：接收人 `经办人@field:other_org`：没有代码为 nowhere 的机构")
    session.rollback()
    assert session.get(Case, case.id).status == "error"
    assert [t.element_id for t in ready(session, case.id)] == ["Task_first"]


def test_a_copy_lets_its_recipient_read_the_case_not_do_its_tasks_and_lists_it_under_copies(engine, session, across):
    _deploy(engine, session, copying=_copying())
    case = _first_done(engine, session, "copying")
    cora, carl = u(session, "cora"), u(session, "carl")
    copies = worklists.copies(session, cora)
    assert [(c.case_id, c.note, c.sent_by) for c in copies] == [(case.id, "请阅处", "alice")]
    assert scope.scoped_case(session, cora, case.id).id == case.id           # county-b: readable by the copy only
    second = ready(session, case.id)[0]
    assert scope.scoped_task(session, cora, second.id).id == second.id
    with pytest.raises(NotAllowed):
        cases.complete_task(engine, session, second.id, APPROVE, user=cora)
    with pytest.raises(NotAllowed):
        tasks.claim(engine, session, second.id, cora)
    assert second.id not in [t.id for t in worklists.inbox(session, cora, "group")]
    with pytest.raises(NotFound):                                            # not copied: sees nothing
        scope.scoped_case(session, carl, case.id)
    assert worklists.copies(session, carl) == []
    notice = session.scalar(select(Notification).where(Notification.user_id == cora.id))
    assert notice.kind == "copy" and zh(notice.body).startswith("按流程规定抄送给您")
    audit = session.scalar(select(AuditEvent).where(AuditEvent.case_id == case.id, AuditEvent.action == "case_copied"))
    assert audit.detail["to"] == ["cora"] and audit.actor == "alice"
    access = session.scalar(select(CaseAccess.reason).where(CaseAccess.case_id == case.id,
                                                            CaseAccess.user_id == cora.id))
    assert access == "copied"


def test_a_copied_reader_may_not_comment_pass_the_case_on_or_send_it_a_message(engine, session, across):
    from engine.work import casework

    _deploy(engine, session, copying=_copying())
    case = _first_done(engine, session, "copying")
    cora = u(session, "cora")
    assert scope.reads_only(session, cora, case)
    assert not any(scope.reads_only(session, u(session, name), case) for name in ("alice", "cindy"))
    before = session.scalars(select(AuditEvent.id).where(AuditEvent.case_id == case.id)).all()
    for act in (lambda: tasks.comment(engine, session, case.id, cora, "我有意见"),
                lambda: tasks.copy(engine, session, case.id, cora, ["alice"]),
                lambda: casework.sender_payload(engine, session, case, cora, "anything", {})):
        with pytest.raises(NotAllowed) as refused:
            act()
        assert zh(refused.value) == "抄送仅供阅知本案，不能办理或处置"
    assert casework.message_actions(engine, session, case, cora, ["anything"]) == []
    assert session.scalars(select(AuditEvent.id).where(AuditEvent.case_id == case.id)).all() == before


def test_a_copy_thrown_again_while_unread_copies_no_one_twice(engine, session, across):
    _deploy(engine, session, copying=_copying())
    case = _first_done(engine, session, "copying")
    alice, cora = u(session, "alice"), u(session, "cora")
    second = ready(session, case.id)[0]
    tasks.claim(engine, session, second.id, alice)
    cases.complete_task(engine, session, second.id, RETURN, user=alice)     # round again: cora's copy is unread
    assert len(session.scalars(select(CaseCopy).where(CaseCopy.case_id == case.id)).all()) == 1
    worklists.read_copies_of(session, cora, case.id, engine.now())
    again = ready(session, case.id)[0]
    tasks.claim(engine, session, again.id, alice)
    cases.complete_task(engine, session, again.id, RETURN, user=alice)      # read by now: a fresh copy
    assert len(session.scalars(select(CaseCopy).where(CaseCopy.case_id == case.id)).all()) == 2


def test_a_copy_to_an_organisation_that_does_not_exist_fails_the_step_and_copies_no_one(engine, session, across):
    _deploy(engine, session, copying=_copying('"负责人@" + target'))
    case = cases.start_case(engine, session, "copying", {"target": "nowhere"}, org_code="county-a")
    first = ready(session, case.id)[0]
    with pytest.raises(CaseFailed) as failed:
        cases.complete_task(engine, session, first.id, APPROVE, user=u(session, "alice"))
    assert "负责人@nowhere" in zh(failed.value) and "nowhere" in zh(failed.value)
    session.rollback()
    assert session.get(Case, case.id).status == "error"
    assert session.scalars(select(CaseCopy).where(CaseCopy.case_id == case.id)).all() == []
    assert session.scalars(select(CaseAccess).where(CaseAccess.case_id == case.id)).all() == []


def _problems(engine, session, **files: bytes) -> list[tuple[str, str]]:
    with pytest.raises(BundleInvalid) as invalid:
        _deploy(engine, session, **files)
    return sorted((p.element, zh(p)) for p in invalid.value.problems)


def _one_lane(lane: str, after: str | None = None) -> bytes:
    """Task_only in `lane`; `after`: a task in the 经办人 lane before it."""
    first = [user_task(after, REVIEW)] if after else []
    chain = ["StartEvent", *([after] if after else []), "Task_only", "EndEvent"]
    return process("one_lane", ['<bpmn:startEvent id="StartEvent"/>', *first, user_task("Task_only", REVIEW),
                                '<bpmn:endEvent id="EndEvent"/>'],
                   [flow(f"F{i}", a, b) for i, (a, b) in enumerate(zip(chain, chain[1:]))],
                   lanes={lane: chain[-2:], **({"经办人": chain[:2]} if after else {})} if after
                   else {lane: chain})


@pytest.mark.parametrize("lane, message", [
    ("投诉受理@no-such-org", "泳道 `投诉受理@no-such-org` 指定的机构 no-such-org 不存在"),
    ("不存在的角色@city-bar", "泳道 `不存在的角色@city-bar` 指定的角色 不存在的角色 不存在"),
    ("user:nobody", "泳道 `user:nobody` 指定的用户 nobody 不存在"),
    ("task:Task_nope", "泳道 `task:Task_nope` 指定的任务 Task_nope 不是本流程的人工任务"),
    ("mail:someone", "泳道 `mail:someone` 无法识别"),
])
def test_validation_names_the_task_whose_lane_names_what_does_not_exist(engine, session, across, lane, message):
    problems = _problems(engine, session, one_lane=_one_lane(lane))
    assert len(problems) == 1 and problems[0][0] == "Task_only"
    assert problems[0][1].startswith(message)


def test_validation_names_the_throw_event_whose_recipients_name_what_does_not_exist(engine, session, across):
    problems = _problems(engine, session, copying=_copying('["负责人@nowhere", "user:ghost", "task:Task_x", '
                                                           '"负责人@county-b", "user:" + someone]'))
    assert problems == sorted([
        ("Throw_copy", "copy 消息的接收人 `负责人@nowhere` 指定的机构 nowhere 不存在"),
        ("Throw_copy", "copy 消息的接收人 `user:ghost` 指定的用户 ghost 不存在"),
        ("Throw_copy", "copy 消息的接收人 `task:Task_x` 指定的任务 Task_x 不是本流程的人工任务"),
    ])


# The proof of issue 21, engine level: a draft adds a 抄送 to the city bureau's 分管领导 when a sample case reaches
# 领导督办; published, a new case escalates and the city's directors find it under 抄送我的 and may read it.
SAMPLE = "processes/sample/sample_review.bpmn"
COPY_CITY = ('<bpmn:intermediateThrowEvent id="Throw_copy_city" name="抄送市局分管领导">'
             '<bpmn:incoming>Flow_escalate</bpmn:incoming><bpmn:outgoing>Flow_copy_city</bpmn:outgoing>'
             '<bpmn:messageEventDefinition id="Def_copy_city" messageRef="Message_copy"><bpmn:extensionElements>'
             '<spiffworkflow:messagePayload>{{"to": "{to}", "note": "案件逾期升级领导督办，请知悉。"}}'
             '</spiffworkflow:messagePayload></bpmn:extensionElements></bpmn:messageEventDefinition>'
             '</bpmn:intermediateThrowEvent>'
             '<bpmn:sequenceFlow id="Flow_copy_city" sourceRef="Throw_copy_city" targetRef="Task_escalate" />')


def _with_city_copy(xml: bytes, to: str) -> bytes:
    text = xml.decode()
    text = text.replace('<bpmn:message id="Message_notify" name="notify" />',
                        '<bpmn:message id="Message_notify" name="notify" />\n'
                        '  <bpmn:message id="Message_copy" name="copy" />')
    text = text.replace('sourceRef="Timer_fill_escalate" targetRef="Task_escalate"',
                        'sourceRef="Timer_fill_escalate" targetRef="Throw_copy_city"')
    text = text.replace('<bpmn:incoming>Flow_escalate</bpmn:incoming>', '<bpmn:incoming>Flow_copy_city</bpmn:incoming>')
    task = '<bpmn:userTask id="Task_escalate"'
    text = text.replace(task, COPY_CITY.format(to=to) + task)
    assert text.count("Throw_copy_city") == 3
    return text.encode()


def test_a_draft_copies_the_city_director_when_a_case_reaches_leader_supervision(app):
    from datetime import datetime

    import time_machine

    from engine.definitions import drafts
    from engine.runtime.timers import fire_due_timers
    from engine.time.workdays import CHINA_TZ
    from web.database import session as db_session
    from web.workflow import engine as web_engine

    with app.app_context():
        db, eng = db_session(), web_engine()
        draft = drafts.create(db, eng, actor="admin", name="领导督办时抄送市局分管领导")
        original = drafts.files(db, draft.id)[SAMPLE]
        drafts.put(db, eng, draft.id, SAMPLE, _with_city_copy(original, "分管领导@city-burea"), actor="admin")
        [typo] = [p for p in drafts.validate(db, eng, draft.id) if p.blocking]
        assert (typo.file, typo.element) == (SAMPLE, "Throw_copy_city")
        assert zh(typo) == "copy 消息的接收人 `分管领导@city-burea` 指定的机构 city-burea 不存在"
        drafts.put(db, eng, draft.id, SAMPLE, _with_city_copy(original, "分管领导@city-bureau"), actor="admin")
        assert [p for p in drafts.validate(db, eng, draft.id) if p.blocking] == []
        drafts.publish_draft(db, eng, draft.id, actor="admin")
        start = datetime(2025, 10, 14, 9, 0, tzinfo=CHINA_TZ)
        with time_machine.travel(start, tick=False) as clock:
            case = cases.start_case(eng, db, "sample_review", {}, org_code="county-a", actor="zhang")
            clock.move_to(datetime(2025, 10, 27, 0, 0, 1, tzinfo=CHINA_TZ))        # 8 working days on
            while fire_due_timers(eng, db):
                pass
        escalate = next(t for t in ready(db, case.id) if t.name == "领导督办")
        han, admin, zhang = (u(db, name) for name in ("han", "admin", "zhang"))
        for director in (han, admin):                 # the city bureau's 分管领导
            [copy] = worklists.copies(db, director)
            assert (copy.case_id, copy.note) == (case.id, "案件逾期升级领导督办，请知悉。")
            assert scope.scoped_case(db, director, case.id).id == case.id
            with pytest.raises(NotAllowed):
                cases.complete_task(eng, db, escalate.id, {"opinion": "阅"}, user=director)
        assert worklists.copies(db, zhang) == [] and worklists.copies(db, u(db, "sun")) == []
        assert [c.id for c in worklists.copies(db, han)] == [c.id for c in worklists.copies(db, han, unread_only=True)]
