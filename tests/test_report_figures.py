"""The rest of issue 20's figures, on both databases, on cases driven through the real diagrams and compared with
counts made by hand: transfers counted once per hop, days suspended across a suspension (an open one counted to
now), the mean of a field and of one key of an object field (a dimension's subtotal), veto hits by item, the
re-inspection pass rate, 回访率, 满意率 and 抽查率; a case outside the reader's subtree is not counted and a mean with
nothing recorded is None (无数据), never an error."""
from __future__ import annotations

import json

import pytest
import time_machine

from engine.core import people
from engine.core.errors import BundleInvalid
from engine.definitions import bundles
from engine.runtime import cases
from engine.work import reports

from .complaint_steps import accept, at, do, register, review, user
from .conftest import bundle_with
from .helpers import ready


def _compute(session, username, key, **options):
    reader = user(session, username)
    return reports.compute(session, reader, reports.report(session, reader, key), **options)


def _rows(result, measure):
    return {g.key: g.figures[measure].value for g in result.groups}


def _transfer(engine, session, case_id, chief, to):
    do(engine, session, case_id, "受理审查决定", chief,
       {"decision": "transferred", "decision_reason": "被投诉人执业机构所在地不在本辖区", "transfer_to": to})


def _received(engine, session, case_id, worker, receiver):
    """The sending county tells the complainant, the receiving one registers the transfer."""
    do(engine, session, case_id, "告知投诉人", worker, {"notice_method": "post", "notified_on": "2025-10-13"})
    do(engine, session, case_id, "接收转办", receiver, {"transfer_received_on": "2025-10-13"})


def _suspended(engine, session, phone):
    """A complaint of another complainant accepted and suspended (中止) with the chief's approval, at 恢复办理."""
    case = accept(engine, session, complainant_name=f"投诉人{phone[-1]}", complainant_phone=phone,
                  requests=f"查处（{phone[-1]}）")
    do(engine, session, case.id, "调查核实", "chen", {"investigators": ["陈刚", "林涛"], "explanation_received": True,
                                                    "findings": "关联民事案件尚未审结，投诉事实有赖该案认定。",
                                                    "next_step": "suspend", "suspension_ground": "pending_other_case"})
    do(engine, session, case.id, "中止审批", "zhou", {"approved": True, "approval_opinion": "同意中止"})
    return case


@pytest.fixture
def moved(engine, session, complaint_setup):
    """County A: `twice` went to county B and back (two transfers), `resumed` was suspended 10 days, `open` has been
    suspended since 10-26; county B: `once` came from county A (one transfer). The city's `boss` sees both."""
    people.add_user(session, "boss", "市局领导", "city", ["director"])
    session.commit()
    with time_machine.travel(at("2025-10-13T09:00"), tick=False) as clock:
        twice = register(engine, session)
        do(engine, session, twice.id, "初审", "chen", review("not_accept", has_jurisdiction=False))
        _transfer(engine, session, twice.id, "zhou", "county-b")
        _received(engine, session, twice.id, "chen", "b_intake")
        do(engine, session, twice.id, "初审", "b_worker", review("not_accept", has_jurisdiction=False))
        _transfer(engine, session, twice.id, "b_chief", "county-a")
        do(engine, session, twice.id, "再次转办审批", "b_director",
           {"transfer_approved": True, "approval_opinion": "被投诉人执业机构在 A 区，同意再次转办"})
        _received(engine, session, twice.id, "b_worker", "xu")
        once = register(engine, session)
        do(engine, session, once.id, "初审", "chen", review("not_accept", has_jurisdiction=False))
        _transfer(engine, session, once.id, "zhou", "county-b")
        _received(engine, session, once.id, "chen", "b_intake")
        clock.move_to(at("2025-10-26T09:00"))
        resumed = _suspended(engine, session, "13800000002")
        still = _suspended(engine, session, "13800000003")
        clock.move_to(at("2025-11-05T09:00"))
        do(engine, session, resumed.id, "恢复办理", "chen", {"resume_reason": "关联民事案件已审结"})
    return {"twice": twice.id, "once": once.id, "resumed": resumed.id, "open": still.id}


def test_a_transfer_counts_once_per_hop_and_only_in_the_readers_subtree(session, moved):
    assert cases.get_case(session, moved["twice"]).meta["transfer_count"] == 2
    assert cases.get_case(session, moved["twice"]).org.code == "county-a"
    now = at("2025-11-15T09:00")
    chief = _compute(session, "zhou", "complaint_suspensions", now=now)      # county A: `once` is B's
    assert (chief.total["transfers"].value, chief.total["transferred"].value) == (2, 1)
    city = _compute(session, "boss", "complaint_suspensions", now=now)
    assert _rows(city, "transfers") == {"county-a": 2, "county-b": 1, "city-bar": 0}
    assert (city.total["transfers"].value, city.total["transferred"].value) == (3, 2)
    behind = reports.cases_behind(session, user(session, "zhou"), chief.report, measure="transfers")
    assert sorted(c.id for c in behind) == sorted([moved["twice"], moved["resumed"], moved["open"]])


def test_days_suspended_count_each_suspension_and_an_open_one_up_to_now(session, moved):
    now = at("2025-11-15T09:00")                   # `resumed`: 10-26 → 11-05, 10 days; `open`: 10-26 → now, 20 days
    chief = _compute(session, "zhou", "complaint_suspensions", now=now)
    total = chief.total
    assert (total["suspended_cases"].value, total["suspended_now"].value) == (2, 1)
    assert (total["suspended_days"].value, total["suspended_mean"].value) == (30, 15)
    assert total["suspended_mean"].denominator == 2
    behind = reports.cases_behind(session, user(session, "zhou"), chief.report, measure="suspended_days")
    assert sorted(c.id for c in behind) == sorted([moved["resumed"], moved["open"]])
    county_b = _compute(session, "b_chief", "complaint_suspensions", now=now)
    assert county_b.total["suspended_days"].value == 0                  # a sum of nothing is zero
    assert county_b.total["suspended_mean"].value is None               # a mean of nothing: 无数据
    later = _compute(session, "zhou", "complaint_suspensions", now=at("2025-11-25T09:00"))
    assert later.total["suspended_days"].value == 40                    # the open suspension goes on counting


def test_a_period_with_no_case_has_zero_sums_and_no_means(session, moved):
    empty = _compute(session, "boss", "complaint_suspensions", since=at("2024-01-01").date(),
                     until=at("2024-01-31").date())
    assert empty.total["transfers"].value == 0 and empty.total["suspended_mean"].value is None


def test_a_sum_mean_or_ratio_of_an_unreported_field_or_of_two_things_is_refused_where_it_is(engine, session,
                                                                                          org_tree):
    from engine.definitions.report_schema import semantic_problems

    properties = {"p": {"reportableFields": "transfer_count,area_scores,veto_items"}}
    report = {"key": "r", "title": "t", "process": "p", "groupBy": "@org",
              "measures": [{"name": "a", "label": "a", "kind": "mean", "field": "colour"},
                           {"name": "b", "label": "b", "kind": "ratio", "field": "area_scores.A1", "over": "pool.A"},
                           {"name": "c", "label": "c", "kind": "count", "where": {"veto_items": {"has": []}}},
                           {"name": "d", "label": "d", "kind": "count", "where": {"veto_items": {"has": "V1"}}},
                           {"name": "e", "label": "e", "kind": "sum", "field": "transfer_count"}]}
    found = [(where, msg.code) for where, msg, _ in semantic_problems(report, properties, {"p": set()}, {})]
    assert found == [("/measures/0/field", "reportdef.unknown_field"), ("/measures/1/over", "reportdef.unknown_field"),
                     ("/measures/2/where/veto_items", "reportdef.never_holds")]
    both = {"key": "both", "title": "两者", "process": "lawyer_complaint", "groupBy": "@org",
            "measures": [{"name": "both", "label": "两者", "kind": "sum", "field": "transfer_count",
                          "tasks": ["Task_resume"]}]}
    path = "forms/complaint/both.report.json"
    with pytest.raises(BundleInvalid) as refused:
        bundles.deploy(session, bundle_with({path: json.dumps(both, indent=2).encode()}), engine=engine)
    [problem] = refused.value.problems
    assert (problem.file, problem.element, problem.msg.code) == (path, "/measures/0", "reportdef.invalid")
