"""The ledger pages (台账) and API: upload all or nothing with errors by row and column, rows within the user's
subtree with filters and keyset pages, the template workbook, a row with its measures and legal bases, the import
history; a score sheet's ledger findings link to the rows' pages; the CLI imports a file."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import delete, func, select

from engine.core import LedgerRow, people
from engine.definitions import bundles
from engine.runtime import cases
from web.auth import hash_password
from web.cli import main
from web.database import session as db_session
from web.workflow import engine as web_engine

from . import standards_data
from .conftest import bundle_with
from .ledger_data import HEADERS, LEDGER, case_row, csv_bytes, xlsx_bytes
from .test_ledger_findings import STANDARD
from .web_helpers import csrf, login, token_for

PAGE = f"/ledgers/{LEDGER}"


@pytest.fixture
def organisers(app):
    """The organiser role (the demo's); `la_city` at the city bureau, `la_a` in county A; the demo's ledger rows
    taken away, so each test reads only the rows it imports."""
    with app.app_context():
        db = db_session()
        db.execute(delete(LedgerRow))
        for username, org in (("la_city", "city-bureau"), ("la_a", "county-a")):
            people.add_user(db, username, username, org, ["legal_aid_organizer"],
                            password_hash=hash_password("demo1234"))
        db.commit()


def upload(client, content: bytes, name="ledger.csv"):
    return client.post(f"{PAGE}/imports", data={"csrf_token": csrf(client, PAGE), "file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def row_count(app) -> int:
    with app.app_context():
        return db_session().scalar(select(func.count()).select_from(LedgerRow))


def text(response) -> str:
    return response.get_data(as_text=True)


def test_an_organiser_uploads_a_ledger_and_reads_its_rows(app, client, organisers):
    login(client, "la_city")
    rows = [case_row("A-1"), case_row("B-1", org="county-b", decided="2025-03-12", assigned="2025-03-13",
                                      agreement="2025-03-14")]
    done = upload(client, xlsx_bytes(rows), "ledger.xlsx")
    assert done.status_code == 302
    page = text(client.get(PAGE))
    assert "已导入：新增 2 条，未变 0 条" in page and "ledger.xlsx" in page and "A-1" in page and "B-1" in page
    assert 'data-count="legal_aid_cases">2<' in text(client.get("/ledgers"))
    assert "A-1" not in text(client.get(PAGE + "?measure=review_overdue"))
    assert "B-1" in text(client.get(PAGE + "?measure=review_overdue&org=county-b"))
    assert "B-1" not in text(client.get(PAGE + "?org=county-a"))
    assert "B-1" not in text(client.get(PAGE + "?period_from=2025-07-01"))
    with app.app_context():
        row_id = db_session().scalar(select(LedgerRow.id).where(LedgerRow.key == "B-1"))
    shown = text(client.get(f"{PAGE}/rows/{row_id}"))
    assert "《中华人民共和国法律援助法》第四十三条" in shown and "《办理法律援助案件程序规定》第二十七条" in shown
    assert "9 日" in shown and "7 日" in shown and "county-b" in shown
    assert upload(client, csv_bytes(rows)).status_code == 302
    assert "新增 0 条，未变 2 条" in text(client.get(PAGE))


def test_a_broken_file_is_refused_with_its_rows_and_columns_and_nothing_stored(app, client, organisers):
    login(client, "la_a")
    rows = [case_row("A-1"), case_row("A-2", applied="3/3/2025"), case_row("B-1", org="county-b")]
    refused = upload(client, csv_bytes(rows))
    assert refused.status_code == 422
    page = text(refused)
    assert "文件中有 2 处错误" in page
    assert "<td>3</td><td>申请日期</td><td>「3/3/2025」不是日期" in page
    assert "<td>4</td><td>法律援助机构</td><td>「county-b」不在您所在机构的管辖范围内</td>" in page
    assert row_count(app) == 0
    client.get("/lang/en")
    english = text(upload(client, csv_bytes(rows)))
    assert "3/3/2025 is not a date written YYYY-MM-DD" in english and "nothing was imported" in english


def test_rows_are_paged_by_key_and_kept_to_the_users_subtree(app, client, organisers, monkeypatch):
    from engine.records import ledgers

    monkeypatch.setattr(ledgers, "PAGE_SIZE", 2)
    login(client, "la_city")
    upload(client, csv_bytes([case_row(f"A-{n}") for n in range(3)] + [case_row("B-1", org="county-b")]))
    first = text(client.get(PAGE))
    assert "A-0" in first and "A-1" in first and "A-2" not in first
    following = first.split('id="next-page" href="')[1].split('"')[0].replace("&amp;", "&")
    second = text(client.get(following))
    assert "A-2" in second and "B-1" in second and "A-0" not in second and "next-page" not in second
    login(client, "zhang")                       # county A: sees county A's rows, not B's
    page = text(client.get(PAGE))
    assert "A-0" in page and "B-1" not in page and 'id="ledger-upload"' not in page


def test_the_template_workbook_holds_the_ledgers_headers(app, client, organisers):
    login(client, "la_city")
    book = load_workbook(io.BytesIO(client.get(f"{PAGE}/template.xlsx").get_data()))
    assert [c.value for c in book.worksheets[0][1]] == HEADERS
    assert book.sheetnames[1] == "列说明" and book.worksheets[1]["C4"].value == "enum"


def test_the_api_imports_and_lists_rows_within_the_callers_subtree(app, client, organisers):
    token = token_for(app, "la_city")
    rows = [case_row("A-1"), case_row("B-1", org="county-b")]
    made = client.post(f"/api/v1/ledgers/{LEDGER}/imports?filename=l.csv", data=csv_bytes(rows), headers=token)
    assert made.status_code == 201 and made.get_json()["rows_added"] == 2
    broken = client.post(f"/api/v1/ledgers/{LEDGER}/imports", headers=token,
                         data={"file": (io.BytesIO(csv_bytes([case_row("C-1", closed="2024-01-01")])), "x.csv")},
                         content_type="multipart/form-data")
    assert broken.status_code == 422 and broken.mimetype == "application/problem+json"
    assert broken.get_json()["errors"] == [{"row": 2, "column": "结案日期", "message": "结案日期早于申请日期",
                                            "message_code": "ledger.check_order"}]
    listed = client.get(f"/api/v1/ledgers/{LEDGER}/rows?limit=1", headers=token).get_json()
    after = client.get(f"/api/v1/ledgers/{LEDGER}/rows?limit=1&after={listed[0]['id']}", headers=token).get_json()
    assert [r["key"] for r in listed + after] == ["A-1", "B-1"] and after[0]["data"]["institution"] == "county-b"
    outsider = token_for(app, "zhang")
    assert [r["key"] for r in client.get(f"/api/v1/ledgers/{LEDGER}/rows", headers=outsider).get_json()] == ["A-1"]
    assert client.post(f"/api/v1/ledgers/{LEDGER}/imports", data=csv_bytes(rows), headers=outsider).status_code == 403
    assert client.get("/api/v1/ledgers/nothing/rows", headers=token).status_code == 404


def test_the_cli_imports_a_file_or_lists_its_wrong_rows(app, organisers, tmp_path):
    runner = app.test_cli_runner()
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_bytes(csv_bytes([case_row("A-1")]))
    bad.write_bytes(csv_bytes([case_row("A-2", 案件类型="刑事案件")]))
    done = runner.invoke(main, ["ledger", "import", LEDGER, str(good), "--actor", "la_city"])
    assert done.exit_code == 0 and "新增 1 条" in done.output
    refused = runner.invoke(main, ["ledger", "import", LEDGER, str(bad), "--actor", "la_city"])
    assert refused.exit_code == 1 and "第 2 行 案件类型：「刑事案件」不是可选值（刑事/民事/行政）" in refused.output
    assert row_count(app) == 1


def test_a_score_sheet_links_its_ledger_findings_to_the_rows_pages(app, client, organisers):
    with app.app_context():
        db, eng = db_session(), web_engine()
        bundles.deploy(db, bundle_with(standards_data.bundle(STANDARD)), engine=eng)
    login(client, "la_city")
    late = {"decided": "2025-03-20", "assigned": "2025-03-21", "agreement": "2025-03-22"}
    upload(client, csv_bytes([case_row("A-1", **late), case_row("A-2"), case_row("A-3")]))
    with app.app_context():
        db, eng = db_session(), web_engine()
        data = {"institution_code": "county-a", "period_from": "2025-01-01", "period_to": "2025-12-31"}
        case = cases.start_case(eng, db, "scored", data, org_code="county-a", actor="zhang")
        task_id = cases.case_tasks(db, case.id, "ready")[0].id
        row_id = db.scalar(select(LedgerRow.id).where(LedgerRow.key == "A-1"))
        db.commit()
    login(client, "zhang")
    page = text(client.get(f"/tasks/{task_id}"))
    assert "台账 3 件中发现 1 件：" in page
    assert f'<a href="/ledgers/{LEDGER}/rows/{row_id}">A-1</a>' in page
    assert 'data-found="4"' in page                  # 1 of 3 late: 33.3% is four started steps of 10%


def test_a_ledger_upload_may_be_as_large_as_an_import_for_signed_in_staff_only(app):
    from web.uploads import body_limit

    assert body_limit(app.config, "ledgers.upload", True, False) == app.config["IMPORT_MAX_BYTES"]
    assert body_limit(app.config, "ledgers.upload", False, False) == app.config["MAX_CONTENT_LENGTH"]
    assert body_limit(app.config, "ledgers.ledger_page", True, False) == app.config["MAX_CONTENT_LENGTH"]


def test_a_page_cursor_past_any_row_id_is_ignored(client, organisers):
    login(client, "la_city")
    upload(client, csv_bytes([case_row("A-1")]))
    assert "A-1" in text(client.get(PAGE + "?after=99999999999999999999999"))
