"""Issue 21's leftovers of time limits as a table: a report definition's texts name a limit with `{limit:…}` and
follow the table (an unknown name is refused at validation with its file, JSON path and line), and the modeler's
helper hint lists every helper of the vocabulary."""
from __future__ import annotations

import json

from engine.core import Msg, vocabulary
from engine.definitions import drafts, limit_tables
from engine.work import reports
from web.modeler_data import helper_signatures

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
