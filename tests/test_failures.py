"""Runaway loops and failing scripts put the case in `error` and keep its last good state; org transfer."""
from __future__ import annotations

import pytest

from engine.core import people
from engine.core.errors import CaseFailed, InvalidState
from engine.definitions import bundles
from engine.records import history
from engine.runtime import cases
from engine.work import case_status

from . import diagrams
from .conftest import bundle_with
from .helpers import only_ready, roundtrip, zh

APPLY = {"title": "测试事项", "reason": "测试用的理由"}


@pytest.fixture
def failure_bundle(session, engine, org_tree):
    """The project's bundle plus diagrams that run away, crash, and move a case to another organisation."""
    files = bundle_with({"processes/test/runaway.bpmn": diagrams.runaway(),
                         "processes/test/crash.bpmn": diagrams.crash(),
                         "processes/test/transfer.bpmn": diagrams.transfer()})
    return bundles.deploy(session, files, engine=engine).bundle


@pytest.mark.parametrize("process, reason", [("runaway", "超过 300 步"), ("crash", "ZeroDivisionError")])
def test_failure_puts_case_in_error_with_last_good_state(engine, session, failure_bundle, process, reason):
    case = cases.start_case(engine, session, process, {"n": 0}, org_code="county-a")
    task = only_ready(session, case.id)
    good_state = cases.stored_state(session, case.id)
    with pytest.raises(CaseFailed) as err:
        cases.complete_task(engine, session, task.id, APPLY, user=people.user_by_name(session, "alice"))
    assert reason in zh(err.value)
    session.expire_all()
    case = cases.get_case(session, case.id)
    assert case.status == "error" and reason in zh(case.error)
    assert cases.stored_state(session, case.id) == good_state
    roundtrip(engine, session, case.id)
    assert only_ready(session, case.id).id == task.id
    assert history.case_history(session, case.id)[-1].action == "case_failed"
    with pytest.raises(InvalidState):
        cases.complete_task(engine, session, task.id, APPLY, user=people.user_by_name(session, "alice"))
    assert case_status.terminate_case(engine, session, case.id, reason="流程图有误").status == "terminated"


def test_step_budget_is_configurable(session, org_tree, failure_bundle):
    from engine.runtime.engine import Engine

    small = Engine(step_budget=5)
    case = cases.start_case(small, session, "runaway", {"n": 0}, org_code="county-a")
    with pytest.raises(CaseFailed) as err:
        cases.complete_task(small, session, only_ready(session, case.id).id, APPLY)
    assert "超过 5 步" in zh(err.value)


def test_case_follows_its_organisation_variable(engine, session, failure_bundle):
    case = cases.start_case(engine, session, "transfer", {"target_org": "county-b"}, org_code="county-a")
    first = only_ready(session, case.id)
    assert [u.username for u in people.candidates(session, first)] == ["alice", "amy"]
    cases.complete_task(engine, session, first.id, APPLY, user=people.user_by_name(session, "alice"))
    roundtrip(engine, session, case.id)
    second = only_ready(session, case.id)
    assert cases.get_case(session, case.id).org.code == "county-b"
    assert [u.username for u in people.candidates(session, second)] == ["carl"]
    moved = [e for e in history.case_history(session, case.id) if e.action == "case_org_changed"]
    assert [e.detail for e in moved] == [{"from": "county-a", "to": "county-b"}]


def test_a_case_in_error_runs_again_after_its_diagram_is_put_right(engine, session, failure_bundle):
    from engine.runtime import migration

    case = cases.start_case(engine, session, "crash", {"n": 0}, org_code="county-a")
    task = only_ready(session, case.id)
    alice = people.user_by_name(session, "alice")
    with pytest.raises(CaseFailed):
        cases.complete_task(engine, session, task.id, APPLY, user=alice)
    # Run again unchanged: the same step fails again and the case is back in error, its task still open.
    again = case_status.retry_case(engine, session, case.id, actor="policy", reason="再试一次")
    assert (again.status, again.error) == ("running", None)
    with pytest.raises(CaseFailed):
        cases.complete_task(engine, session, task.id, APPLY, user=alice)
    # Put the diagram right, move the case in error to that version, run it again: the task goes through.
    fixed = bundles.deploy(session, bundle_with({"processes/test/crash.bpmn": diagrams.crash().replace(
        b"ratio = 1 / 0", b"ratio = 1 / 2")}), engine=engine).bundle
    target = migration.target_for(session, cases.get_case(session, case.id), fixed.version)
    migration.migrate(engine, session, case.id, target, actor="policy")
    assert cases.get_case(session, case.id).status == "error"
    case_status.retry_case(engine, session, case.id, actor="policy", reason="流程图已修正")
    retried = next(e for e in reversed(history.case_history(session, case.id)) if e.action == "case_retried")
    assert retried.actor == "policy" and "ZeroDivisionError" in retried.detail["error"]
    roundtrip(engine, session, case.id)
    assert only_ready(session, case.id).id == task.id
    done = cases.complete_task(engine, session, task.id, APPLY, user=alice).case
    assert done.status == "completed"
    with pytest.raises(InvalidState):
        case_status.retry_case(engine, session, case.id)
