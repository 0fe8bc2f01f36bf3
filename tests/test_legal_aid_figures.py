"""The participant-figures grammar the legal-aid audit needs, generically: conditions joined by `&`, sums of a
field, a ratio held against a target (a number or a setting the campaign reports) and figures shown only under a
setting of the campaign; each bad entry is a deploy problem located at its process."""
from __future__ import annotations

from types import SimpleNamespace

from engine.definitions.participant_views import parse_figures
from engine.definitions.validation import parse_bundle
from engine.runtime.engine import Engine
from engine.work.participants import figures

from .diagrams import process
from .helpers import zh

DECLARED = ("in_scope=in_scope=True:参评, passed=in_scope=True&passed=True:达标, items=+items&in_scope=True:项目, "
            "met=+met&in_scope=True:达标项目, rate=passed/in_scope>=@target?basis=institutions:达标率, "
            "item_rate=met/items>=@target?basis=items:按项目达标率, pilot=pilot=True&passed=True:试点达标, "
            "pilot_rate=pilot/in_scope>=33.3:试点达标率")


def participant(in_scope=True, passed=False, pilot=False, items=20, met=18) -> dict:
    return {"meta": {"in_scope": in_scope, "passed": passed, "pilot": pilot, "items": items, "met": met},
            "overdue": False}


def campaign(**settings) -> SimpleNamespace:
    return SimpleNamespace(definition=SimpleNamespace(properties={"participantFigures": DECLARED}), meta=settings)


def test_conjunctions_sums_targets_and_settings_count_the_participants():
    found = [participant(passed=True, pilot=True), participant(passed=True, met=20), participant(met=10),
             participant(in_scope=False, passed=True, items=20, met=20)]
    shown = {f["name"]: f for f in figures(campaign(target=90, basis="institutions"), found)}
    assert {name: f["value"] for name, f in shown.items()} == {
        "in_scope": 3, "passed": 2, "items": 60, "met": 48, "rate": 66.7, "pilot": 1, "pilot_rate": 33.3}
    assert (shown["rate"]["target"], shown["rate"]["met"]) == (90.0, False)
    assert (shown["pilot_rate"]["target"], shown["pilot_rate"]["met"]) == (33.3, True)
    by_items = {f["name"]: f for f in figures(campaign(target=80, basis="items"), found)}
    assert "rate" not in by_items and (by_items["item_rate"]["value"], by_items["item_rate"]["met"]) == (80.0, True)


def test_bad_entries_of_the_extended_grammar_are_named():
    _found, problems = parse_figures("a=*:全部, b=x=1&:半, c=+:和, d=a/a>=much:比, e=x=1>=90:非比率, f=a/a?basis:缺值, "
                                     "g=+n&@overdue&y!=2:可以")
    assert [(p.code, p.params.get("name")) for p in problems] == [
        ("participants.bad_rule", "b"), ("participants.bad_rule", "c"), ("participants.bad_target", "d"),
        ("participants.target_not_ratio", "e"), ("participants.bad_rule", "f")]


def test_a_target_or_setting_the_campaign_does_not_report_is_a_deploy_problem_at_its_process():
    figures_text = "all=*:全部, r=all/all&gt;=@goal:比率, s=all/all?basis=items:按项目"
    xml = process("audit_campaign", ['<bpmn:startEvent id="StartEvent"/>'], [],
                  properties={"reportableFields": "basis", "participantFigures": figures_text})
    _bundle, problems = parse_bundle({"processes/audit_campaign.bpmn": xml}, Engine().sandbox)
    found = [(p.file, p.element, p.line is not None, zh(p)) for p in problems if p.msg.code.startswith("participants")]
    assert found == [("processes/audit_campaign.bpmn", "audit_campaign", True,
                      "统计项 r 读取的 goal 不是本流程的可报告字段（reportableFields）")]
