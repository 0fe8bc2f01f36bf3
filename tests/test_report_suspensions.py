"""Days suspended count the 终止审批 held while a case is suspended, on both databases, on complaints driven through
the real diagram and compared with days counted by hand: a suspension ended by an approved termination counts up
to the termination, one whose termination was refused goes on counting (the approval included), and a termination
approval outside a suspension counts nothing. A case terminated while suspended is no longer 中止中, and its
suspension is recorded with its days."""
from __future__ import annotations

import time_machine

from engine.runtime import cases
from engine.runtime.timers import fire_due_timers
from engine.work import casework, reports

from .complaint_steps import accept, at, do, user
from .helpers import ready
from .test_report_figures import _compute, _suspended


def test_a_termination_approval_during_a_suspension_counts_as_days_suspended(engine, session, complaint_setup):
    with time_machine.travel(at("2025-10-26T09:00"), tick=False) as clock:
        ended = _suspended(engine, session, "13800000004")          # suspended 10-26 09:00
        refused = _suspended(engine, session, "13800000005")
        clock.move_to(at("2025-11-03T10:00"))
        plain = accept(engine, session, complainant_name="投诉人6", complainant_phone="13800000006",
                       requests="查处（6）")
        do(engine, session, plain.id, "调查核实", "chen", {"investigators": ["陈刚", "林涛"], "findings": "双方已达成和解协议。",
                                                         "next_step": "terminate", "termination_ground": "settled"})
        clock.move_to(at("2025-12-26T09:00"))                       # 60 days: the expiry review
        fire_due_timers(engine, session)
        for case_id in (ended.id, refused.id):
            do(engine, session, case_id, "中止期满审查", "chen", {"suspension_review": "terminate",
                                                             "suspension_review_opinion": "关联案件仍未审结"})
        clock.move_to(at("2025-12-30T09:00"))                       # four days in 终止审批
        do(engine, session, ended.id, "终止审批", "zhou", {"approved": True, "approval_opinion": "同意终止"})
        do(engine, session, refused.id, "终止审批", "zhou", {"approved": False, "approval_opinion": "关联案件即将审结"})
        do(engine, session, plain.id, "终止审批", "zhou", {"approved": True, "approval_opinion": "同意终止"})
    assert cases.get_case(session, ended.id).status == "completed"
    assert [t.name for t in ready(session, refused.id)] == ["恢复办理"]
    assert "终止审批" not in [t.name for t in ready(session, plain.id)]
    meta = cases.get_case(session, ended.id).meta
    assert meta["suspended"] is False                                 # terminated: no longer 中止中
    recorded = casework.case_data(engine, session, cases.get_case(session, ended.id))["suspensions"]
    assert [(r["from"][:10], r["to"][:10], r["days"]) for r in recorded] == [("2025-10-26", "2025-12-30", 65)]

    now = at("2026-01-09T09:00")
    by_hand = {ended.id: 65.0,                                        # 10-26 09:00 → 12-30 09:00, the approval included
               refused.id: 75.0}                                      # 10-26 09:00 → now: the refusal keeps it suspended
    chief = _compute(session, "zhou", "complaint_suspensions", now=now)
    total = chief.total
    assert total["suspended_days"].value == sum(by_hand.values()) == 140   # `plain`'s 57 days in 终止审批 do not count
    assert (total["suspended_mean"].value, total["suspended_mean"].denominator) == (70, 2)
    assert (total["suspended_cases"].value, total["suspended_now"].value) == (2, 1)
    behind = reports.cases_behind(session, user(session, "zhou"), chief.report, measure="suspended_days")
    assert sorted(c.id for c in behind) == sorted(by_hand)
