"""Batch operations on a selection, on both databases: each item is the ordinary operation in its own transaction,
so a refused item changes nothing and is reported with its reason while the others are done."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.core import people, scope
from engine.core.errors import ConflictError, DataValidationError, NotFound
from engine.core.models import AuditEvent
from engine.runtime import cases
from engine.work import batch, tasks

from .helpers import only_ready, zh


@pytest.fixture
def three(session, engine, deployed):
    """Three sample cases in county A, each with its 填写申请 ready for alice and amy; and one in county B."""
    found = []
    for _ in range(3):
        case = cases.start_case(engine, session, "sample_review", {}, org_code="county-a", actor="alice")
        found.append(only_ready(session, case.id))
    elsewhere = cases.start_case(engine, session, "sample_review", {}, org_code="county-b", actor="carl")
    return found, only_ready(session, elsewhere.id)


def u(session, name):
    return people.user_by_name(session, name)


def events(session, action) -> int:
    return session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


def test_batch_claim_of_three_with_one_taken_reports_it(session, engine, three):
    (first, second, third), _ = three
    tasks.claim(engine, session, second.id, u(session, "amy"))
    outcomes = batch.run(engine, session, u(session, "alice"), "claim", [first.id, second.id, third.id])
    assert [(o.task_id, o.ok) for o in outcomes] == [(first.id, True), (second.id, False), (third.id, True)]
    failed = outcomes[1]
    assert isinstance(failed.error, ConflictError) and zh(failed.error) == "任务已由 王五 签收"
    assert (failed.number, failed.name) == (second.case.business_number, "填写申请")
    alice, amy = u(session, "alice"), u(session, "amy")
    assert [scope.scoped_task(session, alice, t.id).assignee_id for t in (first, second, third)] == \
        [alice.id, amy.id, alice.id]
    assert events(session, "task_claimed") == 3            # amy's own, and alice's two: the refused one wrote nothing


def test_an_outsiders_items_are_not_found_and_name_nothing(session, engine, three):
    (first, *_), elsewhere = three
    outcomes = batch.run(engine, session, u(session, "alice"), "claim", [elsewhere.id, first.id])
    assert isinstance(outcomes[0].error, NotFound) and (outcomes[0].number, outcomes[0].name) == (None, None)
    assert outcomes[1].ok
    assert scope.scoped_task(session, u(session, "carl"), elsewhere.id).assignee_id is None


def test_batch_transfer_refuses_a_receiver_without_the_role_item_by_item(session, engine, three):
    (first, second, third), _ = three
    alice = u(session, "alice")
    assert [p.username for p in batch.receivers_of(engine, session, alice, [first, second])] == ["amy", "bob"]
    refused = batch.run(engine, session, alice, "transfer", [first.id, second.id], to="dora", reason="本人休假")
    assert [o.ok for o in refused] == [False, False]
    assert all("孙八" in zh(o.error.errors[0]) for o in refused)
    done = batch.run(engine, session, alice, "transfer", [first.id, third.id], to="bob", reason="本人休假")
    assert [o.ok for o in done] == [True, True] and events(session, "task_transferred") == 2
    assert scope.scoped_task(session, alice, second.id).assignee_id is None


def test_batch_urge_and_the_cases_of_a_selection(session, engine, three):
    (first, second, third), elsewhere = three
    bob = u(session, "bob")
    tasks.claim(engine, session, first.id, u(session, "alice"))
    outcomes = batch.run_on_cases(engine, session, bob, "urge", [first.case_id, second.case_id, elsewhere.case_id])
    assert [(o.case_id, o.ok) for o in outcomes] == [(first.case_id, True), (second.case_id, True),
                                                    (elsewhere.case_id, False)]
    assert isinstance(outcomes[2].error, NotFound)
    claimed = batch.run_on_cases(engine, session, u(session, "amy"), "claim", [first.case_id, third.case_id])
    assert [o.ok for o in claimed] == [False, True]
    assert zh(claimed[0].error) == "本案没有您可签收的任务" and claimed[0].number == first.case.business_number


def test_a_bad_request_is_refused_as_a_whole_naming_the_field(session, engine, three):
    alice = u(session, "alice")
    with pytest.raises(DataValidationError) as refused:
        batch.run(engine, session, alice, "complete", [])
    assert [(e.field, e.rule) for e in refused.value.errors] == [("operation", "enum"), ("tasks", "required")]
    with pytest.raises(DataValidationError) as refused:
        batch.run(engine, session, alice, "claim", list(range(1, batch.MAX_ITEMS + 2)))
    assert [(e.field, e.rule) for e in refused.value.errors] == [("tasks", "maxItems")]
