"""Issue 21, the last gaps of time limits as a table: the units `months` and `years` count as the civil law counts a
period of months or years (到期月的对应日为期间的最后一日；没有对应日的，月末日为最后一日), with `rolls_over` honoured
as for days, on both databases; the complaint's rectification, the law firm's validity and 公示 period are table rows
the diagrams, forms and documents follow; and a `{limit:…}` or `limits.<name>` that names no row is refused where it
is written (file, element or field path, line or paragraph), in Chinese and English."""
from __future__ import annotations

import io
import json
import zipfile
from datetime import date
from pathlib import Path

import pytest
import time_machine
from flask_babel import force_locale

from engine.core import Msg
from engine.definitions import bundles, drafts, limit_references, limit_tables
from engine.runtime import cases
from engine.runtime.timers import fire_due_timers
from engine.time.workdays import WorkCalendar, add_months
from engine.work import casework
from engine.work.casework import case_data

from web.database import session as db_session
from web.engine_text import engine_text
from web.workflow import engine as web_engine

from . import diagrams
from .complaint_steps import EXPLANATION, REGISTRATION, at, do, document_text, review
from .conftest import bundle_with
from .helpers import only_ready
from .test_complaint_classification import FINDINGS, names, registered
from .web_helpers import token_for

FORM = "legal_aid/quality_summary.schema.json"
TABLE = {
    "title": "测试期限", "units": {"working_days": "个工作日", "days": "日", "hours": "小时", "months": "个月",
                                   "years": "年"},
    "limits": [
        {"name": "one_month", "label": "一个月", "value": 1, "unit": "months", "starts": "自送达之日",
         "rolls_over": False, "basis": "本地设定"},
        {"name": "one_month_rolling", "label": "一个月（顺延）", "value": 1, "unit": "months", "starts": "自送达之日",
         "rolls_over": True, "basis": "本地设定"},
        {"name": "one_year", "label": "一年", "value": 1, "unit": "years", "starts": "自命名之日",
         "rolls_over": False, "basis": "本地设定"},
    ],
}
SCRIPT = "\n".join([
    'month_end = limit_due("one_month", "2024-01-31T12:00:00+08:00")',
    'month_end_day = limit_last_day("one_month", "2024-01-31T12:00:00+08:00")',
    'leap_day = limit_last_day("one_year", "2024-02-29T12:00:00+08:00")',
    'leap_day_two = limit_last_day("one_year", "2024-02-29T12:00:00+08:00", 2)',
    'four_years = limit_last_day("one_year", "2024-02-29T12:00:00+08:00", 4)',
    'not_rolled = limit_due("one_month", "2025-10-16T12:00:00+08:00")',
    'rolled = limit_due("one_month_rolling", "2025-10-16T12:00:00+08:00")',
    'before = limit_before("one_month", "2024-03-31T12:00:00+08:00")',
    'text = limit_text("one_year")',
    'text_two = limit_text("one_month", 3)',
    'clock = limit_clock("one_month_rolling")',
    'clock_plain = limit_clock("one_month")',
])


def units_process() -> bytes:
    return diagrams.process("limit_units", [
        '<bpmn:startEvent id="StartEvent"/>', diagrams.script_task("Script_count", SCRIPT),
        diagrams.user_task("Task_read", FORM, "阅"), '<bpmn:endEvent id="EndEvent"/>'],
        [diagrams.flow("F1", "StartEvent", "Script_count"), diagrams.flow("F2", "Script_count", "Task_read"),
         diagrams.flow("F3", "Task_read", "EndEvent")],
        lanes={"经办人": ["StartEvent", "Script_count", "Task_read", "EndEvent"]})


@pytest.mark.parametrize(("day", "months", "expected"), [
    (date(2024, 1, 31), 1, date(2024, 2, 29)), (date(2023, 1, 31), 1, date(2023, 2, 28)),
    (date(2024, 2, 29), 12, date(2025, 2, 28)), (date(2024, 2, 29), 48, date(2028, 2, 29)),
    (date(2025, 3, 31), -1, date(2025, 2, 28)), (date(2025, 12, 15), 1, date(2026, 1, 15)),
    (date(2025, 5, 31), 1, date(2025, 6, 30)), (date(2025, 1, 15), -13, date(2023, 12, 15)),
])
def test_a_period_of_months_ends_on_the_corresponding_day_or_the_months_last(day, months, expected):
    assert add_months(day, months) == expected


def test_a_month_ending_on_a_rest_day_rolls_only_when_the_row_says_so():
    calendar = WorkCalendar()
    assert calendar.add_months(at("2025-10-16T12:00"), 1, extend_over_holidays=False) == at("2025-11-17T00:00")
    assert calendar.add_months(at("2025-10-16T12:00"), 1) == at("2025-11-18T00:00")   # 11-16 is a Sunday


def test_months_and_years_rows_count_in_a_running_case(engine, session, deployed):
    files = bundle_with({"processes/test/limit_units.bpmn": units_process(),
                         "forms/test/limits.json": limit_tables.table_bytes(TABLE)})
    bundles.deploy(session, files, engine=engine)
    session.commit()
    case = cases.start_case(engine, session, "limit_units", {}, org_code="county-a", actor="alice")
    session.commit()
    only_ready(session, case.id)
    data = case_data(engine, session, case)
    assert data["month_end"] == "2024-03-01T00:00:00+08:00"         # the month ends with 2024-02-29
    assert data["month_end_day"] == "2024-02-29"
    assert (data["leap_day"], data["leap_day_two"], data["four_years"]) == ("2025-02-28", "2026-02-28", "2028-02-29")
    assert data["not_rolled"] == "2025-11-17T00:00:00+08:00"        # 11-16, a Sunday, ends it
    assert data["rolled"] == "2025-11-18T00:00:00+08:00"            # rolled to Monday 11-17
    assert data["before"] == "2024-03-01T00:00:00+08:00"            # 03-31 less a month: 02-29
    assert (data["text"], data["text_two"]) == ("1年", "3个月")
    assert (data["clock"], data["clock_plain"]) == ("days", "calendar")


def test_a_bad_unit_names_the_new_units_among_those_it_knows():
    table = json.loads(json.dumps(TABLE))
    table["limits"][0]["unit"] = "weeks"
    _, problems = limit_tables.read_table("forms/test/limits.json", limit_tables.table_bytes(table),
                                          {"local": "本地设定", "sources": []})
    assert [(p.msg.code, p.element) for p in problems] == [("limits.unit", "/limits/0/unit")]
    assert "months, years" in problems[0].msg.params["units"]


def draft_with(engine, session, change) -> int:
    draft = drafts.create(session, engine, actor="policy", name="期限调整")
    path = "forms/complaint/limits.json"
    table = json.loads(drafts.files(session, draft.id)[path])
    change(table)
    drafts.put(session, engine, draft.id, path, limit_tables.table_bytes(table), actor="policy")
    return draft.id


def test_the_rectification_row_sets_the_deadline_the_form_and_the_documents(engine, session, complaint_setup):
    def two_months(table):
        next(r for r in table["limits"] if r["name"] == "rectification_period").update(value=2)
    with time_machine.travel(at("2025-10-13T09:00"), tick=False) as clock:
        drafts.publish_draft(session, engine, draft_with(engine, session, two_months), actor="policy")
        case = registered(engine, session, REGISTRATION)
        do(engine, session, case.id, "初审", "chen", review("accept"))
        clock.move_to(at("2025-10-16T16:00"))
        do(engine, session, case.id, "受理审查决定", "zhou", {"decision": "accepted", "decision_reason": "属于受理范围"})
        do(engine, session, case.id, "告知投诉人", "chen", {"notice_method": "post", "notified_on": "2025-10-16"})
        do(engine, session, case.id, "被投诉人书面说明", "chen", EXPLANATION)
        do(engine, session, case.id, "调查核实", "chen", FINDINGS)
        task = next(t for t in cases.case_tasks(session, case.id, "ready") if t.name == "处理意见")
        field = casework.form_schema(engine, session, task)["properties"]["rectification_period"]
        assert (field["title"], field["default"]) == ("整改期限（个月）", 2)
        assert "一般为 2个月" in field["description"]
        do(engine, session, case.id, "处理意见", "chen", {
            "outcome": "criticism", "outcome_reason": "未按约出庭，违反执业规范", "legal_basis": "《律师执业管理办法》第五十条",
            "additional_measures": ["order_correct"], "rectification_period": 2})
        do(engine, session, case.id, "处理决定审批", "dora", {"approved": True, "approval_opinion": "同意"})
        assert "自限期整改通知书送达之日起2个月内改正" in document_text(session, case.id, "答复书")
        do(engine, session, case.id, "答复送达", "chen", {"service_method": "direct", "served_on": "2025-10-16",
                                                        "service_proof": "刘某签收"})
        do(engine, session, case.id, "送达限期整改通知书", "chen", {
            "rectification_service_method": "direct", "rectification_served_on": "2025-10-16",
            "rectification_service_proof": "王某某签收"})
        assert "自本通知书送达之日起2个月内改正" in document_text(session, case.id, "限期整改通知书")
        clock.move_to(at("2025-12-17T00:01"))                      # 10-16 + two months: 12-16, a Tuesday
        fire_due_timers(engine, session)
        assert names(session, case.id) == ["整改跟踪"]


# --- a name no row has, refused where it is written ------------------------------------------------------------

DIAGRAM = "processes/complaint/lawyer_complaint.bpmn"
OUTCOME = "forms/complaint/outcome.schema.json"
NOTICE = "forms/complaint/rectification_notice.docx"
API = "/api/v1"


def with_template_text(content: bytes, old: str, new: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "word/document.xml":
                data = data.decode("utf-8").replace(old, new).encode("utf-8")
            dst.writestr(item, data)
    return out.getvalue()


def test_a_limit_no_row_has_is_refused_naming_file_element_field_paragraph_and_line(app, client):
    policy = token_for(app, "admin")
    draft = client.post(f"{API}/drafts", json={"name": "期限引用"}, headers=policy).get_json()
    with app.app_context():
        files = drafts.files(db_session(), draft["id"])
    diagram = files[DIAGRAM].decode().replace("一般为 {limit:rectification_period.text}，自通知书送达",
                                              "一般为 {limit:rectification_month.text}，自通知书送达", 1)
    outcome = files[OUTCOME].decode().replace('"default": "{limit:rectification_period}"',
                                              '"default": "{limit:rectification_days}"')
    notice = with_template_text(files[NOTICE], "limits.rectification_period.text", "limits.rectify.text")
    for path, content in ((DIAGRAM, diagram.encode()), (OUTCOME, outcome.encode()), (NOTICE, notice)):
        client.put(f"{API}/drafts/{draft['id']}/files/{path}", data=content, headers=policy)
    problems = client.get(f"{API}/drafts/{draft['id']}/problems", headers=policy).get_json()
    found = {(p["file"], p["element"], p["line"]): p["message"] for p in problems if p["severity"] == "error"}
    diagram_line = diagram[:diagram.index("{limit:rectification_month")].count("\n") + 1
    outcome_line = outcome[:outcome.index("{limit:rectification_days}")].count("\n") + 1
    assert found == {
        (DIAGRAM, "Throw_rectification_notice", diagram_line):
            "期限 rectification_month 不是 forms/complaint/limits.json 中的一行",
        (OUTCOME, "/properties/rectification_period/default", outcome_line):
            "期限 rectification_days 不是 forms/complaint/limits.json 中的一行",
        (NOTICE, "word/document.xml", None):
            f"word/document.xml 第 {notice_paragraph(notice)} 段引用了 limits.rectify，它不是 forms/complaint/limits.json 中的一行",
    }
    with app.test_request_context(), force_locale("en"):
        english = {p.file: engine_text(p) for p in drafts.validate(db_session(), web_engine(), draft["id"])
                   if p.blocking}
    assert english[OUTCOME] == "The limit rectification_days is not a row of forms/complaint/limits.json"
    assert english[NOTICE] == (f"Paragraph {notice_paragraph(notice)} of word/document.xml reads limits.rectify, "
                               "which is not a row of forms/complaint/limits.json")
    refused = client.post(f"{API}/drafts/{draft['id']}/publish", json={}, headers=policy)
    assert refused.status_code == 422
    with app.app_context():
        assert bundles.active_bundle(db_session()).version == 1                    # nothing published


def notice_paragraph(content: bytes) -> int:
    return next(number for _, number, name in limit_references.template_reads(content) if name == "rectify")


# --- the diff and the deployment form follow the table ----------------------------------------------------------

def test_the_diff_names_a_unit_changed_to_months(engine, session, complaint_setup):
    def one_month(table):
        next(r for r in table["limits"] if r["name"] == "review").update(value=1, unit="months")
    draft_id = draft_with(engine, session, one_month)
    from engine.definitions import bundle_diff
    before = bundles.bundle_files(session, drafts.get(session, draft_id).base.id)
    found = {d.path: d for d in bundle_diff.diff(before, drafts.files(session, draft_id))}["forms/complaint/limits.json"]
    assert [c.key for c in found.changed] == ["review"]
    cells = {name.code: (old, new) for name, old, new in found.changed[0].aspects}
    assert cells == {"diff.limit_value": ("10", "1"),
                     "diff.limit_unit": (Msg("diff.unit_working_days"), Msg("diff.unit_months"))}
    from babel.messages.pofile import read_po
    from web.engine_text import render
    with (Path(__file__).resolve().parents[1] / "web/translations/en/LC_MESSAGES/messages.po").open("rb") as po:
        english = {m.id: m.string for m in read_po(po) if m.id and m.string}
    assert [render(m, str) for m in cells["diff.limit_unit"]] == ["工作日", "个月"]     # words, not unit codes
    assert [render(m, lambda t: english.get(t, t)).lower() for m in cells["diff.limit_unit"]] == ["working days",
                                                                                                  "months"]


def test_the_deployment_forms_publicity_default_and_label_follow_the_row(engine, session, complaint_setup):
    from .law_firm_steps import add_law_firm_people

    add_law_firm_people(session)

    def deploy_field():
        campaign = cases.start_case(engine, session, "law_firm_campaign", {}, org_code="city", actor="qian")
        task = next(t for t in cases.case_tasks(session, campaign.id, "ready") if t.name == "部署")
        return casework.form_schema(engine, session, task)["properties"]["publicity_days"]

    field = deploy_field()
    assert (field["title"], field["default"], field["description"]) == (
        "公示期（个工作日）", 5, "默认 5个工作日（期限表 publicity，本地设定）")
    draft = drafts.create(session, engine, actor="policy", name="公示期")
    path = "forms/law_firm/limits.json"
    table = json.loads(drafts.files(session, draft.id)[path])
    next(r for r in table["limits"] if r["name"] == "publicity").update(value=7)
    drafts.put(session, engine, draft.id, path, limit_tables.table_bytes(table), actor="policy")
    drafts.publish_draft(session, engine, draft.id, actor="policy")
    field = deploy_field()
    assert (field["default"], field["description"]) == (7, "默认 7个工作日（期限表 publicity，本地设定）")
