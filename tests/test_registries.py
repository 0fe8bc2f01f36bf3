"""Registries as data (forms/**/*.registry.json): entries edited, created and deactivated through the engine,
each change audited with before and after; a deactivated entry stays readable on old cases and leaves new choices;
a registry definition is checked at deploy."""
from __future__ import annotations

import io
import json

import openpyxl
import pytest
from sqlalchemy import func, select

from engine.core import BundleInvalid, DataValidationError, ImportRefused, NotAllowed, people
from engine.core.models import AuditEvent, DirectoryEntry
from engine.definitions import bundles
from engine.records import directory, registries, registry_import
from engine.work.plain import key_name

from .conftest import bundle_with
from .helpers import zh


@pytest.fixture
def registry_setup(session, deployed):
    """A policy officer and a handler, and the demo's firm F-0001 with two of its lawyers."""
    people.add_role(session, "policy", "政策法规人员")
    people.add_organization(session, "F-0001", "示范明德律师事务所", "county-a")
    people.add_user(session, "pat", "政策员", "city", ["policy"])
    directory.add_entry(session, "respondent", "F-0001", "示范明德律师事务所", org_code="county-a",
                        data={"type": "firm", "licence": "31100200000001"})
    directory.add_entry(session, "respondent", "L-0001", "吴某某律师", org_code="county-a",
                        data={"type": "lawyer", "firm": "F-0001", "licence": "13110200000001", "note": "kept"})
    session.commit()
    return deployed


def user(session, name):
    return people.user_by_name(session, name)


def test_the_projects_registries_are_stored_with_the_bundle(session, registry_setup):
    found = registries.definitions(session)
    assert set(found) == {"respondent", "inspector", "peer_reviewer"}
    assert [f["name"] for f in found["respondent"]["fields"]] == ["type", "licence", "firm", "position"]


def test_editing_an_entry_changes_its_fields_keeps_undeclared_data_and_is_audited(engine, session, registry_setup):
    changed = registries.update(session, engine, user(session, "pat"), "respondent", "L-0001", {
        "name": "吴某某律师", "org": "county-a",
        "data": {"type": "律师", "licence": "13110200000001", "firm": "F-0001", "position": "partner"}})
    session.commit()
    assert changed["data"] == {"type": "lawyer", "firm": "F-0001", "licence": "13110200000001",
                               "position": "partner", "note": "kept"}
    row = session.scalar(select(AuditEvent).where(AuditEvent.action == "registry_entry_updated"))
    assert row.actor == "pat" and row.case_id is None
    assert row.detail["registry"] == "respondent" and row.detail["key"] == "L-0001"
    assert "position" not in row.detail["before"]["data"] and row.detail["after"]["data"]["position"] == "partner"
    assert [a.action for a in registries.history(session, "respondent", "L-0001")] == ["registry_entry_updated"]
    registries.update(session, engine, user(session, "pat"), "respondent", "L-0001", {
        "name": "吴某某律师", "org": "county-a",
        "data": {"type": "lawyer", "licence": "13110200000001", "firm": "F-0001", "position": "partner"}})
    session.commit()
    assert len(registries.history(session, "respondent", "L-0001")) == 1       # nothing changed: no row


def test_a_wrong_edit_names_each_field_and_changes_nothing(engine, session, registry_setup):
    with pytest.raises(DataValidationError) as refused:
        registries.update(session, engine, user(session, "pat"), "respondent", "L-0001", {
            "name": "", "org": "county-x",
            "data": {"type": "judge", "licence": "12ab", "firm": "F-9999"}})
    session.rollback()
    assert {e.field: zh(e) for e in refused.value.errors} == {
        "name": "必填", "org": "「county-x」不是任何机构的代码或名称",
        "data.type": "「judge」不是可选值（律师事务所/律师）", "data.licence": "执业证号应为 14 至 18 位数字",
        "data.firm": "「F-9999」不是名录 respondent 中的有效条目"}
    assert registries.entry(session, "respondent", "L-0001")["data"]["licence"] == "13110200000001"
    assert session.scalar(select(AuditEvent).where(AuditEvent.action.like("registry_%"))) is None


def test_creating_an_entry_checks_its_key_and_is_audited(engine, session, registry_setup):
    pat = user(session, "pat")
    created = registries.create(session, engine, pat, "respondent", {
        "key": "L-0100", "name": "新律师", "org": "A区司法局", "data": {"type": "lawyer", "firm": "F-0001"}})
    session.commit()
    assert created["org"] == "county-a" and created["active"] and created["data"] == {"type": "lawyer",
                                                                                     "firm": "F-0001"}
    row = session.scalar(select(AuditEvent).where(AuditEvent.action == "registry_entry_created"))
    assert row.detail["before"] is None and row.detail["after"]["name"] == "新律师"
    with pytest.raises(DataValidationError) as refused:
        registries.create(session, engine, pat, "respondent", {"key": "L-0100", "name": "重复", "data": {"type": "lawyer"}})
    assert [(e.field, zh(e)) for e in refused.value.errors] == [("key", "L-0100 已在名录中")]
    with pytest.raises(DataValidationError) as refused:
        registries.create(session, engine, pat, "respondent", {"key": "L 01", "name": "空格", "data": {"type": "lawyer"}})
    assert [(e.field, zh(e)) for e in refused.value.errors] == [("key", "编号只能由字母、数字、连字符和下划线组成")]


def test_a_deactivated_entry_stays_readable_on_old_cases_and_leaves_new_choices(engine, session, registry_setup):
    form = json.loads(bundles.bundle_files(session, registry_setup.id)["forms/complaint/register.schema.json"])
    field = next(name for name, sub in form["properties"].items() if sub.get("x-directory") == "respondent")
    assert "L-0001" in dict(directory.choices(session, form)[field])
    registries.set_active(session, engine, user(session, "pat"), "respondent", "L-0001", False)
    session.commit()
    assert "L-0001" not in dict(directory.choices(session, form)[field])
    assert [e.field for e in directory.directory_errors(session, form, {field: "L-0001"})] == [field]
    assert key_name(session, "respondent", "L-0001") == "吴某某律师"           # an old case still shows the name
    assert registries.entry(session, "respondent", "L-0001")["active"] is False
    assert [e["key"] for e in registries.entries(session, "respondent", status="active")] == ["F-0001"]
    assert [a.action for a in registries.history(session, "respondent", "L-0001")] == ["registry_entry_deactivated"]
    registries.set_active(session, engine, user(session, "pat"), "respondent", "L-0001", True)
    session.commit()
    assert "L-0001" in dict(directory.choices(session, form)[field])


def test_only_the_registrys_edit_roles_may_change_it(engine, session, registry_setup):
    alice = user(session, "alice")
    with pytest.raises(NotAllowed):
        registries.update(session, engine, alice, "respondent", "L-0001", {"name": "改名", "data": {"type": "lawyer"}})
    with pytest.raises(NotAllowed):
        registries.set_active(session, engine, alice, "respondent", "L-0001", False)
    with pytest.raises(NotAllowed):
        registries.create(session, engine, alice, "respondent", {"key": "L-9", "name": "x", "data": {"type": "lawyer"}})
    session.rollback()
    assert registries.entry(session, "respondent", "L-0001")["name"] == "吴某某律师"


def test_entries_are_searched_and_paged_by_key(engine, session, registry_setup):
    pat = user(session, "pat")
    for n in range(5):
        registries.create(session, engine, pat, "respondent", {"key": f"L-02{n}", "name": f"律师{n}",
                                                                 "data": {"type": "lawyer", "licence": f"9999000000000{n}"}})
    session.commit()
    first = registries.entries(session, "respondent", limit=3)
    assert [e["key"] for e in first] == ["F-0001", "L-0001", "L-020"]
    assert [e["key"] for e in registries.entries(session, "respondent", after="L-020", limit=3)] == ["L-021", "L-022",
                                                                                                    "L-023"]
    assert [e["key"] for e in registries.entries(session, "respondent", q="律师3")] == ["L-023"]
    assert [e["key"] for e in registries.entries(session, "respondent", q="99990000000004")] == ["L-024"]
    assert [e["key"] for e in registries.entries(session, "respondent", q="明德")] == ["F-0001"]


def test_a_broken_registry_definition_is_a_located_problem_at_deploy(session, engine, org_tree):
    broken = {"key": "reviewer", "title": "评查人员", "keyHeader": "编号", "nameHeader": "姓名", "orgHeader": "机构",
              "editRoles": ["policy"], "fields": [
                  {"name": "grade", "header": "等级", "type": "enum", "values": ["a", "b"], "labels": ["甲"]},
                  {"name": "firm", "header": "律所", "type": "integer", "directory": "respondent"},
                  {"name": "licence", "header": "姓名", "type": "string", "pattern": "(a)\\1"}]}
    text = json.dumps(broken, ensure_ascii=False, indent=1).encode()
    with pytest.raises(BundleInvalid) as refused:
        bundles.deploy(session, bundle_with({"forms/test/reviewer.registry.json": text}), engine=engine)
    mine = [(p.element, p.msg.code) for p in refused.value.problems if p.file == "forms/test/reviewer.registry.json"]
    assert mine == [("/fields/0/labels", "registrydef.labels"), ("/fields/1/type", "registrydef.reference_type"),
                    ("/fields/2", "registrydef.duplicate_field"), ("/fields/2/pattern", "form.pattern_unusable")]
    assert all(p.line for p in refused.value.problems if p.file == "forms/test/reviewer.registry.json")


def workbook(rows: list[list], header: list | None = None) -> io.BytesIO:
    """An xlsx file with the respondent registry's headers (or the given ones) and rows."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header or ["编号", "名称", "管辖司法局", "类别", "执业证号", "所在律师事务所", "职务"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


GOOD_ROWS = [
    ["L-0300", "新律师（新所）", "county-a", "律师", 13110200000300, "F-0300", "合伙人"],      # its firm is a later row
    ["F-0300", "示范新所", "A区司法局", "律师事务所", "31100200000300", None, None],
    ["L-0001", "吴某某律师", "county-a", "律师", "13110200000001", "F-0001", "律所主任"],      # an update
]


def test_a_good_workbook_adds_and_updates_entries_and_importing_it_again_changes_nothing(engine, session,
                                                                                       registry_setup):
    pat = user(session, "pat")
    done = registry_import.import_file(session, engine, pat, "respondent", "律师名录.xlsx", workbook(GOOD_ROWS))
    session.commit()
    assert done == {"added": 2, "updated": 1, "unchanged": 0}
    assert registries.entry(session, "respondent", "L-0300")["data"] == {
        "type": "lawyer", "licence": "13110200000300", "firm": "F-0300", "position": "partner"}
    assert registries.entry(session, "respondent", "F-0300")["org"] == "county-a"
    assert registries.entry(session, "respondent", "L-0001")["data"]["position"] == "firm_head"
    assert registries.entry(session, "respondent", "L-0001")["data"]["note"] == "kept"
    audits = session.scalars(select(AuditEvent).where(AuditEvent.action.like("registry_%")).order_by(AuditEvent.id))
    assert [(a.action, a.detail.get("key"), a.detail.get("via")) for a in audits] == [
        ("registry_entry_created", "L-0300", "import:律师名录.xlsx"),
        ("registry_entry_created", "F-0300", "import:律师名录.xlsx"),
        ("registry_entry_updated", "L-0001", "import:律师名录.xlsx"),
        ("registry_imported", None, None)]
    again = registry_import.import_file(session, engine, pat, "respondent", "律师名录.xlsx", workbook(GOOD_ROWS))
    session.commit()
    assert again == {"added": 0, "updated": 0, "unchanged": 3}
    assert session.scalar(select(func.count()).select_from(AuditEvent)
                          .where(AuditEvent.action.like("registry_entry_%"))) == 3


def test_a_workbook_with_a_bad_row_stores_nothing_and_names_the_row_and_column(engine, session, registry_setup):
    before = session.scalar(select(func.count()).select_from(DirectoryEntry))
    rows = GOOD_ROWS + [["L-0301", "错误律师", "county-a", "法官", "12ab", "F-0001", None],
                        ["L-0300", "重复", "county-a", "律师", None, None, None],
                        [None, "无编号", None, "律师", None, None, None]]
    with pytest.raises(ImportRefused) as refused:
        registry_import.import_file(session, engine, user(session, "pat"), "respondent", "bad.xlsx", workbook(rows))
    session.rollback()
    assert [(e.row, e.column, zh(e)) for e in refused.value.errors] == [
        (5, "类别", "「法官」不是可选值（律师事务所/律师）"), (5, "执业证号", "执业证号应为 14 至 18 位数字"),
        (6, "编号", "L-0300 在本文件中已出现过"), (7, "编号", "必填")]
    assert session.scalar(select(func.count()).select_from(DirectoryEntry)) == before
    assert registries.entry(session, "respondent", "L-0001")["data"].get("position") is None
    assert session.scalar(select(AuditEvent).where(AuditEvent.action.like("registry_%"))) is None


def test_a_workbook_without_a_key_column_or_from_a_handler_is_refused(engine, session, registry_setup):
    with pytest.raises(ImportRefused) as refused:
        registry_import.import_file(session, engine, user(session, "pat"), "respondent", "x.xlsx",
                                    workbook([["x"]], header=["名称"]))
    assert [(e.row, e.column) for e in refused.value.errors] == [(1, "编号")]
    with pytest.raises(NotAllowed):
        registry_import.import_file(session, engine, user(session, "alice"), "respondent", "x.xlsx",
                                    workbook(GOOD_ROWS))


def test_the_template_has_the_chinese_headers_and_exports_entries_that_import_unchanged(engine, session,
                                                                                       registry_setup):
    registry = registries.definition(session, "respondent")
    content = registry_import.template_workbook(registry, str, registries.entries(session, "respondent"))
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("编号", "名称", "管辖司法局", "类别", "执业证号", "所在律师事务所", "职务")
    assert rows[2][:4] == ("L-0001", "吴某某律师", "county-a", "律师")
    done = registry_import.import_file(session, engine, user(session, "pat"), "respondent", "t.xlsx",
                                       io.BytesIO(content))
    assert done == {"added": 0, "updated": 0, "unchanged": 2}


def test_an_imported_key_too_long_is_named_as_such(engine, session, registry_setup):
    with pytest.raises(ImportRefused) as refused:
        registry_import.import_file(session, engine, user(session, "pat"), "respondent", "x.xlsx",
                                    workbook([["L" * 101, "长编号", None, "律师", None, None, None]]))
    assert [(e.row, e.column, zh(e)) for e in refused.value.errors] == [(2, "编号", "文字超过 100 个字符")]
