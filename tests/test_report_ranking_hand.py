"""The shipped 考核排名 (forms/complaint/ranking.report.json) scored by hand, on both databases, on complaints whose
investigations are finished in two counties: the formula's weights, the overdue and backlog deductions and the
order of the rows."""
from __future__ import annotations

import pytest
import time_machine

from engine.core import people
from engine.runtime import cases
from engine.work import reports

from .complaint_steps import EXPLANATION, REGISTRATION, accept, at, do, review, user

INVESTIGATED = {"investigators": ["陈刚", "林涛"], "explanation_received": True, "findings": "经调查核实的事实。",
                "next_step": "report"}
UNFOUNDED = {"outcome": "no_violation", "outcome_reason": "投诉反映的问题查证不实", "legal_basis": "《律师执业管理办法》第五十条"}


def _finished(engine, session, case_id, worker, director, served_on, clock, decided_at, served_at):
    """Investigated now, decided (approved) at `decided_at`, the reply served at `served_at`, then archived."""
    do(engine, session, case_id, "调查核实", worker, INVESTIGATED)
    clock.move_to(decided_at)
    do(engine, session, case_id, "处理意见", worker, UNFOUNDED)
    do(engine, session, case_id, "处理决定审批", director, {"approved": True, "approval_opinion": "同意"})
    clock.move_to(served_at)
    do(engine, session, case_id, "答复送达", worker, {"service_method": "direct", "served_on": served_on,
                                                    "service_proof": "投诉人签收"})
    do(engine, session, case_id, "归档", worker, {"archive_no": f"2025-TS-{case_id:04d}"})


@pytest.fixture
def two_counties(engine, session, complaint_setup):
    """County A: `a_done` accepted on Thursday 2025-10-16, investigated at once, decided on Monday 10-20 and its
    reply served that day (due 10-24 00:00), archived; `a_open` accepted the same day, still at 调查核实 (due
    12-16 00:00). County B: `b_done` accepted on 10-16 and investigated at once, decided on 10-20 and its reply
    served on Monday 10-27, late, archived."""
    people.add_user(session, "boss", "市局领导", "city", ["director"])
    session.commit()
    with time_machine.travel(at("2025-10-16T16:00"), tick=True) as clock:
        a_done = accept(engine, session).id
        a_open = accept(engine, session, complainant_name="投诉人2", complainant_phone="13800000402",
                        requests="查处（2）").id
        b_done = cases.start_case(engine, session, "lawyer_complaint", {}, org_code="county-b", actor="b_intake").id
        do(engine, session, b_done, "投诉登记", "b_intake", {**REGISTRATION, "received_on": "2025-10-16",
                                                         "complainant_name": "投诉人3", "complainant_phone": "13800000403"})
        do(engine, session, b_done, "初审", "b_worker", review("accept"))
        do(engine, session, b_done, "受理审查决定", "b_chief", {"decision": "accepted", "decision_reason": "属于受理范围"})
        do(engine, session, b_done, "告知投诉人", "b_worker", {"notice_method": "post", "notified_on": "2025-10-16"})
        do(engine, session, b_done, "被投诉人书面说明", "b_worker", EXPLANATION)
        do(engine, session, b_done, "调查核实", "b_worker", INVESTIGATED)
        _finished(engine, session, a_done, "chen", "dora", "2025-10-20", clock, at("2025-10-20T10:00"),
                  at("2025-10-20T11:00"))
        clock.move_to(at("2025-10-20T10:30"))
        do(engine, session, b_done, "处理意见", "b_worker", UNFOUNDED)
        do(engine, session, b_done, "处理决定审批", "b_director", {"approved": True, "approval_opinion": "同意"})
        clock.move_to(at("2025-10-27T10:00"))
        do(engine, session, b_done, "答复送达", "b_worker", {"service_method": "direct", "served_on": "2025-10-27",
                                                         "service_proof": "投诉人签收"})
        do(engine, session, b_done, "归档", "b_worker", {"archive_no": "2025-TS-B001"})
    return {"a_done": a_done, "a_open": a_open, "b_done": b_done}


def test_the_shipped_ranking_scores_two_counties_as_counted_by_hand(session, two_counties):
    boss = user(session, "boss")
    with time_machine.travel(at("2025-10-28T12:00"), tick=False):
        result = reports.compute(session, boss, reports.report(session, boss, "complaint_ranking"))
    rows = {g.key: g for g in result.groups}
    a, b = rows["county-a"].figures, rows["county-b"].figures
    # County A: 2 received, a_open still running (backlog 1), nothing late; reviews 2 of 2, handling 1 of 1 and
    # replies 1 of 1 on time: 100 * (0.5 + 0.3 + 0.2) - 10 * 0 / 2 - 5 * 1 / 2 = 97.5.
    assert (a["received"].value, a["backlog"].value, a["overdue"].value) == (2, 1, 0)
    assert [(a[m].numerator, a[m].denominator) for m in ("on_time_review", "on_time_handling", "on_time_reply")] == [
        (2, 2), (1, 1), (1, 1)]
    # County B: 1 received and archived (no backlog); its reply served on 10-27, due 10-24 00:00: late, so b_done
    # is an overdue case; reviews 1 of 1 and handling 1 of 1 on time, replies 0 of 1:
    # 100 * (0.5 + 0.3 + 0) - 10 * 1 / 1 - 5 * 0 / 1 = 70.
    assert (b["received"].value, b["backlog"].value, b["overdue"].value) == (1, 0, 1)
    assert [(b[m].numerator, b[m].denominator) for m in ("on_time_review", "on_time_handling", "on_time_reply")] == [
        (1, 1), (1, 1), (0, 1)]
    assert [(g.key, g.score, g.rank) for g in result.groups] == [
        ("county-a", 97.5, 1), ("county-b", 70.0, 2), ("city-bar", None, None)]     # the bar has no figure
    late = reports.cases_behind(session, boss, result.report, measure="overdue", group="county-b")
    assert [c.id for c in late] == [two_counties["b_done"]]
