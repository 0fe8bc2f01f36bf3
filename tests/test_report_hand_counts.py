"""Issue 20's outcome figures counted by hand, on both databases, on complaints driven through the real diagrams: the
outcome mix (each measure of a decision counted, 移送调解 included), administrative penalties and bar sanctions by
kind, violation categories (a bar referral made beside a penalty included), a nonzero 查实率 and extension count,
and 领导包案 by the state of the case; a case outside the reader's subtree is not counted and each figure names its
cases, on the 统计 page too."""
from __future__ import annotations

import pytest
import time_machine

from engine.core import people
from engine.runtime import cases
from engine.work import reports

from .complaint_steps import LEAD_PLAN, REGISTRATION, accept, accept_to_lead, at, do, register, review, user
from .test_complaint_answers import MEDIATION
from .test_complaint_sanctions import (DECIDED, FILED, FINDINGS, LIGHT, RECOMMENDATION, REVIEWED, SERVED,
                                       sanctions_setup)  # noqa: F401 - a fixture
from .test_complaint_lead import registry  # noqa: F401 - a fixture
from .test_work_pages import text
from .web_helpers import login, token_for

APPROVED = {"approved": True, "approval_opinion": "同意"}
BAR_BOTH = {"additional_measures": ["discipline_referral"], "discipline_org": "bar-discipline",
            "bar_violation_category": "improper_fees"}
VOTE = {"committee_members_total": 7, "committee_members_present": 5, "committee_votes_for": 5,
        "discipline_reason": "违规事实和理由", "discipline_basis": "《律师协会会员违规行为处分规则（试行）》"}


def _compute(session, username, key, **options):
    reader = user(session, username)
    return reports.compute(session, reader, reports.report(session, reader, key), **options)


def _rows(result, measure):
    return {g.key: g.figures[measure].value for g in result.groups}


def _behind(session, username, key, measure, **options):
    reader = user(session, username)
    found = reports.cases_behind(session, reader, reports.report(session, reader, key), measure=measure, **options)
    return sorted(c.id for c in found)


def _accepted(engine, session, n):
    """A complaint of its own complainant and matter (none repeats another), accepted on 2025-10-16 at 调查核实."""
    return accept(engine, session, complainant_name=f"投诉人{n}", complainant_phone=f"1380000010{n}",
                  requests=f"查处（{n}）")


def _opinion(engine, session, case_id, outcome, **extra):
    do(engine, session, case_id, "调查核实", "chen", FINDINGS)
    do(engine, session, case_id, "处理意见", "chen", {"outcome": outcome, "outcome_reason": "经调查核实的事实和理由",
                                                    "legal_basis": "《律师执业管理办法》第五十条", **extra})


def _penalty_noticed(engine, session, case_id):
    """The city files the recommended penalty on 10-22 and investigates; its notice is served on 11-03."""
    do(engine, session, case_id, "立案审查", "city_chief", FILED)
    do(engine, session, case_id, "调查取证", "city_worker", LIGHT)


def _penalty_reviewed(engine, session, case_id):
    do(engine, session, case_id, "送达事先告知书", "city_worker", SERVED)
    do(engine, session, case_id, "陈述申辩与听证申请", "city_worker", {
        "statement_received_on": "2025-11-03", "statement_summary": "无异议", "hearing_requested": False})
    do(engine, session, case_id, "法制审核", "city_legal", REVIEWED)


def _bar_decided(engine, session, case_id, sanction, day):
    do(engine, session, case_id, "惩戒立案审查", "dc_member", {"discipline_filed": True, "discipline_filing_opinion": "立案"})
    do(engine, session, case_id, "通知被投诉会员", "dc_worker", {"member_notified_on": day, "member_notice_method": "post"})
    do(engine, session, case_id, "惩戒调查", "dc_worker", {
        "discipline_investigators": ["调查员甲", "调查员乙"], "discipline_findings": "会员违规事实的调查结果。",
        "member_defence": "会员的申辩", "discipline_hearing_requested": False})
    do(engine, session, case_id, "惩戒委员会决定", "dc_member", {**VOTE, "discipline_sanction": sanction})


@pytest.fixture
def decided(engine, session, sanctions_setup):
    """County A's complaints, accepted on 2025-10-16 and decided: `both` a penalty recommendation (warning and fine
    decided) with a bar referral (improper_fees, 公开谴责); `fine` a penalty of a fine only; `spared` a penalty
    recommendation the city decides not to penalise; `cleared` referred to the bar (conflict_of_interest), which
    imposes none; `corrected` criticism with an order to correct; `unfounded` no violation; `mediation` a fee dispute
    referred to the association for mediation (the case waits at city-bar); `fine` and `spared` wait at the city for
    their decisions to be served, the others are back in county A; `extended` extended 30 days, then a
    warning talk; `open` accepted and not yet decided. The city's `boss` sees them all."""
    people.add_user(session, "boss", "市局领导", "city", ["director"])
    session.commit()
    with time_machine.travel(at("2025-10-16T16:00"), tick=True) as clock:
        found = {name: _accepted(engine, session, n).id for n, name in enumerate(
            ("both", "fine", "spared", "cleared", "corrected", "unfounded", "mediation", "extended", "open"))}
        _opinion(engine, session, found["both"], "penalty_recommended", penalty_org="city",
                 recommended_sanctions=RECOMMENDATION["recommended_sanctions"], **BAR_BOTH)
        for name in ("fine", "spared"):
            _opinion(engine, session, found[name], "penalty_recommended", penalty_org="city",
                     recommended_sanctions=["fine"])
        _opinion(engine, session, found["cleared"], "discipline_referral", discipline_org="bar-discipline",
                 bar_violation_category="conflict_of_interest")
        _opinion(engine, session, found["corrected"], "criticism", additional_measures=["order_correct"],
                 rectification_period=1)
        _opinion(engine, session, found["unfounded"], "no_violation")
        _opinion(engine, session, found["mediation"], "mediation_referral",
                 **{k: v for k, v in MEDIATION.items() if k.startswith("mediation_")})
        do(engine, session, found["extended"], "调查核实", "chen", {**FINDINGS, "next_step": "extend",
                                                                  "extension_reason": "案情复杂，需异地调取证据"})
        do(engine, session, found["extended"], "延期审批", "dora", {"approved": True, "approval_opinion": "同意延期 30 日"})
        _opinion(engine, session, found["extended"], "warning_talk")
        clock.move_to(at("2025-10-20T10:00"))
        for name in ("both", "fine", "spared", "cleared", "corrected", "unfounded", "mediation", "extended"):
            do(engine, session, found[name], "处理决定审批", "dora", APPROVED)
        clock.move_to(at("2025-10-22T09:00"))
        for name in ("both", "fine", "spared"):
            _penalty_noticed(engine, session, found[name])
        _bar_decided(engine, session, found["cleared"], "none", "2025-10-22")
        clock.move_to(at("2025-11-03T10:00"))
        for name in ("both", "fine", "spared"):
            _penalty_reviewed(engine, session, found[name])
        clock.move_to(at("2025-11-12T10:00"))
        do(engine, session, found["both"], "作出处罚决定", "city_director", DECIDED)
        do(engine, session, found["fine"], "作出处罚决定", "city_director", {
            **DECIDED, "penalty_sanctions": ["fine"], "penalty_fine_amount": 3000})
        do(engine, session, found["spared"], "作出处罚决定", "city_director", {
            "penalty_decision": "no_penalty_minor", "penalty_reason": "违法行为轻微并及时改正，没有造成危害后果",
            "penalty_legal_basis": "《中华人民共和国行政处罚法》第三十三条"})
        do(engine, session, found["both"], "送达处罚决定书", "city_worker", {
            "decision_service_method": "direct", "decision_served_on": "2025-11-12", "decision_service_proof": "签收"})
        do(engine, session, found["both"], "接收处罚结果（并移送律师协会）", "chen", {"result_received_on": "2025-11-12"})
        clock.move_to(at("2025-11-13T10:00"))
        _bar_decided(engine, session, found["both"], "public_censure", "2025-11-13")
        do(engine, session, found["both"], "送达处分决定", "dc_worker", {
            "discipline_service_method": "post", "discipline_served_on": "2025-11-13",
            "discipline_service_proof": "EMS5550002"})
    return found


def test_the_outcome_mix_counts_every_measure_of_a_decision_and_the_mediation_referrals(session, decided):
    case = cases.get_case(session, decided["both"])
    assert case.meta["outcome_measures"] == ["penalty_recommended", "discipline_referral"]
    assert cases.get_case(session, decided["mediation"]).org.code == "city-bar"
    city = _compute(session, "boss", "complaint_outcomes")
    by_hand = {"no_violation": 1,                             # unfounded
               "criticism": 1,                                # corrected
               "warning_talk": 1,                             # extended
               "order_correct": 1,                            # corrected's order to correct, beside its criticism
               "mediated": 0,
               "penalty_recommended": 3,                      # both, fine, spared
               "discipline_referral": 2,                      # cleared, and both's referral beside its penalty
               "judicial_referral": 0,
               "mediation_referral": 1}                       # mediation
    assert {name: figure.value for name, figure in city.total.items()} == by_hand
    assert _rows(city, "mediation_referral") == {"city": 0, "county-a": 0, "county-b": 0, "city-bar": 1}
    assert _rows(city, "penalty_recommended") == {"city": 2, "county-a": 1, "county-b": 0, "city-bar": 0}
    county = _compute(session, "zhou", "complaint_outcomes")          # fine, spared and mediation are elsewhere
    assert (county.total["penalty_recommended"].value, county.total["discipline_referral"].value,
            county.total["mediation_referral"].value) == (1, 2, 0)
    assert _behind(session, "boss", "complaint_outcomes", "mediation_referral", group="city-bar") == [
        decided["mediation"]]
    assert _behind(session, "boss", "complaint_outcomes", "order_correct") == [decided["corrected"]]
    assert _behind(session, "boss", "complaint_outcomes", "discipline_referral") == sorted(
        [decided["both"], decided["cleared"]])


def test_penalties_and_bar_sanctions_are_counted_by_kind(session, decided):
    meta = {name: cases.get_case(session, decided[name]).meta for name in ("both", "fine", "spared", "cleared")}
    assert meta["both"]["penalty_sanctions"] == ["warning", "fine"]
    assert meta["both"]["discipline_sanction"] == "public_censure"
    assert meta["spared"]["penalty_decision"] == "no_penalty_minor" and "penalty_sanctions" not in meta["spared"]
    assert meta["cleared"]["discipline_sanction"] == "none"
    city = _compute(session, "boss", "complaint_sanctions")
    by_hand = {"penalised": 2,                                # both, fine
               "penalty_warning": 1,                          # both
               "penalty_fine": 2,                             # both, fine: one decision of two kinds counts in each
               "penalty_confiscation": 0, "penalty_practice_suspension": 0, "penalty_firm_rectification": 0,
               "penalty_licence_revocation": 0, "penalty_firm_licence_revocation": 0,
               "not_penalised": 1,                            # spared
               "disciplined": 1,                              # both: 公开谴责; cleared's "none" is no sanction
               "discipline_admonition": 0, "discipline_warning": 0, "discipline_circulated_criticism": 0,
               "discipline_public_censure": 1, "discipline_membership_suspension": 0, "discipline_expulsion": 0,
               "not_disciplined": 1}                          # cleared
    assert {name: figure.value for name, figure in city.total.items()} == by_hand
    assert _rows(city, "penalty_fine") == {"city": 1, "county-a": 1, "county-b": 0, "city-bar": 0}
    assert _behind(session, "boss", "complaint_sanctions", "penalty_fine") == sorted([decided["both"], decided["fine"]])
    assert _behind(session, "boss", "complaint_sanctions", "penalty_warning", group="county-a") == [decided["both"]]
    assert _behind(session, "boss", "complaint_sanctions", "not_disciplined") == [decided["cleared"]]
    other = _compute(session, "b_chief", "complaint_sanctions")           # county B has none of them
    assert other.total["penalty_fine"].value == 0 and other.total["disciplined"].value == 0


def test_violation_categories_count_every_bar_referral(session, decided):
    city = _compute(session, "boss", "complaint_violations")
    # cleared was referred for a conflict of interest; both's referral for improper fees went beside its penalty.
    assert _rows(city, "referred") == {"conflict_of_interest": 1, "improper_fees": 1}
    assert city.total["referred"].value == 2
    assert _behind(session, "boss", "complaint_violations", "referred", group="improper_fees") == [decided["both"]]


def test_substantiation_and_extensions_are_counted(session, decided):
    city = _compute(session, "boss", "complaint_figures").total
    # Substantiated: both, fine, spared (penalty recommended), cleared (referred), corrected, extended (warning
    # talk): 6; decided: those and unfounded and mediation: 8; open is not decided yet.
    assert (city["substantiated_rate"].numerator, city["substantiated_rate"].denominator) == (6, 8)
    assert city["substantiated_rate"].value == 0.75
    assert city["extended"].value == 1 and city["received"].value == 9
    county = _compute(session, "zhou", "complaint_figures").total       # without fine, spared and mediation
    assert (county["substantiated_rate"].numerator, county["substantiated_rate"].denominator) == (4, 5)
    assert _behind(session, "zhou", "complaint_figures", "extended") == [decided["extended"]]
    base = _behind(session, "boss", "complaint_figures", "substantiated_rate", part="base")
    assert base == sorted(v for k, v in decided.items() if k != "open")


def _withdrawn(engine, session, case_id, chief):
    cases.send_message(engine, session, case_id, "withdraw", {"reason": "已和解"}, actor="xu")
    do(engine, session, case_id, "撤回投诉审查", chief, {"continue_ex_officio": False, "withdrawal_opinion": "同意撤回"})


def test_lead_cases_are_counted_by_their_state(engine, session, registry):
    """County A: `running` and `closed` are major (the respondent heads a firm) and led by dora, `closed` is then
    withdrawn; `plain` is neither. County B: `taken` is taken over by its director without being major."""
    people.add_user(session, "boss", "市局领导", "city", ["director"])
    session.commit()
    with time_machine.travel(at("2025-10-13T09:00"), tick=True):
        led = {}
        for n, name in enumerate(("running", "closed")):
            case = accept_to_lead(engine, session, respondent_id="L-0002", complainant_name=f"投诉人{n}",
                                  complainant_phone=f"1380000020{n}", requests=f"查处（{n}）")
            do(engine, session, case.id, "领导包案", "dora", LEAD_PLAN)
            led[name] = case.id
        _withdrawn(engine, session, led["closed"], "zhou")
        plain = register(engine, session, complainant_name="投诉人9", complainant_phone="13800000209")
        do(engine, session, plain.id, "初审", "chen", review("accept"))
        taken = cases.start_case(engine, session, "lawyer_complaint", {}, org_code="county-b", actor="b_intake")
        do(engine, session, taken.id, "投诉登记", "b_intake", {**REGISTRATION, "complainant_name": "投诉人8",
                                                      "complainant_phone": "13800000208", "requests": "查处（8）"})
        cases.send_message(engine, session, taken.id, "leader_takeover", {"leader": "b_director"}, actor="b_director")
    assert cases.get_case(session, led["closed"]).status == "completed"
    assert cases.get_case(session, taken.id).meta["lead_leader"] == "b_director"
    city = _compute(session, "boss", "complaint_lead")
    assert {g.key: (g.figures["led"].value, g.figures["major"].value) for g in city.groups} == {
        "running": (2, 1),                                   # running (major) and taken (not major)
        "completed": (1, 1)}                                 # closed
    county = _compute(session, "zhou", "complaint_lead")                 # taken is county B's
    assert {g.key: g.figures["led"].value for g in county.groups} == {"running": 1, "completed": 1}
    assert _behind(session, "boss", "complaint_lead", "led", group="running") == sorted([led["running"], taken.id])
    assert _behind(session, "zhou", "complaint_lead", "major") == sorted(led.values())



def test_the_sanctions_report_is_on_the_stats_page_and_each_figure_opens_its_cases(app, client):
    """On the demo: one of county A's complaints is given a penalty of a warning and a fine."""
    from sqlalchemy import select

    from engine.core.models import Case, Organization
    from web.database import session as db_session

    with app.app_context():
        db = db_session()
        case = db.scalars(select(Case).join(Organization, Case.org_id == Organization.id)
                          .where(Case.process_key == "lawyer_complaint", Organization.code == "county-a")
                          .order_by(Case.id)).first()
        case.meta = {**case.meta, "penalty_decision": "penalise", "penalty_sanctions": ["warning", "fine"]}
        number = case.business_number
        db.commit()
    login(client, "admin")
    page = client.get("/stats?process=lawyer_complaint").get_data(as_text=True)
    assert "行政处罚与行业处分种类" in page and "处罚：吊销律师事务所执业许可证" in page and "移送调解" in page
    link = "/stats/complaint_sanctions/cases?measure=penalty_fine&amp;group=county-a"
    assert link in page
    listed = text(client.get(link.replace("&amp;", "&")))
    assert number in listed and listed.count("〔") == 1
    answer = client.get("/api/v1/stats/complaint_sanctions?org=county-a", headers=token_for(app, "admin")).get_json()
    assert (answer["total"]["penalty_fine"]["value"], answer["total"]["penalty_warning"]["value"]) == (1, 1)
    assert answer["total"]["penalty_practice_suspension"]["value"] == 0


def test_a_kind_no_form_offers_is_refused_where_it_is_asked_for():
    from engine.definitions.report_schema import semantic_problems

    properties = {"p": {"reportableFields": "penalty_sanctions,outcome_measures"}}
    choices = {"penalty_sanctions": {"warning", "fine"}}          # a list field's items.enum
    report = {"key": "r", "title": "t", "process": "p", "groupBy": "@org",
              "measures": [{"name": "a", "label": "a", "kind": "count",
                            "where": {"penalty_sanctions": {"has": "fine"}}},
                           {"name": "b", "label": "b", "kind": "count",
                            "where": {"penalty_sanctions": {"has": "detention"}}},
                           {"name": "c", "label": "c", "kind": "count",
                            "where": {"penalty_sanctions": {"has": ["fine", "flogging"]}}},
                           {"name": "d", "label": "d", "kind": "count",     # computed by the diagram: no form's choices
                            "where": {"outcome_measures": {"has": "mediation_referral"}}}]}
    found = [(where, msg.code, msg.params.get("values")) for where, msg, _ in
             semantic_problems(report, properties, {"p": set()}, choices)]
    assert found == [("/measures/1/where/penalty_sanctions", "reportdef.never_holds", "detention"),
                     ("/measures/2/where/penalty_sanctions", "reportdef.unknown_value", "flogging")]
