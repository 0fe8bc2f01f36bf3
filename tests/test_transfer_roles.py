"""Who may receive a task (转办, 委派), on both databases: the active holders of its lane's role in the organisation
handling it, and of the roles its `transferRoles` names; anyone else is not offered, and a transfer or delegation
to them is refused naming the person, with nothing changed."""
from __future__ import annotations

import pytest
import time_machine
from sqlalchemy import select

from engine.core import people, scope
from engine.core.errors import DataValidationError
from engine.core.models import AuditEvent, User
from engine.runtime import cases
from engine.work import tasks

from .complaint_steps import accept, at, register, task_named
from .helpers import only_ready, zh

MONDAY = at("2025-10-13T09:00")
ACCEPTED = at("2025-10-16T16:00")


@pytest.fixture
def caseworkers(session, complaint_setup):
    """A second caseworker and a deputy director in county A, beside chen (承办人), zhou (科长) and xu (登记)."""
    people.add_user(session, "lin", "林承办", "county-a", ["caseworker"])
    people.add_user(session, "sun", "孙分管", "county-a", ["director"])
    session.commit()


def u(session, name) -> User:
    return people.user_by_name(session, name)


def names(found) -> list[str]:
    return [p.username for p in found]


def refused_transfer(engine, session, task_id, by, to) -> str:
    """Try a transfer; the message of the refused receiver (the field `to`)."""
    with pytest.raises(DataValidationError) as refused:
        tasks.transfer(engine, session, task_id, u(session, by), to, reason="本人出差")
    session.rollback()
    assert [e.field for e in refused.value.errors] == ["to"]
    return zh(refused.value.errors[0])


def test_a_review_goes_only_to_caseworkers(engine, session, caseworkers):
    """初审 is the 承办人 lane's: the section chief, the intake clerk, the director and county B's caseworker
    are not offered, and a transfer to one of them is refused with their name and the role."""
    with time_machine.travel(MONDAY, tick=False):
        case = register(engine, session)
        review = task_named(session, case.id, "初审")
        assert names(tasks.receivers(engine, session, review)) == ["chen", "lin"]
        assert refused_transfer(engine, session, review.id, "chen", "zhou") == \
            "周科长在A区司法局不担任可接收此任务的角色（承办人）"
        assert "b_worker" in refused_transfer(engine, session, review.id, "chen", "b_worker")
        with pytest.raises(DataValidationError) as refused:
            tasks.delegate(engine, session, review.id, u(session, "chen"), "xu", note="请协助")
        session.rollback()
        assert "许登记" in zh(refused.value.errors[0])
        held = scope.scoped_task(session, u(session, "chen"), review.id)
        assert (held.assignee_id, held.owner_id, held.delegation) == (None, None, None)
        assert session.scalar(select(AuditEvent.id).where(AuditEvent.case_id == case.id, AuditEvent.action.in_(
            ("task_transferred", "task_delegated")))) is None
        tasks.transfer(engine, session, review.id, u(session, "chen"), "lin", reason="本人出差")
    assert scope.scoped_task(session, u(session, "lin"), review.id).assignee_id == u(session, "lin").id


def test_transfer_roles_let_the_chief_receive_an_investigation(engine, session, caseworkers):
    """调查核实 names 科室负责人 in `transferRoles`: the chief is offered beside the caseworkers; the director and
    the clerk still are not."""
    with time_machine.travel(ACCEPTED, tick=False):
        case = accept(engine, session)
        investigation = task_named(session, case.id, "调查核实")
        assert tasks.receiving_roles(engine, investigation) == ["承办人", "科室负责人"]
        assert names(tasks.receivers(engine, session, investigation)) == ["chen", "lin", "zhou"]
        assert "孙分管" in refused_transfer(engine, session, investigation.id, "chen", "sun")
        assert investigation.assignee_id == u(session, "chen").id       # keepWith: chen did the review before it
        tasks.transfer(engine, session, investigation.id, u(session, "chen"), "zhou", reason="重大疑难，科长亲自调查")
        assert scope.scoped_task(session, u(session, "zhou"), investigation.id).assignee_id == u(session, "zhou").id
        # the chief may hand it on to a caseworker, never to someone without either role
        assert "许登记" in refused_transfer(engine, session, investigation.id, "zhou", "xu")
        tasks.transfer(engine, session, investigation.id, u(session, "zhou"), "lin", reason="交林承办继续调查")


def test_a_deactivated_holder_is_neither_offered_nor_accepted(engine, session, caseworkers):
    lin = u(session, "lin")
    lin.active = False
    session.commit()
    with time_machine.travel(MONDAY, tick=False):
        case = register(engine, session)
        review = task_named(session, case.id, "初审")
        assert names(tasks.receivers(engine, session, review)) == ["chen"]
        assert "用户 lin 不存在" in refused_transfer(engine, session, review.id, "chen", "lin")


def test_the_sample_lets_the_leader_receive_an_application(engine, session, deployed):
    """The sample's 填写申请 (经办人) names 负责人 in `transferRoles`: bob is offered, the director is not."""
    case = cases.start_case(engine, session, "sample_review", {}, org_code="county-a", actor="alice")
    task = only_ready(session, case.id)
    assert names(tasks.receivers(engine, session, task)) == ["alice", "amy", "bob"]
    assert "孙八" in refused_transfer(engine, session, task.id, "alice", "dora")
    tasks.delegate(engine, session, task.id, u(session, "alice"), "bob", note="请负责人先看")
