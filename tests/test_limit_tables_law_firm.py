"""Issue 21, "time limits as a table", for the law-firm acceptance and the legal-aid audit: their limits are rows
of `forms/law_firm/limits.json` and `forms/legal_aid/limits.json`; a published change of one row moves the due
time a new case's handler gets (the county's 初审 window, the 补正 limit), with the basis and the form's text from
the same row, while a running case keeps its version."""
from __future__ import annotations

import json
from datetime import datetime

import pytest
import time_machine

from engine.definitions import drafts, limit_references, limit_tables
from engine.runtime import cases
from engine.time.workdays import CHINA_TZ
from engine.work import casework

from .complaint_steps import at
from .conftest import ROOT
from .helpers import ready, roundtrip
from .law_firm_steps import APPLICATION, REVIEW, add_law_firm_people, participant

TABLE = "forms/law_firm/limits.json"
NEW_BASIS = "本地设定（部署通知另定）"
FULL_SHEET = {"items": {}, "total": 100, "band": "exemplary", "band_label": "规范化（示范）", "veto": False,
              "veto_items": [], "passed": True}


def row(table, name):
    return next(r for r in table["limits"] if r["name"] == name)


def published(engine, session, change) -> None:
    """A draft of the active version whose law-firm limits table `change(table)` edits, published."""
    draft = drafts.create(session, engine, actor="policy", name="期限调整")
    table = json.loads(drafts.files(session, draft.id)[TABLE])
    change(table)
    drafts.put(session, engine, draft.id, TABLE, limit_tables.table_bytes(table), actor="policy")
    drafts.publish_draft(session, engine, draft.id, actor="policy")


def applied(engine, session, firm_code):
    case = cases.start_case(engine, session, "law_firm_application", participant(firm_code), org_code=firm_code)
    task = next(t for t in ready(session, case.id) if t.name == "申报")
    cases.complete_task(engine, session, task.id, {**APPLICATION, "self_score": FULL_SHEET})
    roundtrip(engine, session, case.id)
    return case


def task_named(session, case_id, name):
    return next(t for t in ready(session, case_id) if t.name == name)


def returned(engine, session, case):
    task = task_named(session, case.id, "初审")
    cases.complete_task(engine, session, task.id, {**REVIEW, "review_conclusion": "supplement",
                                                   "supplement_items": "合伙人会议记录"})
    roundtrip(engine, session, case.id)
    return task_named(session, case.id, "补正材料")


def test_the_shipped_tables_are_valid_and_every_name_the_diagrams_use_has_a_row():
    files = {p.relative_to(ROOT).as_posix(): p.read_bytes()
             for folder in ("processes", "forms") for p in (ROOT / folder).rglob("*") if p.is_file()}
    for table in (TABLE, "forms/legal_aid/limits.json"):
        found, problems = limit_references.check_in_bundle(files, table)
        assert problems == [] and found["limits"], table


@pytest.mark.parametrize("cells", [{"value": 3}, {"value": 1, "rolls_over": True}], ids=["3 days", "1 day rolled"])
def test_a_changed_county_review_window_moves_a_new_applications_due_time(engine, session, complaint_setup, cells):
    add_law_firm_people(session)
    with time_machine.travel(datetime(2025, 10, 13, 9, 0, tzinfo=CHINA_TZ), tick=False):
        before = applied(engine, session, "F-0001")
        assert task_named(session, before.id, "初审").due_at == at("2025-11-01T00:00")    # the window's last day, 10-31
        published(engine, session, lambda table: row(table, "review_window").update(cells))
        after = applied(engine, session, "F-0002")
        # three more calendar days: Monday 11-03; or one more, Saturday 11-01, rolled over to Monday 11-03
        assert task_named(session, after.id, "初审").due_at == at("2025-11-04T00:00")
        assert task_named(session, before.id, "初审").due_at == at("2025-11-01T00:00")   # the running case's version


def test_a_changed_supplement_limit_moves_the_due_time_and_what_the_handler_reads(engine, session, complaint_setup):
    add_law_firm_people(session)
    with time_machine.travel(datetime(2025, 10, 13, 9, 0, tzinfo=CHINA_TZ), tick=False):
        old_task = returned(engine, session, applied(engine, session, "F-0001"))
        assert old_task.due_at == at("2025-10-21T00:00")                                 # 5 working days: 14 … 20
        published(engine, session, lambda table: row(table, "supplement").update(value=7, basis=NEW_BASIS))
        case = applied(engine, session, "F-0002")
        new_task = returned(engine, session, case)
        assert new_task.due_at == at("2025-10-23T00:00")                                 # 7 working days: 14 … 22
        shown = casework.step_limits(engine, session, cases.get_case(session, case.id))["Task_supplement"]
        assert (shown["value"], shown["text"], shown["basis"]) == (7, "7个工作日", NEW_BASIS)
        assert "期限 7个工作日" in casework.form_schema(engine, session, new_task)["description"]
        assert "期限 5个工作日" in casework.form_schema(engine, session, old_task)["description"]


@pytest.mark.parametrize("folder", ["law_firm", "legal_aid"])
def test_every_limit_the_documentation_names_has_a_row(folder):
    rows = limit_tables.rows_by_name(json.loads((ROOT / f"forms/{folder}/limits.json").read_text(encoding="utf-8")))
    named = {m.group(1) for path in (ROOT / "processes" / folder).glob("*.bpmn")
             for m in limit_tables.PLACEHOLDER.finditer(path.read_text(encoding="utf-8"))}
    assert named and named <= set(rows)


@pytest.mark.parametrize("table", [TABLE, "forms/legal_aid/limits.json"])
def test_the_readme_shows_the_tables_as_generated(table):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = readme.split(f"<!-- limits: generated by python -m engine.definitions.limit_tables {table} -->\n",
                         1)[1].split("<!-- /limits -->", 1)[0]
    assert shown == limit_tables.markdown(json.loads((ROOT / table).read_text(encoding="utf-8")))
