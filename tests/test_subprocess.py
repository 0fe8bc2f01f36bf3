"""Call activities: the called process runs, persists and compacts like the top one."""
from __future__ import annotations

from engine.core import people
from engine.definitions import bundles
from engine.records import history
from engine.runtime import cases

from . import diagrams
from .conftest import bundle_with
from .helpers import only_ready, roundtrip

APPLY = {"title": "测试事项", "reason": "测试用的理由"}


def test_call_activity_loops_with_round_trips(engine, session, org_tree):
    bundles.deploy(session, bundle_with(diagrams.parent_and_child()), engine=engine)
    case = cases.start_case(engine, session, "parent_flow", {"rounds": 0}, org_code="county-a")
    alice, bob = people.user_by_name(session, "alice"), people.user_by_name(session, "bob")
    sizes = []
    for _ in range(2):
        cases.complete_task(engine, session, only_ready(session, case.id).id, APPLY, user=alice)
        roundtrip(engine, session, case.id)
        for decision in ("return", "return", "return", "approve"):
            child = only_ready(session, case.id)
            assert (child.name, child.lane) == ("子任务", "负责人")
            cases.complete_task(engine, session, child.id, {"decision": decision, "opinion": "意见"}, user=bob)
            roundtrip(engine, session, case.id)
            sizes.append(len(cases.stored_state(session, case.id)))
    case = cases.get_case(session, case.id)
    assert case.status == "completed"
    path = [s.element_id for s in history.case_path(session, case.id)]
    assert path.count("Task_child") == 8 and path.count("Call_child") == 2 and path[-1] == "EndEvent"
    assert max(sizes[:3]) >= max(sizes[4:7]) - 300     # looping inside the child does not grow the state
