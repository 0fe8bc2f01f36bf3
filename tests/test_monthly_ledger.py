"""月度台账 (issue 20, exports and the monthly ledger) on the demo data, on both databases: the workbook of every
report a reader may open (a 目录 sheet, one sheet per report, number and percentage cells, totals equal to the
figures of the page and the API), the Word summary filled from the bundle's template, and the scheduler job that
builds last month's ledgers on the first working day only, once however often it runs, notifies the holders, and
whose ledgers another county cannot download."""
from __future__ import annotations

import io
import re
from datetime import date, datetime

import time_machine
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import func, select

from engine.core.case_records import Notification
from engine.core.models import Organization, User
from engine.core.report_records import MonthlyLedger
from engine.time.workdays import CHINA_TZ, WorkCalendar
from engine.work import monthly_ledgers, reports
from web.database import session as db_session
from web.monthly import build_monthly

from .test_work_pages import text
from .web_helpers import login, token_for

OCTOBER = "since=2025-10-01&until=2025-10-31"
FIRST_WORKING_DAY = datetime(2025, 11, 3, 9, 0, tzinfo=CHINA_TZ)      # 11-01 and 11-02 are a weekend


def _workbook(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return load_workbook(io.BytesIO(response.data))


def _docx_text(data: bytes) -> str:
    return "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)


def test_the_ledger_workbook_holds_every_report_with_the_pages_totals(app, client):
    login(client, "admin")
    book = _workbook(client.get(f"/stats/monthly/ledger.xlsx?{OCTOBER}"))
    token = token_for(app, "admin")
    listed = client.get("/api/v1/stats", headers=token).get_json()
    charts = [name for name in book.sheetnames if name.endswith("（组织）")]    # a report's orgTree after it
    tables = [name for name in book.sheetnames[1:] if name not in charts]
    assert book.sheetnames[0] == "目录" and len(tables) == len(listed) and charts
    contents = book["目录"]
    assert "月度台账" in contents["A1"].value and "示范市司法局" in contents["A1"].value
    assert "2025-10-01 — 2025-10-31" in contents["A1"].value and contents.freeze_panes == "A3"
    assert [r[1] for r in contents.iter_rows(min_row=3, values_only=True) if r[0]] == [r["title"] for r in listed]
    assert contents.cell(row=3, column=2).hyperlink.location.startswith("'")
    for n, report in enumerate(listed):
        sheet = book[tables[n]]
        assert report["title"] in sheet["A1"].value and "2025-10-01 — 2025-10-31" in sheet["A1"].value
        assert sheet.freeze_panes == "A3"
        figures = client.get(f"/api/v1/stats/{report['key']}?{OCTOBER}", headers=token).get_json()
        headers = [c.value for c in sheet[2]]
        total = list(sheet.iter_rows(min_row=sheet.max_row, values_only=True))[0]
        first = headers.index(report["measures"][0]["label"])
        for measure in report["measures"]:
            if measure["kind"] == "duration":
                continue
            column = headers.index(measure["label"])
            value = figures["total"][measure["name"]]["value"]
            assert total[column] == (value if value is not None else "无数据"), (report["key"], measure["name"])
            if measure["kind"] in ("count", "overdue"):
                body = [r[column] for r in sheet.iter_rows(min_row=3, max_row=sheet.max_row - 1, values_only=True)]
                assert all(isinstance(v, int) for v in body) and sum(body) == total[column]     # each case once
            elif value is not None:
                cell = sheet.cell(row=sheet.max_row, column=column + 1)
                assert isinstance(cell.value, (int, float))        # a rate as a percentage, a mean to a tenth
                assert cell.number_format == {"sum": "General", "mean": "0.0"}.get(measure["kind"], "0.0%")
        assert total[first - 1] == "合计"
    handling = book["受理与办结情况"]
    rows = list(handling.iter_rows(min_row=3, values_only=True))
    api = client.get(f"/api/v1/stats/complaint_handling?{OCTOBER}", headers=token).get_json()
    assert {r[0]: r[1] for r in rows[:-1]} == {g["name"]: g["figures"]["received"]["value"] for g in api["groups"]}
    assert rows[-1][1] == api["total"]["received"]["value"] == 5
    months = book["投诉月度走势"]
    assert months.cell(row=3, column=1).is_date and months.cell(row=3, column=1).number_format == "yyyy-mm"
    assert months.cell(row=3, column=1).value.strftime("%Y-%m") == "2025-10"
    assert months.column_dimensions["A"].width == 16          # as wide as "2025-10" shows, not as its datetime
    assert months.column_dimensions["B"].width == 10          # 收到投诉: at least 10


def test_the_word_summary_names_the_organisation_period_and_figures(app, client):
    login(client, "sun")                      # 分管副局长 of 东城区: every report, over county A
    response = client.get(f"/stats/monthly/summary.docx?org=county-a&{OCTOBER}")
    assert response.status_code == 200 and response.mimetype.endswith("wordprocessingml.document")
    found = _docx_text(response.data)
    handling = client.get(f"/api/v1/stats/complaint_handling?org=county-a&{OCTOBER}",
                          headers=token_for(app, "sun")).get_json()
    received = handling["total"]["received"]["value"]
    assert "东城区司法局" in found and "2025-10-01 — 2025-10-31" in found and "月度统计台账摘要" in found
    assert "受理与办结情况" in found and f"合计：收到投诉 {received}" in found and received == 3
    channels = client.get(f"/api/v1/stats/complaint_channels?org=county-a&{OCTOBER}",
                          headers=token_for(app, "sun")).get_json()
    for group in channels["groups"]:                              # the rows of a report, with their figures
        assert f"收到投诉 {group['figures']['received']['value']}" in found
    assert "规范化" in found                                    # the law-firm reports too: a director opens them
    api = client.get(f"/api/v1/stats/monthly/summary.docx?org=county-a&{OCTOBER}", headers=token_for(app, "sun"))
    assert api.status_code == 200 and "东城区司法局" in _docx_text(api.data)
    assert client.get(f"/stats/monthly/summary.docx?org=county-b&{OCTOBER}").status_code == 404


def test_the_page_offers_both_downloads_with_its_filters_and_is_linked_from_statistics(client):
    login(client, "zhou")
    assert 'id="stats-monthly"' in client.get("/stats").get_data(as_text=True)
    with time_machine.travel(FIRST_WORKING_DAY, tick=False):
        page = client.get("/stats/monthly").get_data(as_text=True)
    assert 'value="2025-10-01"' in page and 'value="2025-10-31"' in page              # last month by default
    assert "/stats/monthly/ledger.xlsx?since=2025-10-01&amp;until=2025-10-31" in page
    assert "/stats/monthly/summary.docx?since=2025-10-01&amp;until=2025-10-31" in page
    book = _workbook(client.get(f"/stats/monthly/ledger.xlsx?{OCTOBER}"))
    assert "东城区司法局" in book["目录"]["A1"].value
    assert not any("规范化" in name or "法律援助" in name for name in book.sheetnames)     # 科长: complaints only
    login(client, "xu")                                                              # 接待登记员: no report
    assert client.get("/stats/monthly").status_code == 403
    assert client.get("/stats/monthly/ledger.xlsx").status_code == 403


def _count(app, model, *where) -> int:
    with app.app_context():
        return db_session().scalar(select(func.count()).select_from(model).where(*where))


def _notes(app, username: str) -> list[Notification]:
    with app.app_context():
        db = db_session()
        user = db.scalar(select(User).where(User.username == username))
        found = list(db.scalars(select(Notification).where(Notification.user_id == user.id,
                                                           Notification.kind == "monthly_ledger")))
        db.expunge_all()
        return found


def test_the_job_builds_last_months_ledgers_once_on_the_first_working_day_and_notifies_the_holders(app, client):
    for day in ("2025-10-31T09:00", "2025-11-01T09:00", "2025-11-04T09:00"):     # a Friday, a Saturday, the 2nd
        with time_machine.travel(datetime.fromisoformat(day).replace(tzinfo=CHINA_TZ), tick=False):
            assert build_monthly(app) == 0
    assert _count(app, MonthlyLedger) == 0
    with time_machine.travel(FIRST_WORKING_DAY, tick=False):
        built = build_monthly(app)
        assert built > 0 and build_monthly(app) == 0          # a second run (its own session) builds nothing
    assert _count(app, MonthlyLedger) == built
    with app.app_context():
        db = db_session()
        county_a = db.scalar(select(Organization).where(Organization.code == "county-a"))
        mine = list(db.scalars(select(MonthlyLedger).where(MonthlyLedger.org_id == county_a.id)))
        assert {m.month for m in mine} == {date(2025, 10, 1)} and all(m.status == "ready" for m in mine)
        assert len(mine) == 3               # 科长 and 负责人; 分管副局长; the legal-aid reviewer: three sets of reports
        zhou = db.scalar(select(User).where(User.username == "zhou"))
        chief = {r["key"] for r in reports.readable(db, zhou)}                 # the 科长's set: complaints only
        complaints = next(m for m in mine if set(m.report_keys) == chief)
        other = monthly_ledgers.claim(db, county_a.id, date(2025, 10, 1), complaints.report_keys, FIRST_WORKING_DAY)
        assert other is None                                                       # another scheduler's claim
        ledger_id = complaints.id
    for name in ("zhou", "li"):
        [note] = _notes(app, name)
        assert note.case_id is None and note.link == f"/stats/monthly#ledger-{ledger_id}"
    assert len(_notes(app, "sun")) == 1 and _notes(app, "xu") == [] and _notes(app, "zhang") == []
    in_county_a = select(User.id).join(Organization, User.org_id == Organization.id).where(
        Organization.code == "county-a")
    assert _count(app, Notification, Notification.kind == "monthly_ledger",
                  Notification.user_id.in_(in_county_a)) == 4              # zhou, li, sun and dong, once each
    login(client, "zhou")
    listed = text(client.get("/notifications"))
    assert "月度台账：东城区司法局 2025-10" in listed
    page = client.get("/stats/monthly").get_data(as_text=True)
    assert f'id="ledger-{ledger_id}"' in page
    stored = _workbook(client.get(f"/stats/monthly/{ledger_id}/ledger.xlsx"))
    assert stored.sheetnames[0] == "目录" and "2025-10-01 — 2025-10-31" in stored["目录"]["A1"].value
    summary = client.get(f"/stats/monthly/{ledger_id}/summary.docx")
    assert summary.status_code == 200 and "东城区司法局" in _docx_text(summary.data)
    assert "2025-10-01 — 2025-10-31" in _docx_text(summary.data)


def test_a_county_cannot_download_another_countys_ledger(app, client, monkeypatch):
    from engine.records.document_worker import render

    monkeypatch.setattr(monthly_ledgers, "fill_in_child", lambda template, context, _limits: render(template, context))
    with time_machine.travel(FIRST_WORKING_DAY, tick=False):
        assert build_monthly(app) > 0
    with app.app_context():
        db = db_session()
        by_org = {(code, frozenset(keys)): i for i, code, keys in db.execute(
            select(MonthlyLedger.id, Organization.code, MonthlyLedger.report_keys).join(Organization))}
        chief = frozenset(r["key"] for r in reports.readable(db, db.scalar(select(User).where(User.username == "zhou"))))
        director = max((keys for code, keys in by_org if code == "county-a"), key=len)
    assert director > chief                              # the director's set holds law-firm reports too
    county_a = by_org[("county-a", chief)]
    login(client, "ma")                                  # 西城县科长
    page = client.get("/stats/monthly").get_data(as_text=True)
    assert f'id="ledger-{by_org[("county-b", chief)]}"' in page and f'id="ledger-{county_a}"' not in page
    assert client.get(f"/stats/monthly/{county_a}/ledger.xlsx").status_code == 404
    assert client.get(f"/stats/monthly/{county_a}/summary.docx").status_code == 404
    token = token_for(app, "ma")
    assert client.get(f"/api/v1/stats/monthly/{county_a}/ledger.xlsx", headers=token).status_code == 404
    assert {m["org"] for m in client.get("/api/v1/stats/monthly", headers=token).get_json()} == {"county-b"}
    assert client.get(f"/api/v1/stats/monthly/ledger.xlsx?org=county-a&{OCTOBER}", headers=token).status_code == 404
    login(client, "zhou")                                # his county, but the director's set holds law-firm reports
    assert client.get(f"/stats/monthly/{by_org[('county-a', director)]}/ledger.xlsx").status_code == 404
    login(client, "admin")                               # the city sees every county's
    assert client.get(f"/stats/monthly/{county_a}/ledger.xlsx").status_code == 200
    everyone = client.get("/api/v1/stats/monthly", headers=token_for(app, "admin")).get_json()
    assert len(everyone) == _count(app, MonthlyLedger) and {m["org"] for m in everyone} >= {"county-a", "county-b"}


def test_the_stored_ledgers_follow_the_organisation_filter_and_refuse_one_outside_the_subtree(app, client):
    """The lists of stored ledgers (page and API) keep to the chosen organisation's subtree, and a county asking
    for another county's is 404, as every other statistics route."""
    with time_machine.travel(FIRST_WORKING_DAY, tick=False):
        assert build_monthly(app) > 0
    with app.app_context():
        db = db_session()
        of_county = {i for i, code in db.execute(select(MonthlyLedger.id, Organization.code).join(Organization))
                     if code == "county-a"}
    login(client, "admin")
    page = client.get("/stats/monthly?org=county-a").get_data(as_text=True)
    assert {int(n) for n in re.findall(r'id="ledger-(\d+)"', page)} == of_county
    listed = client.get("/api/v1/stats/monthly?org=county-a", headers=token_for(app, "admin")).get_json()
    assert {m["id"] for m in listed} == of_county and {m["org"] for m in listed} == {"county-a"}
    login(client, "li")                                  # 东城区负责人
    assert client.get("/stats/monthly?org=county-b").status_code == 404
    assert client.get("/stats/monthly?org=county-a").status_code == 200
    token = token_for(app, "li")
    assert client.get("/api/v1/stats/monthly?org=county-b", headers=token).status_code == 404
    assert client.get("/api/v1/stats/monthly?org=no-such-org", headers=token).status_code == 404


def test_the_page_and_the_workbook_read_in_english(client):
    login(client, "zhou")
    client.get("/lang/en")
    page = text(client.get(f"/stats/monthly?{OCTOBER}"))
    assert "Monthly ledger" in page and "Download the Excel workbook" in page and "Monthly ledgers built" in page
    assert "月度台账" not in page and "下载" not in page
    book = _workbook(client.get(f"/stats/monthly/ledger.xlsx?{OCTOBER}"))
    assert book.sheetnames[0] == "Contents" and "Monthly ledger" in book["Contents"]["A1"].value


def test_the_first_working_day_follows_the_holiday_calendar():
    calendar = WorkCalendar()
    assert monthly_ledgers.first_working_day(calendar, date(2025, 10, 20)) == date(2025, 10, 9)   # National Day
    assert monthly_ledgers.is_first_working_day(calendar, date(2025, 12, 1))
    assert not monthly_ledgers.is_first_working_day(calendar, date(2025, 11, 1))
    assert monthly_ledgers.previous_month(date(2026, 1, 5)) == (date(2025, 12, 1), date(2025, 12, 31))
    assert monthly_ledgers.previous_month(date(2025, 3, 3)) == (date(2025, 2, 1), date(2025, 2, 28))
