"""Importing the legal-aid case ledger: every bad row refuses the whole file naming its row and column, nothing is
stored; a good file stores its rows with their measures; a re-import is idempotent; the importer's subtree bounds
the institutions a row may name."""
from __future__ import annotations

import io
import json
import zipfile

import pytest
from sqlalchemy import func, select

from engine.core import BundleInvalid, ImportRefused, LedgerImport, LedgerRow, NotAllowed, NotFound, people
from engine.definitions import bundles
from engine.records import ledger_import, ledgers

from .conftest import bundle_with
from .helpers import zh
from .ledger_data import HEADERS, LEDGER, case_row, csv_bytes, ledger_people, xlsx_bytes


@pytest.fixture
def ledger_setup(session, deployed):
    """The project deployed, with organisers at the city and in county A."""
    ledger_people(session)


def run_import(engine, session, username, content: bytes, filename="ledger.csv", key=LEDGER):
    """Import a file as the user and commit; the import row."""
    done = ledger_import.import_file(session, engine, people.user_by_name(session, username), key, filename,
                                     io.BytesIO(content))
    session.commit()
    return done


def refusal(engine, session, username, content: bytes, filename="ledger.csv", key=LEDGER):
    """The (row, column, Chinese message) of each error of a refused import, after checking nothing was stored."""
    before = session.scalar(select(func.count()).select_from(LedgerRow))
    with pytest.raises(ImportRefused) as refused:
        run_import(engine, session, username, content, filename, key)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(LedgerRow)) == before
    return [(e.row, e.column, zh(e)) for e in refused.value.errors]


def stored(session) -> dict[str, dict]:
    return {row.key: row.data for row in session.scalars(select(LedgerRow))}


@pytest.mark.parametrize("make", [csv_bytes, xlsx_bytes], ids=["csv", "xlsx"])
def test_a_good_file_stores_every_row_with_its_measures(engine, session, ledger_setup, make):
    rows = [case_row("(2025)援字第1号"),
            case_row("(2025)援字第2号", org="B县司法局", decided="2025-03-12", assigned="2025-03-17",
                     agreement="2025-03-24", visited=""),
            case_row("(2025)援字第3号", decided="", assigned="", agreement="", visited="", 满意度="")]
    done = run_import(engine, session, "organizer", make(rows), "ledger." + make.__name__[:4])
    assert (done.rows_added, done.rows_unchanged, done.actor) == (3, 0, "organizer")
    found = stored(session)
    first, second, third = found["(2025)援字第1号"], found["(2025)援字第2号"], found["(2025)援字第3号"]
    assert first["institution"] == "county-a" and first["applied_on"] == "2025-03-03"
    assert (first["review_overdue"], first["review_overdue_days"], first["assignment_overdue"], first["visited"]) \
        == (False, 4, False, True)
    assert second["institution"] == "county-b"          # named by its name, stored as its code
    assert (second["review_overdue"], second["review_overdue_days"]) == (True, 9)
    assert (second["assignment_overdue"], second["agreement_overdue"], second["visited"]) == (True, True, False)
    assert "review_overdue" not in third and "decided_on" not in third and third["visited"] is False
    row = session.scalar(select(LedgerRow).where(LedgerRow.key == "(2025)援字第2号"))
    assert row.period_on.isoformat() == "2025-06-30" and row.import_id == done.id


def test_reimporting_the_same_file_is_idempotent_and_adds_only_new_rows(engine, session, ledger_setup):
    rows = [case_row(f"A-{n}") for n in range(3)]
    run_import(engine, session, "organizer", csv_bytes(rows))
    again = run_import(engine, session, "organizer", csv_bytes(rows + [case_row("A-3")]))
    assert (again.rows_added, again.rows_unchanged) == (1, 3)
    assert session.scalar(select(func.count()).select_from(LedgerRow)) == 4
    by_name = [case_row("A-0", org="A区司法局")]            # the same institution named by its name: unchanged
    assert run_import(engine, session, "organizer", xlsx_bytes(by_name), "x.xlsx").rows_unchanged == 1


def test_a_missing_column_refuses_the_file_at_the_header(engine, session, ledger_setup):
    headers = [h for h in HEADERS if h != "申请日期"]
    rows = [[v for h, v in zip(HEADERS, case_row("A-1")) if h != "申请日期"]]
    assert refusal(engine, session, "organizer", csv_bytes(rows, headers)) == [(1, "申请日期", "表头缺少此必填列")]


def test_each_wrong_row_is_named_by_row_and_column_and_nothing_is_imported(engine, session, ledger_setup):
    rows = [case_row("A-1"),
            case_row("A-2", applied="2025/03/03"),
            case_row("A-3", org="county-x"),
            case_row("A-4", closed="2025-03-01"),
            case_row("A-5", 案件类型="刑事案件"),
            case_row("A-6", 案号=""),
            case_row("A-1", outcome="x", 办理结果="判决")]
    assert refusal(engine, session, "organizer", csv_bytes(rows)) == [
        (3, "申请日期", "「2025/03/03」不是日期，应写作 YYYY-MM-DD（如 2025-03-01）"),
        (4, "法律援助机构", "「county-x」不是任何机构的编号或名称"),
        (5, "结案日期", "结案日期早于申请日期"),
        (6, "案件类型", "「刑事案件」不是可选值（刑事/民事/行政）"),
        (7, "案号", "此列必填"),
        (8, "案号", "A-1 在本文件中已出现过，且内容不同"),
    ]
    assert session.scalar(select(func.count()).select_from(LedgerImport)) == 0


def test_a_duplicate_in_a_later_batch_and_a_changed_stored_row_are_refused(engine, session, ledger_setup,
                                                                          monkeypatch):
    run_import(engine, session, "organizer", csv_bytes([case_row("OLD-1")]))
    monkeypatch.setattr(ledger_import, "BATCH", 2)         # the repeat lands in another batch than the first
    rows = [case_row("N-1"), case_row("N-2"), case_row("N-3"), case_row("N-1", 办理结果="撤诉"),
            case_row("OLD-1", 办理结果="判决")]
    assert refusal(engine, session, "organizer", csv_bytes(rows)) == [
        (5, "案号", "N-1 在本文件中已出现过，且内容不同"),
        (6, "案号", "OLD-1 已导入过且内容不同；已导入的记录不可更改")]
    assert set(stored(session)) == {"OLD-1"}


def test_an_importer_may_name_only_institutions_of_their_subtree(engine, session, ledger_setup):
    rows = [case_row("A-1"), case_row("B-1", org="county-b")]
    assert refusal(engine, session, "a_organizer", csv_bytes(rows)) == [
        (3, "法律援助机构", "「county-b」不在您所在机构的管辖范围内")]
    assert run_import(engine, session, "a_organizer", csv_bytes(rows[:1])).rows_added == 1
    with pytest.raises(NotAllowed):                     # a user without the ledger's import role
        run_import(engine, session, "alice", csv_bytes(rows[:1]))


def test_unreadable_and_empty_files_are_refused(engine, session, ledger_setup):
    assert refusal(engine, session, "organizer", csv_bytes([])) == [(2, "", "文件表头下没有记录")]
    latin = csv_bytes([case_row("A-1")], bom=False).replace("民事".encode(), "民事".encode("gbk"))
    assert refusal(engine, session, "organizer", latin)[0][2] == "CSV 文件须为 UTF-8 编码，此行无法按 UTF-8 读取"
    broken = b"PK\x03\x04" + b"\0" * 40
    assert refusal(engine, session, "organizer", broken, "x.xlsx")[0][:2] == (1, "")


WORKING_LEDGER = {
    "key": "test_ledger", "title": "测试台账", "keyColumn": "number", "orgColumn": "org", "periodColumn": "ended",
    "columns": [{"name": "org", "header": "机构", "type": "string", "required": True},
                {"name": "number", "header": "编号", "type": "string", "required": True},
                {"name": "started", "header": "开始", "type": "date", "required": True},
                {"name": "ended", "header": "结束", "type": "date", "required": True},
                {"name": "count", "header": "件数", "type": "integer"},
                {"name": "urgent", "header": "紧急", "type": "boolean", "values": ["是", "否"]}],
    "measures": [{"name": "late", "label": "超期", "from": "started", "to": "ended", "limit": 3,
                  "unit": "working_days", "basis": "本地设定"},
                 {"name": "long", "label": "超时", "from": "started", "to": "ended", "limit": 48, "unit": "hours"}],
}


def test_measures_count_working_days_on_the_calendar_and_hours(engine, session, org_tree):
    ledger_people(session)
    files = bundle_with({"forms/test/test.ledger.json": json.dumps(WORKING_LEDGER, ensure_ascii=False).encode()})
    bundles.deploy(session, files, engine=engine)
    rows = [["county-a", "N1", "2025-09-30", "2025-10-09", "3", "是"],     # national day: Oct 1-8 off
            ["county-a", "N2", "2025-09-26", "2025-10-01", 2, "否"],       # Sat 27th off, Sun 28th a make-up day, 1st off
            ["county-a", "N3", "2025-10-13", "2025-10-17", None, None]]
    run_import(engine, session, "organizer", xlsx_bytes(rows, ["机构", "编号", "开始", "结束", "件数", "紧急"]),
               "w.xlsx", key="test_ledger")
    found = stored(session)
    assert (found["N1"]["late_days"], found["N1"]["late"], found["N1"]["long_days"]) == (1, False, 216)
    assert (found["N1"]["count"], found["N1"]["urgent"], found["N2"]["urgent"]) == (3, True, False)
    assert (found["N2"]["late_days"], found["N2"]["late"]) == (3, False)    # 28th, 29th, 30th
    assert (found["N3"]["late_days"], found["N3"]["late"], found["N3"]["long"]) == (4, True, True)
    bad = [["county-a", "N4", "2025-10-13", "2025-10-17", "3.5", "也许"]]
    with pytest.raises(ImportRefused) as refused:
        run_import(engine, session, "organizer", csv_bytes(bad, ["机构", "编号", "开始", "结束", "件数", "紧急"]),
                   key="test_ledger")
    assert [(e.row, e.column, zh(e)) for e in refused.value.errors] == [
        (2, "件数", "「3.5」不是整数"), (2, "紧急", "「也许」应为 是/否")]


def test_rows_are_listed_within_the_users_subtree(engine, session, ledger_setup):
    run_import(engine, session, "organizer", csv_bytes([case_row("A-1"), case_row("B-1", org="county-b")]))
    a_user, city = people.user_by_name(session, "a_organizer"), people.user_by_name(session, "organizer")
    assert [r["key"] for r in ledgers.rows(session, a_user, LEDGER)] == ["A-1"]
    assert ledgers.counts(session, a_user) == {LEDGER: 1} and ledgers.counts(session, city) == {LEDGER: 2}
    b_row = session.scalar(select(LedgerRow.id).where(LedgerRow.key == "B-1"))
    with pytest.raises(NotFound):
        ledgers.row(session, a_user, LEDGER, b_row)
    assert ledgers.row(session, city, LEDGER, b_row)["org"] == "county-b"


def test_deploy_refuses_a_malformed_ledger_naming_each_problem_and_its_line(engine, session, org_tree):
    broken = json.loads(json.dumps(WORKING_LEDGER))
    broken["columns"].append({"name": "started", "header": "开始日", "type": "date"})
    broken["keyColumn"], broken["periodColumn"] = "numbr", "count"
    broken["checks"] = [{"earlier": "started", "later": "urgent"}]
    broken["measures"][1]["to"] = "ended_on"
    text = json.dumps(broken, ensure_ascii=False, indent=1)
    files = bundle_with({"forms/test/test.ledger.json": text.encode()})
    with pytest.raises(BundleInvalid) as refused:
        bundles.deploy(session, files, engine=engine)
    found = [(p.file, p.element, p.line, zh(p)) for p in refused.value.problems]
    lines = text.splitlines()
    assert [(f, e, z) for f, e, _, z in found] == [
        ("forms/test/test.ledger.json", "/columns/6", "列 started（开始日）重复定义"),
        ("forms/test/test.ledger.json", "/keyColumn", "numbr 不是本台账的列"),
        ("forms/test/test.ledger.json", "/periodColumn", "列 count 的类型是 integer，此处应为 date"),
        ("forms/test/test.ledger.json", "/checks/0/later", "列 urgent 的类型是 boolean，此处应为 date"),
        ("forms/test/test.ledger.json", "/measures/1/to", "ended_on 不是本台账的列")]
    assert [lines[line - 1].strip() for *_, line, _ in found] == [
        '"name": "started",', '"keyColumn": "numbr",', '"periodColumn": "count",', '"later": "urgent"',
        '"to": "ended_on",']
    schema_broken = dict(WORKING_LEDGER, columns=[{"name": "x", "header": "X", "type": "enum"}])
    files = bundle_with({"forms/test/test.ledger.json": json.dumps(schema_broken).encode()})
    with pytest.raises(BundleInvalid) as refused:
        bundles.deploy(session, files, engine=engine)
    assert [(p.element, zh(p).split("）")[0]) for p in refused.value.problems] == [
        ("/columns/0", "台账定义不符合格式要求（/columns/0")]


def excel_written(rows_xml: str, strings: list[str]) -> bytes:
    """A workbook as Excel writes it (its own package, not openpyxl's): shared strings (one in rich-text runs), a
    custom date style, a row left out."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    shared = "".join(f"<si><t>{s}</t></si>" if "|" not in s else
                     "<si>" + "".join(f"<r><t>{p}</t></r>" for p in s.split("|")) + "<rPh sb=\"0\" eb=\"1\"><t>x</t></rPh></si>"
                     for s in strings)
    types = "http://schemas.openxmlformats.org/package/2006/content-types"
    office = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    parts = {
        "[Content_Types].xml": f'<Types xmlns="{types}"><Default Extension="rels" ContentType="application/'
                               f'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
                               f'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
                               f'ContentType="{office}.sheet.main+xml"/><Override PartName="/xl/worksheets/'
                               f'sheet1.xml" ContentType="{office}.worksheet+xml"/><Override PartName="/xl/'
                               f'sharedStrings.xml" ContentType="{office}.sharedStrings+xml"/><Override '
                               f'PartName="/xl/styles.xml" ContentType="{office}.styles+xml"/></Types>',
        "_rels/.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                       '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                       'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets><sheet name="台账" sheetId="1" '
                           f'r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                                      'relationships"><Relationship Id="rId1" Target="worksheets/sheet1.xml" '
                                      'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                                      'worksheet"/><Relationship Id="rId2" Target="sharedStrings.xml" '
                                      'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                                      'sharedStrings"/><Relationship Id="rId3" Target="styles.xml" '
                                      'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                                      'styles"/></Relationships>',
        "xl/sharedStrings.xml": f'<sst xmlns="{main}">{shared}</sst>',
        "xl/styles.xml": f'<styleSheet xmlns="{main}"><numFmts><numFmt numFmtId="164" formatCode="yyyy/m/d"/>'
                         f'<numFmt numFmtId="165" formatCode="&quot;第&quot;0"/></numFmts>'
                         f'<cellXfs><xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="165"/></cellXfs></styleSheet>',
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{main}"><sheetData>{rows_xml}</sheetData></worksheet>',
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as book:
        for name, xml in parts.items():
            book.writestr(name, xml)
    return out.getvalue()


def test_a_workbook_excel_wrote_is_read_from_its_shared_strings_and_date_styles(engine, session, org_tree):
    ledger_people(session)
    files = bundle_with({"forms/test/test.ledger.json": json.dumps(WORKING_LEDGER, ensure_ascii=False).encode()})
    bundles.deploy(session, files, engine=engine)
    strings = ["机构", "编号", "开始", "结束", "件数", "county-a", "N|1", "紧急", "是"]
    header = "".join(f'<c r="{c}1" t="s"><v>{n}</v></c>' for c, n in zip("ABCDEF", (0, 1, 2, 3, 4, 7)))
    row = ('<c r="A3" t="s"><v>5</v></c><c r="B3" t="s"><v>6</v></c><c r="C3" s="1"><v>45930</v></c>'
           '<c r="D3" s="1"><v>45939</v></c><c r="E3" s="2"><v>3</v></c><c r="F3" t="s"><v>8</v></c>')
    content = excel_written(f'<row r="1">{header}</row><row r="3">{row}</row>', strings)
    run_import(engine, session, "organizer", content, "excel.xlsx", key="test_ledger")
    found = stored(session)["N1"]                 # "N|1" is the rich text N + 1
    assert (found["started"], found["ended"], found["count"], found["urgent"]) == ("2025-09-30", "2025-10-09", 3, True)
    broken = excel_written(f'<row r="1">{header}</row><row r="2"><c r="A2" t="s"><v>99</v></c></row>', strings)
    assert refusal(engine, session, "organizer", broken, "x.xlsx", "test_ledger")[0][:2] == (2, "")
