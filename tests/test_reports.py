"""Reports as data (issue 20): the shipped complaint reports computed on complaints driven through the real diagram,
on both databases, compared with counts made by hand; a case outside the reader's subtree is not counted; each
figure names its cases; a bad report definition is refused with its file, JSON pointer and line."""
from __future__ import annotations

import json
from pathlib import Path
from datetime import date

import pytest
import time_machine

from engine.core import people
from engine.core.errors import BundleInvalid, NotFound
from engine.definitions import bundles
from engine.runtime import cases
from engine.work import reports

from .complaint_steps import REGISTRATION, at, do, register, review, user
from .conftest import bundle_with


def _register_in(engine, session, org, intake, **changes):
    case = cases.start_case(engine, session, "lawyer_complaint", {}, org_code=org, actor=intake)
    do(engine, session, case.id, "投诉登记", intake, {**REGISTRATION, **changes})
    return case


@pytest.fixture
def complaints(engine, session, complaint_setup):
    """Five complaints in county A (three received in October, two in November) and one in county B; a3 repeats
    a1, a4 repeats a2, and a5 (a letter received on 11-10, its review open) repeats a2 and a4: its repeat_count is 2."""
    people.add_user(session, "boss", "市局领导", "city", ["director"])
    session.commit()
    with time_machine.travel(at("2025-10-13T09:00"), tick=False) as clock:
        a1 = register(engine, session)                                  # 12345, a lawyer: accepted on time
        do(engine, session, a1.id, "初审", "chen", review("accept"))
        do(engine, session, a1.id, "受理审查决定", "zhou", {"decision": "accepted", "decision_reason": "属于受理范围"})
        a2 = register(engine, session, channel="letter", respondent_id="F-0001")     # a firm: not accepted
        do(engine, session, a2.id, "初审", "chen", review("not_accept", in_scope=False))
        do(engine, session, a2.id, "受理审查决定", "zhou", {"decision": "not_accepted", "decision_reason": "不属于受理范围",
                                                          "other_channel": "民事诉讼"})
        a3 = register(engine, session)                                  # 12345: its review finished late
        b1 = _register_in(engine, session, "county-b", "b_intake")
        do(engine, session, b1.id, "初审", "b_worker", review("accept"))
        do(engine, session, b1.id, "受理审查决定", "b_chief", {"decision": "accepted", "decision_reason": "属于受理范围"})
        clock.move_to(at("2025-11-10T09:00"))
        do(engine, session, a3.id, "初审", "chen", review("accept"))
        a4 = register(engine, session, channel="visit", respondent_id="F-0001")
        a5 = register(engine, session, channel="letter", respondent_id="F-0001", received_on="2025-11-10")
    assert cases.get_case(session, a5.id).meta["repeat_count"] == 2
    return {"a1": a1.id, "a2": a2.id, "a3": a3.id, "a4": a4.id, "a5": a5.id, "b1": b1.id}


def _table(result, measure):
    return {g.key: g.figures[measure].value for g in result.groups}


def test_the_complaint_figures_equal_the_counts_made_by_hand(session, complaints):
    chief = user(session, "zhou")                         # county A: B's complaint is not his to count
    channels = reports.compute(session, chief, reports.report(session, chief, "complaint_channels"))
    assert _table(channels, "received") == {"hotline_12345": 2, "letter": 2, "visit": 1}
    assert _table(channels, "accepted") == {"hotline_12345": 1, "letter": 0, "visit": 0}
    assert channels.total["received"].value == 5
    kinds = reports.compute(session, chief, reports.report(session, chief, "complaint_respondents"))
    assert _table(kinds, "received") == {"firm": 3, "lawyer": 2}
    handling = reports.compute(session, chief, reports.report(session, chief, "complaint_handling"))
    figures = handling.total
    assert (figures["received"].value, figures["acceptance_rate"].numerator,
            figures["acceptance_rate"].denominator, figures["acceptance_rate"].value) == (5, 1, 2, 0.5)
    assert (figures["completion_rate"].value, figures["completion_rate"].denominator) == (0.0, 1)
    assert (figures["on_time_review"].numerator, figures["on_time_review"].denominator) == (2, 3)
    assert figures["on_time_handling"].value is None and figures["handling_days"].value is None   # 无数据
    monthly = reports.compute(session, chief, reports.report(session, chief, "complaint_monthly"))
    assert _table(monthly, "received") == {"2025-10": 3, "2025-11": 2}
    assert _table(monthly, "accepted") == {"2025-10": 1, "2025-11": 0}


def test_the_city_counts_every_county_in_its_own_row(session, complaints):
    boss = user(session, "boss")
    handling = reports.compute(session, boss, reports.report(session, boss, "complaint_handling"))
    assert [(g.key, g.figures["received"].value) for g in handling.groups] == [
        ("county-a", 5), ("county-b", 1), ("city-bar", 0)]
    assert handling.groups[1].figures["acceptance_rate"].value == 1.0
    only_b = reports.compute(session, boss, reports.report(session, boss, "complaint_channels"), org_code="county-b")
    assert _table(only_b, "received") == {"hotline_12345": 1}


def test_a_period_with_no_data_has_zeros_and_no_rate(session, complaints):
    chief = user(session, "zhou")
    handling = reports.compute(session, chief, reports.report(session, chief, "complaint_handling"),
                               since=date(2025, 11, 1), until=date(2025, 11, 30))
    assert handling.total["received"].value == 2 and handling.total["acceptance_rate"].value is None
    empty = reports.compute(session, chief, reports.report(session, chief, "complaint_handling"),
                            since=date(2024, 1, 1), until=date(2024, 1, 31))
    assert empty.total["received"].value == 0 and empty.total["on_time_review"].value is None
    months = reports.compute(session, chief, reports.report(session, chief, "complaint_monthly"),
                             since=date(2025, 9, 1), until=date(2025, 11, 30))
    assert _table(months, "received") == {"2025-09": 0, "2025-10": 3, "2025-11": 2}


def test_each_figure_names_the_cases_behind_it(session, complaints):
    chief = user(session, "zhou")
    channels = reports.report(session, chief, "complaint_channels")
    accepted = reports.cases_behind(session, chief, channels, measure="accepted", group="hotline_12345")
    assert [c.id for c in accepted] == [complaints["a1"]]
    handling = reports.report(session, chief, "complaint_handling")
    late = reports.cases_behind(session, chief, handling, measure="on_time_review", group="county-a", part="late")
    assert [c.id for c in late] == [complaints["a3"]]
    base = reports.cases_behind(session, chief, handling, measure="acceptance_rate", part="base")
    assert sorted(c.id for c in base) == sorted([complaints["a1"], complaints["a2"]])
    assert reports.cases_behind(session, chief, channels) and complaints["b1"] not in {
        c.id for c in reports.cases_behind(session, chief, channels)}
    with pytest.raises(NotFound):            # another county is not the county chief's to count
        reports.compute(session, chief, channels, org_code="county-b")


BAD_REPORT = """{
  "key": "bad_report",
  "title": "错误的报表",
  "process": "lawyer_complaint",
  "groupBy": "complaint_colour",
  "measures": [
    {"name": "received", "label": "收到", "kind": "count"},
    {"name": "rate", "label": "受理率", "kind": "rate",
     "where": {"decision": "accepted"}, "base": {"decision": ["acepted", "refused"]}},
    {"name": "late", "label": "按期率", "kind": "on_time", "tasks": ["Task_nowhere"]}
  ]
}
"""


def test_a_bad_report_definition_is_refused_with_file_pointer_and_line(engine, session, org_tree):
    path = "forms/complaint/bad.report.json"
    with pytest.raises(BundleInvalid) as refused:
        bundles.deploy(session, bundle_with({path: BAD_REPORT.encode()}), engine=engine)
    found = {(p.file, p.element, p.line, p.msg.code) for p in refused.value.problems}
    assert found == {(path, "/groupBy", 5, "reportdef.unknown_field"),
                     (path, "/measures/1/base/decision", 9, "reportdef.zero_base"),
                     (path, "/measures/2/tasks", 10, "reportdef.unknown_task")}


def test_a_report_that_does_not_fit_its_schema_is_refused_where_it_goes_wrong(engine, session, org_tree):
    report = json.loads(BAD_REPORT)
    report["groupBy"] = "channel"
    report["measures"] = [{"name": "rate", "label": "受理率", "kind": "rate", "where": {"decision": "accepted"}}]
    path = "forms/complaint/bad.report.json"
    with pytest.raises(BundleInvalid) as refused:
        bundles.deploy(session, bundle_with({path: json.dumps(report, indent=2).encode()}), engine=engine)
    [problem] = refused.value.problems
    assert (problem.file, problem.element, problem.msg.code) == (path, "/measures/0", "reportdef.invalid")
    assert "base" in problem.message and problem.line == 6            # the line of "measures"


def test_every_other_mistake_of_a_report_is_named_where_it_is():
    from engine.definitions.report_schema import semantic_problems

    properties = {"p": {"reportableFields": "decision,stage,is_major"}}
    choices = {"decision": {"accepted", "not_accepted"}}
    report = {"key": "r", "title": "t", "process": "p", "groupBy": "@month", "filters": {"decision": "acepted"},
              "measures": [{"name": "a", "label": "a", "kind": "count", "where": {"decision": ["accepted", "x"]}},
                           {"name": "a", "label": "b", "kind": "rate", "where": {"is_major": True},
                            "base": {"stage": []}},
                           {"name": "c", "label": "c", "kind": "count", "where": {"@status": "closed"}}]}
    found = [(where, msg.code) for where, msg, _ in semantic_problems(report, properties, {"p": set()}, choices)]
    assert found == [("/filters/decision", "reportdef.never_holds"),
                     ("/measures/0/where/decision", "reportdef.unknown_value"),
                     ("/measures/1/name", "reportdef.duplicate_measure"),
                     ("/measures/1/base/stage", "reportdef.zero_base"),
                     ("/measures/2/where/@status", "reportdef.never_holds")]
    assert [m.code for _, m, _ in semantic_problems({**report, "process": "q"}, properties, {}, choices)] == [
        "reportdef.no_process"]


def test_two_reports_or_ledgers_declaring_one_key_are_refused_at_the_second():
    from engine.definitions.ledger_schema import check_ledgers
    from engine.definitions.report_schema import check_reports

    root = Path(__file__).resolve().parent.parent
    for check, shipped, copy, kind in ((check_reports, "forms/complaint/channels.report.json",
                                        "forms/complaint/zz_copy.report.json", "reportdef"),
                                       (check_ledgers, "forms/legal_aid/cases.ledger.json",
                                        "forms/legal_aid/zz_copy.ledger.json", "ledgerdef")):
        content = (root / shipped).read_bytes()
        problems = []
        found = check({shipped: content, copy: content}, problems)
        assert list(found) == [shipped], kind
        [problem] = problems
        key = json.loads(content)["key"]
        assert (problem.file, problem.element, problem.msg.code) == (copy, "/key", f"{kind}.duplicate_key")
        assert problem.msg.params == {"key": key, "other": shipped} and problem.line is not None


RANKING = {"key": "county_ranking", "title": "排名", "process": "lawyer_complaint", "groupBy": "@org",
           "measures": [{"name": "received", "label": "收到", "kind": "count"},
                        {"name": "backlog", "label": "积压", "kind": "count", "where": {"@status": "running"}},
                        {"name": "overdue", "label": "逾期", "kind": "overdue",
                         "tasks": ["Task_preliminary", "Task_notify"]},
                        {"name": "on_time_review", "label": "审查按期率", "kind": "on_time",
                         "tasks": ["Task_preliminary"]}],
           "ranking": {"label": "得分", "formula": "100 * on_time_review - 10 * overdue"}}


def test_a_ranking_formula_written_as_data_orders_the_counties(engine, session, complaints):
    boss = user(session, "boss")
    bundles.deploy(session, bundle_with({"forms/complaint/zz_ranking.report.json": json.dumps(RANKING).encode()}),
                   engine=engine)
    session.commit()
    with time_machine.travel(at("2025-11-10T12:00"), tick=False):
        result = reports.compute(session, boss, reports.report(session, boss, "county_ranking"))
        # County A: reviews 2 of 3 on time (a3 late); overdue: a1 and a2 (notice open past its 3 working days),
        # a3 (review done late) and a4 (registered on 11-10 a letter received on 10-13: its review, due ten
        # working days after receipt, is open past it); a5, received on 11-10, is in time. County B: 1 of 1 on time; b1's notice is overdue. The bar
        # has no data.
        rows = [(g.key, g.figures["overdue"].value, g.score, g.rank) for g in result.groups]
        assert rows == [("county-b", 1, 90.0, 1), ("county-a", 4, round(200 / 3 - 40, 2), 2),
                        ("city-bar", 0, None, None)]
        assert {g.key: g.figures["backlog"].value for g in result.groups} == {"county-a": 5, "county-b": 1,
                                                                              "city-bar": 0}
        late = reports.cases_behind(session, boss, result.report, measure="overdue", group="county-a")
        assert sorted(c.id for c in late) == sorted(complaints[k] for k in ("a1", "a2", "a3", "a4"))
    with time_machine.travel(at("2025-10-14T12:00"), tick=False):       # before any notice was due: none overdue
        early = reports.compute(session, boss, reports.report(session, boss, "county_ranking"))
        assert {g.key: g.figures["overdue"].value for g in early.groups}["county-a"] == 1     # a3, done late


def test_ties_share_a_rank_and_the_order_may_be_ascending():
    groups = [reports.Group(k, figures={"x": reports.Figure(v)}) for k, v in (("a", 3), ("b", 5), ("c", 3), ("d", None))]
    ordered = reports.ranked({"ranking": {"formula": "x * 2"}}, groups)
    assert [(g.key, g.score, g.rank) for g in ordered] == [("b", 10, 1), ("a", 6, 2), ("c", 6, 2), ("d", None, None)]
    ascending = reports.ranked({"ranking": {"formula": "x", "order": "asc"}}, ordered)
    assert [(g.key, g.rank) for g in ascending] == [("a", 1), ("c", 1), ("b", 3), ("d", None)]
    failing = reports.ranked({"ranking": {"formula": "1 / (x - 3)"}}, groups)     # a row whose formula fails
    assert [(g.key, g.rank) for g in failing] == [("b", 1), ("a", None), ("c", None), ("d", None)]


def test_a_ranking_formula_that_does_not_compile_or_reads_no_measure_is_refused():
    from engine.definitions.report_schema import semantic_problems

    properties = {"lawyer_complaint": {"reportableFields": "channel"}}
    tasks = {"lawyer_complaint": {"Task_preliminary", "Task_notify"}}
    for formula, code, name in (("100 * on_time_review -", "reportdef.bad_formula", None),
                                ("__import__('os').getcwd()", "reportdef.bad_formula", None),
                                ("on_time_review * speed", "reportdef.formula_unknown_name", "speed")):
        report = {**RANKING, "ranking": {"formula": formula}}
        found = [(where, msg.code, n) for where, msg, n in semantic_problems(report, properties, tasks, {})]
        assert found == [("/ranking/formula", code, name)], formula


def test_the_shipped_ranking_leaves_a_county_without_an_on_time_figure_unranked(session, complaints):
    boss = user(session, "boss")
    result = reports.compute(session, boss, reports.report(session, boss, "complaint_ranking"))
    assert all(g.rank is None and g.score is None for g in result.groups)      # no investigation finished yet


def test_the_bottleneck_map_times_each_step_and_counts_its_overdue(session, complaints):
    from engine.work import bottlenecks

    boss, chief = user(session, "boss"), user(session, "zhou")
    with time_machine.travel(at("2025-11-10T12:00"), tick=False):
        city = {s.element_id: s for s in bottlenecks.step_figures(session, boss, "lawyer_complaint").steps}
        county = bottlenecks.step_figures(session, chief, "lawyer_complaint")
        late = bottlenecks.late_cases(session, boss, "lawyer_complaint", "Task_notify")
    # 初审: a1, a2 and b1 reviewed at once, a3 after 28 days (late); a4, received on 10-13, still open past its limit;
    # a5, received on 11-10, open in time.
    review = city["Task_preliminary"]
    assert (review.done, review.open, review.overdue, review.mean_days, review.p90_days) == (4, 2, 2, 7.0, 28.0)
    notice = city["Task_notify"]          # a1, a2 and b1 wait for their notice past the 3 working days
    assert (notice.done, notice.open, notice.overdue, notice.mean_days) == (0, 3, 3, None)
    assert county.steps[0].element_id == "Task_preliminary"                  # the slowest step comes first
    mine = {s.element_id: s for s in county.steps}                           # county A only: b1 is not counted
    assert (mine["Task_preliminary"].done, mine["Task_preliminary"].mean_days, mine["Task_notify"].open) == (3, 9.3, 2)
    assert sorted(c.id for c in late) == sorted(complaints[k] for k in ("a1", "a2", "b1"))
    assert bottlenecks.step_figures(session, chief, "lawyer_complaint", since=date(2024, 1, 1),
                                    until=date(2024, 1, 31)).steps == []


def test_repeat_complaints_transfers_and_substantiation_are_counted(session, complaints):
    chief = user(session, "zhou")
    figures = reports.compute(session, chief, reports.report(session, chief, "complaint_figures"))
    total = figures.total
    # a3 repeats a1 (same complainant, same lawyer) and a4 repeats a2 (same complainant, same firm); a5 repeats
    # a2 and a4 (repeat_count 2) and counts once: 3 of 5.
    assert (total["repeat_rate"].numerator, total["repeat_rate"].denominator) == (3, 5)
    assert total["transferred"].value == 0 and total["extended"].value == 0
    assert total["substantiated_rate"].value is None                     # no decision yet: 无数据, not 0
    repeats = reports.cases_behind(session, chief, figures.report, measure="repeat_rate")
    assert sorted(c.id for c in repeats) == sorted([complaints["a3"], complaints["a4"], complaints["a5"]])


def test_the_readme_names_every_shipped_report_and_no_missing_field():
    from .conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for path in sorted((ROOT / "forms").glob("*/*.report.json")):
        named = f"`{path.relative_to(ROOT)}`" in readme or (
            path.parent.name == "complaint" and f"`{path.name}`" in readme)     # under "Shipped (`forms/complaint/`)"
        assert named, path.name
    assert "no separate 事项类型 field" not in readme
