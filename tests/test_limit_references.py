"""Issue 21's leftovers of time limits as a table: a report definition's texts name a limit with `{limit:…}` and
follow the table (an unknown name is refused at validation with its file, JSON path and line), and the modeler's
helper hint lists every helper of the vocabulary; the recidivism periods of 律师法第五十一条 (一年, 二年) are rows of
the table the decision table's inputs follow, not days written into it."""
from __future__ import annotations

import json

import time_machine

from engine.core import Msg, vocabulary
from engine.definitions import drafts, limit_tables
from engine.work import casework, reports
from web.modeler_data import helper_signatures

from .complaint_steps import at, do, task_named
from .test_complaint_penalty_rules import WAIVED, recommended_now
from .test_complaint_sanctions import DECIDED, FILED, LIGHT, REVIEWED, noticed, sanctions_setup  # noqa: F401

TABLE = "forms/complaint/limits.json"
REPORT = "forms/complaint/handling.report.json"


def handling_report(session) -> dict:
    return next(r for r in reports.reports(session) if r["key"] == "complaint_handling")


def test_a_reports_description_follows_the_limits_table(engine, session, deployed):
    shown = handling_report(session)["description"]
    assert "按期办结率（调查核实 60日期限）" in shown and "审查按期率（10个工作日）" in shown
    assert "告知（3个工作日）和答复送达（3个工作日）按期率" in shown and "{limit:" not in shown
    draft = drafts.create(session, engine, actor="policy", name="期限调整")
    table = json.loads(drafts.files(session, draft.id)[TABLE])
    for row in table["limits"]:
        if row["name"] in ("handling", "review"):
            row["value"] = {"handling": 45, "review": 12}[row["name"]]
    drafts.put(session, engine, draft.id, TABLE, limit_tables.table_bytes(table), actor="policy")
    drafts.publish_draft(session, engine, draft.id, actor="policy")
    shown = handling_report(session)["description"]
    assert "按期办结率（调查核实 45日期限）" in shown and "审查按期率（12个工作日）" in shown


def test_an_unknown_limit_in_a_report_is_refused_with_its_file_json_path_and_line(engine, session, deployed):
    draft = drafts.create(session, engine, actor="policy", name="报表引用期限")
    report = json.loads(drafts.files(session, draft.id)[REPORT])
    index = next(i for i, m in enumerate(report["measures"]) if m["name"] == "on_time_handling")
    report["measures"][index]["label"] = "按期办结率（{limit:handling_days.text}）"
    text = json.dumps(report, ensure_ascii=False, indent=2)
    drafts.put(session, engine, draft.id, REPORT, text.encode(), actor="policy")
    found = [(p.file, p.element, p.line, p.msg) for p in drafts.validate(session, engine, draft.id) if p.blocking]
    assert found == [(REPORT, f"/measures/{index}/label", text[:text.index("{limit:handling_days")].count("\n") + 1,
                      Msg("limits.unknown_name", name="handling_days", table=TABLE))]


def test_the_modeler_hint_lists_every_helper_of_the_vocabulary():
    shown = helper_signatures()
    helpers = [t.name for t in vocabulary.TERMS if t.where == vocabulary.HELPER]
    assert [s.split("(")[0] for s in shown] == helpers
    assert "limit_text(name)" in shown and "limit_last_day(name, start)" in shown


def test_the_recidivism_period_follows_its_row_of_the_limits_table(engine, session, sanctions_setup):
    with time_machine.travel(at("2025-10-16T16:00"), tick=True) as clock:
        earlier = noticed(engine, session, clock, LIGHT)          # warned on 2025-11-12
        do(engine, session, earlier.id, "陈述申辩与听证申请", "city_worker", WAIVED)
        do(engine, session, earlier.id, "法制审核", "city_legal", REVIEWED)
        clock.move_to(at("2025-11-12T10:00"))
        do(engine, session, earlier.id, "作出处罚决定", "city_director", DECIDED)
        draft = drafts.create(session, engine, actor="policy", name="再次违法期间")
        table = json.loads(drafts.files(session, draft.id)[TABLE])
        row = next(r for r in table["limits"] if r["name"] == "recidivism_warning")
        assert (row["value"], row["unit"]) == (1, "years")       # 律师法第五十一条：一年内
        row.update(value=3, unit="months")                         # a table that says three months
        drafts.put(session, engine, draft.id, TABLE, limit_tables.table_bytes(table), actor="policy")
        drafts.publish_draft(session, engine, draft.id, actor="policy")
        clock.move_to(at("2026-03-02T10:00"))                       # within a year, not within three months
        case = recommended_now(engine, session)
        do(engine, session, case.id, "立案审查", "city_chief", FILED)
        data = casework.task_data(engine, session, task_named(session, case.id, "调查取证"))
        assert (data["within_warning_period"], data["recidivism"]) == (False, "none")


def test_the_complaint_forms_texts_follow_the_table_rather_than_repeat_its_values():
    from pathlib import Path

    from engine.definitions import bundles

    files = bundles.collect(Path(__file__).resolve().parents[1])
    table = json.loads(files[TABLE])
    for row in table["limits"]:
        row["value"] = {"review": 12, "notice": 4, "handling": 45, "petition_handling": 50}.get(row["name"], row["value"])
    files[TABLE] = limit_tables.table_bytes(table)
    shown = {name: limit_tables.fill_placeholders(json.loads(files[f"forms/complaint/{name}.schema.json"]),
                                                   limit_tables.rows_beside(files, TABLE))["description"]
             for name in ("portal", "decide", "notify", "investigate", "petition_handle")}
    assert "受理机关将在 12个工作日内审查" in shown["portal"] and "12个工作日内作出决定" in shown["decide"]
    assert "作出决定后 4个工作日内书面告知" in shown["notify"]
    assert "自受理之日起 45日，经批准可延长 30日" in shown["investigate"]
    assert "自受理之日起 50日内办结" in shown["petition_handle"]
