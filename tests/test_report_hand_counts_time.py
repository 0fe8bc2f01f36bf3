"""Issue 20's time figures counted by hand, on both databases, on cases driven through the real diagrams: the on-time
rates of handling and of review count a case once, and a case suspended for N days is on time when handled within
the limit plus those days (procedures.md §2.5: 中止 time does not count; a review paused for a supplement likewise),
on the 统计 page and on the portal's 公开数据; and the law-firm acceptance's revocations."""
from __future__ import annotations

import json

import pytest
import time_machine

from engine.runtime import cases
from engine.work import report_tree, reports

from .complaint_steps import EXPLANATION, accept, at, do, register, review, task_named, user
from . import test_law_firm_scenarios as law_firm
from .law_firm_steps import penalised
from .test_complaint_sanctions import sanctions_setup  # noqa: F401 - a fixture
from .test_law_firm_scenarios import firms  # noqa: F401 - a fixture

INVESTIGATED = {"investigators": ["陈刚", "林涛"], "explanation_received": True, "findings": "经调查核实的事实。",
                "next_step": "report"}
UNFOUNDED = {"outcome": "no_violation", "outcome_reason": "投诉反映的问题查证不实", "legal_basis": "《律师执业管理办法》第五十条"}


def _compute(session, username, key, **options):
    reader = user(session, username)
    return reports.compute(session, reader, reports.report(session, reader, key), **options)


def _behind(session, username, key, measure, **options):
    reader = user(session, username)
    found = reports.cases_behind(session, reader, reports.report(session, reader, key), measure=measure, **options)
    return sorted(c.id for c in found)


def _accepted(engine, session, n):
    """A complaint of its own complainant and matter, accepted on Thursday 2025-10-16: its handling limit of 60 days
    ends with Monday 12-15 (due 12-16 00:00)."""
    return accept(engine, session, complainant_name=f"投诉人{n}", complainant_phone=f"1380000030{n}",
                  requests=f"查处（{n}）")


def _decided(engine, session, case_id):
    do(engine, session, case_id, "处理意见", "chen", UNFOUNDED)
    do(engine, session, case_id, "处理决定审批", "dora", {"approved": True, "approval_opinion": "同意"})


def _served(engine, session, case_id, served_on):
    do(engine, session, case_id, "答复送达", "chen", {"service_method": "direct", "served_on": served_on,
                                                    "service_proof": "投诉人签收"})


@pytest.fixture
def timed(engine, session, complaint_setup):
    """County A: `prompt` investigated on 10-16 and its reply served on time; `suspended` suspended from 10-26 to
    11-15 (20 days, so due 2026-01-05 00:00) and investigated on 12-30, after the plain limit but within it plus the
    20 days; `late` investigated on 12-30, past its limit, and its reply served late (01-26, due 01-24 00:00);
    `overran` suspended like `suspended` but investigated on 2026-01-20, past the limit plus its 20 days; `prompt`
    is then archived (办结). Two cases are extended by 30 days on 12-10 (due 2026-01-15 00:00): `extended`,
    investigated on 01-13, within the 90 days, and `overextended`, investigated on 01-20, after them; the complainant
    of `overextended` is told of the acceptance on Thursday 10-23 (decided on 10-16: due 10-22 00:00), late."""
    with time_machine.travel(at("2025-10-16T16:00"), tick=True) as clock:
        found = {name: _accepted(engine, session, n).id
                 for n, name in enumerate(("prompt", "suspended", "late", "overran", "extended"))}
        found["overextended"] = register(engine, session, complainant_name="投诉人5",
                                         complainant_phone="13800000305", requests="查处（5）").id
        do(engine, session, found["overextended"], "初审", "chen", review("accept"))
        do(engine, session, found["overextended"], "受理审查决定", "zhou",
           {"decision": "accepted", "decision_reason": "属于受理范围"})
        assert task_named(session, found["overextended"], "告知投诉人").due_at == at("2025-10-22T00:00")
        do(engine, session, found["prompt"], "调查核实", "chen", INVESTIGATED)
        clock.move_to(at("2025-10-20T10:00"))
        _decided(engine, session, found["prompt"])                       # reply due in 3 working days: 21, 22, 23
        _served(engine, session, found["prompt"], "2025-10-20")
        do(engine, session, found["prompt"], "归档", "chen", {"archive_no": "2025-TS-0101"})
        clock.move_to(at("2025-10-23T10:00"))
        do(engine, session, found["overextended"], "告知投诉人", "chen",
           {"notice_method": "post", "notified_on": "2025-10-23"})
        do(engine, session, found["overextended"], "被投诉人书面说明", "chen", EXPLANATION)
        clock.move_to(at("2025-10-26T10:00"))
        for name in ("suspended", "overran"):
            do(engine, session, found[name], "调查核实", "chen", {
                **INVESTIGATED, "next_step": "suspend", "suspension_ground": "pending_other_case"})
            do(engine, session, found[name], "中止审批", "zhou", {"approved": True, "approval_opinion": "同意中止"})
        clock.move_to(at("2025-11-15T10:00"))
        for name in ("suspended", "overran"):
            do(engine, session, found[name], "恢复办理", "chen", {"resume_reason": "关联民事案件已审结"})
            assert task_named(session, found[name], "调查核实").due_at == at("2026-01-05T00:00")
        clock.move_to(at("2025-12-10T10:00"))
        for name in ("extended", "overextended"):
            assert task_named(session, found[name], "调查核实").due_at == at("2025-12-16T00:00")
            do(engine, session, found[name], "调查核实", "chen",
               {**INVESTIGATED, "next_step": "extend", "extension_reason": "案情复杂，需异地调取证据"})
            do(engine, session, found[name], "延期审批", "dora", {"approved": True, "approval_opinion": "同意延期 30 日"})
            assert task_named(session, found[name], "调查核实").due_at == at("2026-01-15T00:00")
        clock.move_to(at("2025-12-30T10:00"))
        assert task_named(session, found["late"], "调查核实").due_at == at("2025-12-16T00:00")
        for name in ("suspended", "late"):
            do(engine, session, found[name], "调查核实", "chen", INVESTIGATED)
        clock.move_to(at("2026-01-13T10:00"))
        do(engine, session, found["extended"], "调查核实", "chen", INVESTIGATED)
        clock.move_to(at("2026-01-20T10:00"))                          # a Tuesday: reply due in 21, 22, 23
        do(engine, session, found["overran"], "调查核实", "chen", INVESTIGATED)
        do(engine, session, found["overextended"], "调查核实", "chen", INVESTIGATED)
        _decided(engine, session, found["late"])
        assert task_named(session, found["late"], "答复送达").due_at == at("2026-01-24T00:00")
        clock.move_to(at("2026-01-26T10:00"))
        _served(engine, session, found["late"], "2026-01-26")
    return found


def test_a_case_suspended_for_20_days_is_on_time_within_the_limit_plus_20_days(session, timed):
    handling = _compute(session, "zhou", "complaint_handling").total["on_time_handling"]
    # On time: prompt (10-16, due 12-16) and suspended (12-30, due 12-16 + 20 days); late: late (12-30, due 12-16)
    # and overran (01-20, due 01-05). Each case counts once: an investigation closed to suspend the case and the one
    # resumed are one handling (counting steps would give 4 of 6, overran's suspension counted on time).
    # Extended: on time (01-13, due 12-16 + 30 days); overextended: late (01-20, due 01-15).
    assert (handling.numerator, handling.denominator) == (3, 6)
    assert _behind(session, "zhou", "complaint_handling", "on_time_handling") == sorted(
        [timed["prompt"], timed["suspended"], timed["extended"]])
    assert _behind(session, "zhou", "complaint_handling", "on_time_handling", part="late") == sorted(
        [timed["late"], timed["overran"], timed["overextended"]])
    assert _behind(session, "zhou", "complaint_handling", "on_time_handling", part="base") == sorted(timed.values())
    chief = user(session, "zhou")
    tree = report_tree.org_tree(session, chief.org, reports.report(session, chief, "complaint_handling"))
    assert (tree.code, tree.figure.numerator, tree.figure.denominator) == ("county-a", 3, 6)   # its colour too
    days = _compute(session, "zhou", "complaint_suspensions").total["suspended_days"]
    assert (days.value, days.denominator) == (40, 2)                    # each 10-26 10:00 → 11-15 10:00


def test_notice_completion_and_handling_days_are_counted_by_hand(session, timed):
    total = _compute(session, "zhou", "complaint_handling").total
    # 告知: five told on their decision day (10-16, due 10-22 00:00), overextended on 10-23: 5 of 6, per step.
    notice = total["on_time_notice"]
    assert (notice.numerator, notice.denominator) == (5, 6)
    assert _behind(session, "zhou", "complaint_handling", "on_time_notice", part="late") == [timed["overextended"]]
    # 办结: prompt archived, of the 6 accepted.
    completion = total["completion_rate"]
    assert (completion.numerator, completion.denominator) == (1, 6) and completion.value > 0
    assert _behind(session, "zhou", "complaint_handling", "completion_rate") == [timed["prompt"]]
    # 调查核实 steps done, in days (each step from its start to its completion): prompt 0; suspended and overran
    # before their suspension 9.75 each (10-16 16:00 → 10-26 10:00), after it 45 (11-15 → 12-30) and 66
    # (11-15 → 01-20); late 74.75 (10-16 16:00 → 12-30 10:00); extended 54.75 (→ 12-10 10:00) then 34 (→ 01-13);
    # overextended 48 (10-23 10:00 → 12-10 10:00) then 41 (→ 01-20). Sorted, ten values: 0, 9.75, 9.75, 34, 41,
    # 45, 48, 54.75, 66, 74.75; nearest rank: P50 the 5th (41), P90 the 9th (66).
    days = total["handling_days"]
    assert days.value == {50: 41.0, 90: 66.0} and days.denominator == 10


def test_the_portal_publishes_the_on_time_rates_counted_by_hand(session, timed):
    [published] = [r for r in reports.public_figures(session, 2025) if r.report["key"] == "public_complaint_figures"]
    total = published.total
    assert (total["received"].value, total["completed"].value) == (6, 1)          # prompt archived
    assert (total["on_time_handling"].numerator, total["on_time_handling"].denominator) == (3, 6)
    # Replies: prompt's served on its decision day, late's two working days past its due time; the others not yet.
    assert (total["on_time_reply"].numerator, total["on_time_reply"].denominator) == (1, 2)
    assert {g.key: g.figures["on_time_handling"].value for g in published.groups} == {
        "county-a": 0.5, "county-b": None, "city-bar": None}
    assert [r for r in reports.public_figures(session, 2024) if r.report["key"] == "public_complaint_figures"][
        0].total["on_time_handling"].value is None                      # a year with no case: 无数据


def test_law_firm_revocations_are_counted(engine, session, firms):
    """F-0001 (county A) is named, then a lawyer of it is penalised and the city revokes the naming; the other
    firms of the campaign are not named."""
    with time_machine.travel(at("2025-10-13T09:00"), tick=True) as clock:
        case = law_firm.named(engine, session, clock)
        clock.move_to(at("2025-11-17T09:00"))
        penalised(engine, session, clock, "L-0009")                    # a lawyer of F-0001
        law_firm.sweep(engine, session)
        do(engine, session, case.id, "撤销审查", "qian",
           {"revoke": True, "fraud_confirmed": False, "revocation_opinion": "有效期内本所律师受到行政处罚"})
    assert cases.get_case(session, case.id).meta["stage"] == "已撤销"
    city = _compute(session, "qian", "law_firm_scores")
    assert city.total["revoked"].value == 1
    assert {g.key: g.figures["revoked"].value for g in city.groups}["county-a"] == 1
    assert _behind(session, "qian", "law_firm_scores", "revoked") == [case.id]
    acceptance = _compute(session, "qian", "law_firm_acceptance").total
    assert acceptance["named"].value == 0                               # revoked: no longer 已命名


def test_counting_each_case_once_belongs_to_an_on_time_rate_only():
    from engine.definitions.report_schema import read_report

    def problems(**measure):
        report = {"key": "r", "title": "按期", "process": "lawyer_complaint", "groupBy": "@org",
                  "measures": [{"name": "m", "label": "按期", "kind": "on_time", "tasks": ["Task_investigate"],
                                **measure}]}
        return [(p.element, p.msg.code) for p in read_report("forms/r.report.json",
                                                             json.dumps(report, indent=2).encode())[1]]

    assert problems(per="case") == [] and problems(per="step") == []
    assert problems(per="month") == [("/measures/0/per", "reportdef.invalid")]
    assert problems(kind="count", per="case") == [("/measures/0/kind", "reportdef.invalid")]


def test_a_review_paused_for_a_supplement_counts_once_against_the_clock_resumed(engine, session, complaint_setup):
    """Registered on Monday 2025-10-13 (review due in 10 working days): `paused` asks for a supplement on 10-15 with
    8 working days left, receives it on 10-20 (due 10-31 00:00) and is reviewed on 11-03, late; `prompt` is reviewed
    on 10-15."""
    with time_machine.travel(at("2025-10-13T09:00"), tick=True) as clock:
        paused = register(engine, session)
        prompt = register(engine, session, complainant_name="投诉人7", complainant_phone="13800000307",
                          requests="查处（7）")
        clock.move_to(at("2025-10-15T10:00"))
        do(engine, session, paused.id, "初审", "chen", review("supplement", supplement_items="付款凭证"))
        do(engine, session, prompt.id, "初审", "chen", review("accept"))
        clock.move_to(at("2025-10-22T11:00"))
        do(engine, session, paused.id, "收到补正材料", "xu",
           {"supplement_received_on": "2025-10-20", "supplement_summary": "已提交付款凭证"})
        assert task_named(session, paused.id, "初审").due_at == at("2025-10-31T00:00")
        clock.move_to(at("2025-11-03T10:00"))
        do(engine, session, paused.id, "初审", "chen", review("accept"))
    review_rate = _compute(session, "zhou", "complaint_handling").total["on_time_review"]
    assert (review_rate.numerator, review_rate.denominator) == (1, 2)   # counting steps: 2 of 3
    assert _behind(session, "zhou", "complaint_handling", "on_time_review", part="late") == [paused.id]
    ranking = _compute(session, "zhou", "complaint_ranking").total["on_time_review"]
    assert (ranking.numerator, ranking.denominator) == (1, 2)
