"""Messages between cases: rows written with the sender's step, delivered afterwards, each target on its own."""
from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from engine.core import people
from engine.core.models import AuditEvent, Case
from engine.core.case_records import CaseMessage
from engine.definitions import bundles
from engine.runtime import cases, deliver_case_messages, fire_due_timers

from . import campaign_diagrams
from .conftest import bundle_with
from .helpers import ready
from .test_campaigns import APPLY, START, add_firms, children, start_campaign

APPROVE = {"decision": "approve", "opinion": "同意推荐"}


@pytest.fixture
def message_bundle(session, engine, org_tree):
    people.add_role(session, "applicant", "申报人")
    people.add_role(session, "reviewer", "审核人")
    add_firms(session, 3)
    people.add_user(session, "rev", "区局审核人", "county-a", ["reviewer"])
    for code in ("F-1", "F-2", "F-3"):
        people.add_user(session, f"dir{code}", "律所主任", code, ["applicant"])
    session.commit()
    return bundles.deploy(session, bundle_with(campaign_diagrams.files()), engine=engine).bundle


def messages(session, **where) -> list[CaseMessage]:
    session.expire_all()
    query = select(CaseMessage).order_by(CaseMessage.id)
    for name, value in where.items():
        query = query.where(getattr(CaseMessage, name) == value)
    return list(session.scalars(query))


def apply(engine, session, case: Case) -> None:
    task = ready(session, case.id)[0]
    director = people.user_by_name(session, f"dir{case.meta['firm_code']}")
    cases.complete_task(engine, session, task.id, APPLY, user=director)


def events(session, case_id: int, action: str) -> list[dict]:
    return list(session.scalars(select(AuditEvent.detail).where(AuditEvent.case_id == case_id,
                                                                AuditEvent.action == action)))


def test_closing_the_window_moves_the_waiting_participants_and_notes_the_others(engine, session, message_bundle):
    with time_machine.travel(START, tick=False) as clock:
        campaign = start_campaign(engine, session)
        first, second, third = children(session, campaign.id)
        apply(engine, session, first)
        apply(engine, session, third)
        clock.move_to(START + timedelta(days=10, minutes=1))
        assert fire_due_timers(engine, session) == 1
    rows = messages(session)
    assert [(m.target_case_id, m.name, m.status) for m in rows] == [
        (first.id, "window_closed", "delivered"), (second.id, "window_closed", "not_waiting"),
        (third.id, "window_closed", "delivered")]
    assert rows[0].payload == {"note": "申报期结束"} and rows[0].sender_case_id == campaign.id
    assert [t.name for t in ready(session, first.id)] == ["初审"]
    assert [t.name for t in ready(session, second.id)] == ["申报"]
    assert events(session, second.id, "case_message_not_waiting") == [
        {"message": "window_closed", "message_id": rows[1].id}]
    assert [e["message"] for e in events(session, first.id, "message_received")] == ["window_closed"]
    assert events(session, campaign.id, "case_message_sent") == [{"message": "window_closed", "targets": 3}]


def test_a_participant_reports_to_its_campaign(engine, session, message_bundle):
    with time_machine.travel(START, tick=False) as clock:
        campaign = start_campaign(engine, session)
        first = children(session, campaign.id)[0]
        apply(engine, session, first)
        clock.move_to(START + timedelta(days=10, minutes=1))
        fire_due_timers(engine, session)
        review = ready(session, first.id)[0]
        cases.complete_task(engine, session, review.id, APPROVE, user=people.user_by_name(session, "rev"))
        assert messages(session, name="report", status="pending")[0].target_case_id == campaign.id
        assert [t.name for t in ready(session, campaign.id)] == []
        assert deliver_case_messages(engine, session) == 1
    assert [t.name for t in ready(session, campaign.id)] == ["确认"]
    assert cases.get_case(session, first.id).status == "completed"
    workflow = engine.load_workflow(session, cases.get_case(session, campaign.id))
    assert workflow.get_tasks(spec_name="Task_confirm")[0].data["report"] == {"firm_code": "F-1",
                                                                               "decision": "approve"}


def start_watchers(engine, session) -> dict[str, Case]:
    """Watchers of F-1 (two, one of them finished), F-2 and F-3, all in county A."""
    made = {}
    for label, firm in (("f1", "F-1"), ("f1_done", "F-1"), ("f2", "F-2"), ("f3", "F-3")):
        made[label] = cases.start_case(engine, session, "watcher", {"firm_code": firm}, org_code="county-a")
    cases.send_message(engine, session, made["f1_done"].id, "sanction", {})
    task = ready(session, made["f1_done"].id)[0]
    cases.complete_task(engine, session, task.id, APPROVE)
    return made


def test_a_correlated_message_reaches_exactly_the_matching_running_cases(engine, session, message_bundle):
    watchers = start_watchers(engine, session)
    sender = cases.start_case(engine, session, "reporter", {"targets": ["F-1", "F-3"], "divisors": {}},
                              org_code="county-b")
    assert sorted(m.target_case_id for m in messages(session)) == sorted([watchers["f1"].id, watchers["f3"].id])
    assert deliver_case_messages(engine, session) == 2
    for label in ("f1", "f3"):
        assert [t.name for t in ready(session, watchers[label].id)] == ["处理"]
    assert ready(session, watchers["f2"].id) == []
    assert cases.get_case(session, watchers["f1_done"].id).status == "completed"
    assert [t.name for t in ready(session, sender.id)] == ["后续"]


def test_a_failing_target_goes_to_error_and_the_others_and_the_sender_go_on(engine, session, message_bundle):
    watchers = start_watchers(engine, session)
    sender = cases.start_case(engine, session, "reporter",
                              {"targets": ["F-1", "F-2", "F-3"], "divisors": {"F-2": {"divisor": 0}}},
                              org_code="county-b")
    rows = {m.target_case_id: m for m in messages(session, sender_case_id=sender.id)}
    assert rows[watchers["f2"].id].payload == {"kind": "penalty", "divisor": 0}
    assert rows[watchers["f1"].id].payload == {"kind": "penalty"}
    assert deliver_case_messages(engine, session) == 3
    statuses = {m.target_case_id: (m.status, m.error) for m in messages(session, sender_case_id=sender.id)}
    assert statuses[watchers["f1"].id] == ("delivered", None) and statuses[watchers["f3"].id] == ("delivered", None)
    status, error = statuses[watchers["f2"].id]
    assert status == "failed" and "ZeroDivisionError" in error
    assert cases.get_case(session, watchers["f2"].id).status == "error"
    assert cases.get_case(session, sender.id).status == "running"
    assert [t.name for t in ready(session, watchers["f3"].id)] == ["处理"]


def test_delivering_twice_delivers_once(engine, session, message_bundle):
    watchers = start_watchers(engine, session)
    cases.start_case(engine, session, "reporter", {"targets": "F-2", "divisors": {}}, org_code="county-b")
    assert deliver_case_messages(engine, session) == 1
    assert deliver_case_messages(engine, session) == 0
    assert len(events(session, watchers["f2"].id, "message_received")) == 1
    assert [m.status for m in messages(session, target_case_id=watchers["f2"].id)] == ["delivered"]


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_message_another_deliverer_holds_is_skipped(engine, session, Session, message_bundle):
    watchers = start_watchers(engine, session)
    cases.start_case(engine, session, "reporter", {"targets": "F-2", "divisors": {}}, org_code="county-b")
    with Session() as other:
        held = other.scalar(select(CaseMessage.target_case_id).where(CaseMessage.status == "pending")
                            .with_for_update())
        assert deliver_case_messages(engine, session) == 0          # claimed elsewhere: skipped, not waited for
        other.rollback()
    assert held == watchers["f2"].id
    assert deliver_case_messages(engine, session) == 1
    assert [t.name for t in ready(session, watchers["f2"].id)] == ["处理"]


def test_a_bad_case_message_payload_fails_the_sender_naming_it(engine, session, message_bundle):
    from engine.core.errors import CaseFailed

    from .helpers import zh

    with pytest.raises(CaseFailed) as failed:
        cases.start_case(engine, session, "reporter", {"targets": "F-2", "divisors": ["not", "a", "mapping"]},
                         org_code="county-b")
    assert "case_message 消息须写明消息名" in zh(failed.value)
    assert messages(session) == []
