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
from engine.work import report_tree, reports

from .complaint_steps import accept, at, do, register, review, user
from . import legal_aid_quality_steps as quality
from . import legal_aid_steps as legal_aid
from . import test_law_firm_scenarios as law_firm
from . import test_legal_aid_audit as legal_aid_audit
from . import test_legal_aid_quality_check as quality_check
from .conftest import bundle_with
from .helpers import ready
from .test_complaint_sanctions import sanctions_setup  # noqa: F401 - a fixture
from .test_law_firm_scenarios import firms  # noqa: F401 - a fixture
from .test_legal_aid_audit import institutions  # noqa: F401 - a fixture
from .test_legal_aid_quality_check import ledger  # noqa: F401 - a fixture


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


def test_law_firm_scores_by_dimension_veto_hits_and_re_inspection(engine, session, firms):
    """F-0001 (county A) scores 74: D1 4 (D1.2, D1.3, D1.4 taken), D2 10 (D2.1, D2.3, D2.4 and 2 of D2.5), then
    rectifies and passes its recheck; F-0002 (county A) scores 92 (D1 7) with vetoes V2 and V4; F-0003 (county B)
    scores 86 (D1 4, D2 22). Every other dimension is full (D3 20, D4 20, D5 10, D6 10)."""
    people.add_user(session, "a_affairs", "A区律师工作股", "county-a", ["lawyer_affairs"])
    session.commit()
    with time_machine.travel(at("2025-10-13T09:00"), tick=True) as clock:
        _campaign, applied = law_firm.three_inspected(engine, session, clock, 74)
        first = law_firm.application(session, "F-0001")
        assert first.meta["dimension_scores"] == {"D1": 4, "D2": 10, "D3": 20, "D4": 20, "D5": 10, "D6": 10}
        clock.move_to(at("2025-11-20T10:00"))
        do(engine, session, first.id, "限期整改", "mingde", {"rectification_report": "已建立利益冲突审查台账"})
        task = next(t for t in ready(session, first.id) if t.name == "复查评分")
        do(engine, session, first.id, "复查评分", task.candidate_users[0],
           {"rechecked_on": "2025-11-20", "recheck_score": law_firm.sheet(86), "recheck_opinion": "整改到位"})
        do(engine, session, first.id, "评分与认定", "gao", law_firm.DECIDE)
        assert law_firm.application(session, "F-0001").meta["recheck_passed"] is True
    city = _compute(session, "qian", "law_firm_scores")
    total = city.total
    assert (total["inspected"].value, total["mean_total"].value) == (3, 84)          # (74 + 92 + 86) / 3
    assert (total["mean_d1"].value, total["mean_d2"].value, total["mean_d3"].value) == (5, 19, 20)
    assert total["mean_d1"].denominator == 3
    assert _rows(city, "mean_d1") == {"county-a": 5.5, "county-b": 4, "city-bar": None}    # a row with no firm: 无数据
    assert (total["rectified"].value, total["rechecked"].value, total["recheck_rate"].value) == (1, 1, 1.0)
    county = _compute(session, "a_affairs", "law_firm_scores")                      # F-0003 is county B's
    assert (county.total["mean_total"].value, county.total["mean_d2"].value) == (83, 17.5)
    vetoes = _compute(session, "qian", "law_firm_vetoes")
    assert {name: f.value for name, f in vetoes.total.items()} == {
        "vetoed": 1, "veto_v1": 0, "veto_v2": 1, "veto_v3": 0, "veto_v4": 1}
    assert _rows(vetoes, "veto_v4") == {"county-a": 1, "county-b": 0, "city-bar": 0}
    behind = reports.cases_behind(session, user(session, "qian"), vetoes.report, measure="veto_v2")
    assert [c.id for c in behind] == [applied["F-0002"].id]
    assert reports.cases_behind(session, user(session, "a_affairs"), city.report, measure="mean_d1", group="county-b") == []
    with time_machine.travel(at("2025-11-28T09:00"), tick=True):
        law_firm.sweep(engine, session)                 # both publicities are over: F-0001 and F-0003 are named
    acceptance = reports.report(session, user(session, "qian"), "law_firm_acceptance")
    tree = report_tree.org_tree(session, user(session, "qian").org, acceptance)
    assert (tree.code, tree.figure.numerator, tree.figure.denominator) == ("city", 2, 3)
    counties = {c.code: c for c in tree.children}
    assert counties["county-a"].figure.value == 0.5 and counties["county-b"].figure.value == 1.0
    assert counties["city-bar"].figure.value is None and counties["city-bar"].children == []    # 无数据
    assert {f.code: f.figure.value for f in counties["county-a"].children} == {"F-0001": 1.0, "F-0002": 0.0}
    own = report_tree.org_tree(session, user(session, "a_affairs").org, acceptance)    # county A's own subtree only
    assert (own.code, own.figure.denominator, [c.code for c in own.children]) == ("county-a", 2, ["F-0001", "F-0002"])
    scores = reports.report(session, user(session, "qian"), "law_firm_scores")
    assert report_tree.org_tree(session, user(session, "qian").org, scores) is None           # a report without orgTree


def _institution(code: str, name: str, county: str) -> dict:
    return legal_aid_audit.la_a_item(case_org=code, institution_code=code, institution_name=name, district=county,
                                     lane_orgs={"区县法律援助审核员": county, "法律援助活动组织员": "city",
                                                "法律援助达标领导小组": "city"})


def test_legal_aid_mean_score_per_area_and_veto_hits(engine, session, institutions):
    """Self-assessed and released undrawn, so scored on the self-assessment: LA-a (county A) 80, its 咨询接待 (A1)
    at 5 (A1.2–A1.5 taken in full); LA-b (county B) 90, A1 15; LA-city (under the city) 95 with veto V1, A1 20;
    the other areas full (25). The union's volunteer body is not in scope."""
    with time_machine.travel(at("2025-06-16T09:00"), tick=True):
        for code, (name, county, _kind, _contact) in legal_aid.INSTITUTIONS.items():
            if code != "LA-union":
                cases.start_case(engine, session, "legal_aid_assessment", _institution(code, name, county),
                                 org_code=code, actor="fang")
        for code, total, vetoes in (("LA-a", 80, {}), ("LA-b", 90, {}), ("LA-city", 95, {"V1": "收取交通费"})):
            case = legal_aid.self_assessed(engine, session, code, total, **vetoes)
            cases.send_message(engine, session, case.id, "抽查安排", {}, actor="fang")     # released undrawn
        assert legal_aid.assessment(session, "LA-a").meta["area_scores"] == {"A1": 5, "A2": 25, "A3": 25, "A4": 25}
    city = _compute(session, "fang", "legal_aid_areas")
    total = city.total
    assert (total["mean_total"].value, total["mean_a1"].value, total["mean_a2"].value) == (88.33, 13.33, 25)
    assert _rows(city, "mean_a1") == {"county-a": 5, "county-b": 15, "LA-city": 20, "LA-union": None}
    assert (total["vetoed"].value, total["veto_v1"].value, total["veto_v2"].value) == (1, 1, 0)
    county_b = _compute(session, "rb", "legal_aid_areas")               # LA-a and LA-city are not county B's
    assert (county_b.total["mean_total"].value, county_b.total["mean_a1"].value) == (90, 15)
    assert county_b.total["veto_v1"].value == 0
    # 结论 (forms/legal_aid/bands.report.json): LA-a 80 不达标, LA-b 90 达标, LA-city 95 but vetoed: 不达标.
    bands = _compute(session, "fang", "legal_aid_bands")
    assert _rows(bands, "institutions") == {"不达标": 2, "达标": 1} and bands.total["institutions"].value == 3
    assert _rows(bands, "mean_total") == {"不达标": 87.5, "达标": 90}
    assert _rows(bands, "vetoed") == {"不达标": 1, "达标": 0}
    assert _rows(_compute(session, "rb", "legal_aid_bands"), "institutions") == {"达标": 1}     # county B: LA-b


def test_legal_aid_visits_satisfaction_quality_and_sampling(engine, session, ledger):
    """The centre's check samples 6 of LA-a's 10 closed files (60 %); four more files are reviewed by hand: 89.5
    (visited, satisfied), 53.5 (visited, not satisfied), 82 (not visited yet), and one scored by one reviewer only
    (not graded, not counted)."""
    people.add_role(session, "legal_aid_district_reviewer", "区县法律援助审核员")
    people.add_user(session, "rb", "B县审核员", "county-b", ["legal_aid_district_reviewer"])
    session.commit()
    with time_machine.travel(at("2025-11-03T09:00"), tick=True):
        quality_check.organised(engine, session)
        files = [quality.file_review(engine, session, case_number=f"（2025）东法援民字第{n}号") for n in (51, 52, 53, 54)]
        for case, (a, b) in zip(files, ((93, 86), (55, 52), (80, 84))):
            quality.score(engine, session, case.id, "hou", a)
            quality.score(engine, session, case.id, "wu", b)
        quality.score(engine, session, files[3].id, "hou", 90)
        quality.do_as(engine, session, files[0].id, "回访受援人", "la_a", quality.VISIT)
        quality.do_as(engine, session, files[1].id, "回访受援人", "la_a", {**quality.VISIT, "satisfaction": "不满意"})
    city = _compute(session, "fang", "legal_aid_quality")
    total = city.total
    assert (total["files"].value, total["mean_total"].value, total["visited"].value) == (3, 75, 2)
    assert (total["visit_rate"].numerator, total["visit_rate"].denominator) == (2, 3)
    assert (total["satisfaction_rate"].numerator, total["satisfaction_rate"].denominator) == (1, 2)
    sampling = _compute(session, "fang", "legal_aid_sampling")
    assert (sampling.total["checks"].value, sampling.total["pool"].value, sampling.total["sampled"].value) == (1, 10, 6)
    assert sampling.total["sample_rate"].value == 0.6
    outside = _compute(session, "rb", "legal_aid_quality")              # county B sees none of LA-a's files
    assert outside.total["files"].value == 0 and outside.total["mean_total"].value is None
    assert outside.total["visit_rate"].value is None
    assert _compute(session, "rb", "legal_aid_sampling").total["sample_rate"].value is None


def test_an_org_tree_must_name_a_rate_of_a_report_grouped_by_organisation():
    from engine.definitions.report_schema import semantic_problems

    properties = {"p": {"reportableFields": "stage"}}
    measures = [{"name": "n", "label": "n", "kind": "count"},
                {"name": "r", "label": "r", "kind": "rate", "where": {"stage": "a"}, "base": {"stage": ["a", "b"]}}]
    report = {"key": "r", "title": "t", "process": "p", "groupBy": "@org", "measures": measures}
    check = lambda **changes: [(w, m.code) for w, m, _ in semantic_problems({**report, **changes}, properties,  # noqa: E731
                                                                            {"p": set()}, {})]
    assert check(orgTree="r") == []
    assert check(orgTree="n") == [("/orgTree", "reportdef.tree_measure")]
    assert check(orgTree="x") == [("/orgTree", "reportdef.tree_measure")]
    assert check(orgTree="r", groupBy="@month") == [("/orgTree", "reportdef.tree_measure")]
