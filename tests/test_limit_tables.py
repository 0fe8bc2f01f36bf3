"""Issue 21, "time limits as a table": a limit is one row of `forms/<folder>/limits.json`; a draft that changes a
cell, once published, changes the due time and the basis a new case's handler sees (old cases keep their version),
the form's label follows, the diff names the row, and a bad cell or a name no row has is refused, located."""
from __future__ import annotations

import json

import pytest
import time_machine

from engine.core.errors import BundleInvalid
from engine.definitions import bundle_diff, bundles, drafts, limit_references, limit_tables
from engine.work import casework

from .complaint_steps import at, register, task_named
from .conftest import ROOT
from .helpers import zh

TABLE = "forms/complaint/limits.json"
NEW_BASIS = "《律师和律师事务所违法违规行为投诉处理办法(试行)》第十条"


def draft_with(engine, session, change) -> int:
    """A draft of the active version whose limits table `change(table)` edits."""
    draft = drafts.create(session, engine, actor="policy", name="期限调整")
    table = json.loads(drafts.files(session, draft.id)[TABLE])
    change(table)
    drafts.put(session, engine, draft.id, TABLE, limit_tables.table_bytes(table), actor="policy")
    return draft.id


def row(table, name):
    return next(r for r in table["limits"] if r["name"] == name)


def twelve_days(table):
    row(table, "review").update(value=12, basis=NEW_BASIS)


def test_a_published_limit_moves_a_new_cases_due_time_label_and_basis(engine, session, complaint_setup):
    with time_machine.travel(at("2025-10-13T09:00"), tick=False):                # Monday
        before = register(engine, session)
        old_task = task_named(session, before.id, "初审")
        assert old_task.due_at == at("2025-10-28T00:00")                          # 10 working days: 14 … 27
        draft_id = draft_with(engine, session, twelve_days)
        drafts.publish_draft(session, engine, draft_id, actor="policy")
        after = register(engine, session)
        new_task = task_named(session, after.id, "初审")
        assert new_task.due_at == at("2025-10-30T00:00")                          # 12 working days: 14 … 29
        shown = casework.step_limits(engine, session, after)["Task_preliminary"]
        assert (shown["value"], shown["text"], shown["basis"]) == (12, "12个工作日", NEW_BASIS)
        assert "审查期限 12个工作日，" in casework.form_schema(engine, session, new_task)["description"]
        assert "审查期限 12个工作日（" in casework.element_documentation(engine, after)["Task_preliminary"]
        # the running case stays on its version: its due time, label and basis are the old row's
        assert task_named(session, before.id, "初审").due_at == at("2025-10-28T00:00")
        old = casework.step_limits(engine, session, before)["Task_preliminary"]
        assert old["value"] == 10 and old["basis"] != NEW_BASIS
        assert "审查期限 10个工作日，" in casework.form_schema(engine, session, old_task)["description"]


def test_the_diff_names_the_changed_row_and_cells(engine, session, complaint_setup):
    draft_id = draft_with(engine, session, twelve_days)
    draft = drafts.get(session, draft_id)
    from engine.definitions import bundles
    before = bundles.bundle_files(session, draft.base.id)
    changes = {d.path: d for d in bundle_diff.diff(before, drafts.files(session, draft_id))}
    found = changes[TABLE]
    assert [c.key for c in found.changed] == ["review"] and not found.added and not found.removed
    cells = {name.code: (old, new) for name, old, new in found.changed[0].aspects}
    assert cells == {"diff.limit_value": ("10", "12"), "diff.limit_basis": (row(json.loads(before[TABLE]),
                                                                                "review")["basis"], NEW_BASIS)}


@pytest.mark.parametrize("cell, value, code, pointer", [
    ("unit", "weeks", "limits.unit", "/limits/1/unit"),
    ("value", -3, "limits.negative", "/limits/1/value"),
    ("basis", "《不存在的规定》第一条", "limits.basis_unknown", "/limits/1/basis"),
    ("basis", "参照外省做法", "limits.basis_missing", "/limits/1/basis"),
    ("name", "register", "limits.duplicate", "/limits/1/name"),
])
def test_a_bad_cell_is_refused_at_publishing_naming_file_row_and_line(engine, session, complaint_setup, cell, value,
                                                                      code, pointer):
    draft_id = draft_with(engine, session, lambda table: table["limits"][1].update({cell: value}))
    with pytest.raises(BundleInvalid) as refused:
        drafts.publish_draft(session, engine, draft_id, actor="policy")
    problem = next(p for p in refused.value.problems if p.file == TABLE)
    assert (problem.msg.code, problem.element) == (code, pointer)
    assert problem.line == 7                                   # the second row's line
    assert problem.msg.params.get("row") == 2


def test_a_name_no_row_has_is_refused_where_the_diagram_or_form_uses_it(engine, session, complaint_setup):
    draft_id = draft_with(engine, session, lambda table: table["limits"].remove(row(table, "notice")))
    form = "forms/complaint/decide.schema.json"
    schema = json.loads(drafts.files(session, draft_id)[form])
    schema["description"] = "须在 {limit:nonesuch} 日内作出。"
    drafts.put(session, engine, draft_id, form, json.dumps(schema, ensure_ascii=False).encode(), actor="policy")
    with pytest.raises(BundleInvalid) as refused:
        drafts.publish_draft(session, engine, draft_id, actor="policy")
    unknown = {(p.file, p.element, p.msg.params["name"]) for p in refused.value.problems
               if p.msg.code == "limits.unknown_name"}
    assert unknown == {("processes/complaint/lawyer_complaint.bpmn", "Script_decided", "notice"),
                       ("processes/complaint/lawyer_complaint.bpmn", "Task_notify", "notice"),
                       ("processes/complaint/lawyer_complaint.bpmn", "Timer_notify_due", "notice"),
                       ("processes/complaint/lawyer_complaint.bpmn", "Throw_transfer_notice", "notice"),
                       ("forms/complaint/notify.schema.json", "/description", "notice"),
                       ("forms/complaint/handling.report.json", "/description", "notice"),       # a report's text
                       (form, "/description", "nonesuch")}
    assert all(p.line for p in refused.value.problems if p.msg.code == "limits.unknown_name")
    _, problems = limit_references.check_in_bundle(drafts.files(session, draft_id), TABLE)
    assert {p.msg.params["name"] for p in problems} == {"notice", "nonesuch"}


def test_the_readme_shows_the_complaint_limits_as_generated():
    from .conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = readme.split("<!-- limits: generated by python -m engine.definitions.limit_tables "
                         "forms/complaint/limits.json -->\n", 1)[1].split("<!-- /limits -->", 1)[0]
    assert shown == limit_tables.markdown(json.loads((ROOT / TABLE).read_text(encoding="utf-8")))


def test_a_table_in_a_bundle_without_the_register_is_refused_once_naming_the_register():
    """A bundle holding a limits table but not forms/legal_sources.json (a part of the rules imported alone): one
    problem at the table says which file is missing, not one unreadable refusal a row."""
    files = {p: b for p, b in bundles.collect(ROOT).items() if "/sample/" in p}
    table, problems = limit_tables.read_table("forms/sample/limits.json", files["forms/sample/limits.json"], None)
    assert table is None
    assert [(p.msg.code, p.element, p.msg.params) for p in problems] == [
        ("limits.register_missing", "/limits", {"register": "forms/legal_sources.json"})]
    assert zh(problems[0]).startswith("本表的依据须对照法律依据登记表（forms/legal_sources.json）检查")
