"""Issue 20: a report's organisation chart (`orgTree`) in its Excel export and in the 月度台账, on both databases,
through the pages, on law-firm applications driven through the real diagrams and counted by hand: a second sheet
only for a report with a chart, one row per organisation in the chart's order with its name indented by its depth,
the 达标率 as a percentage cell (无数据 as text), the counts behind it linked to their cases by an absolute address;
a county reader's sheet holds his subtree only. And every used column of the report, ledger and chart sheets is
wide enough for its longest text, under a header row that wraps."""
from __future__ import annotations

import io
from datetime import datetime

import pytest
import time_machine
from openpyxl import load_workbook

from engine.core import people

from . import test_law_firm_scenarios as law_firm
from .complaint_steps import at
from .test_complaint_sanctions import sanctions_setup  # noqa: F401 - a fixture
from .test_law_firm_scenarios import firms  # noqa: F401 - a fixture
from .web_helpers import login

LONG_NAME = "示范市律师行业规范化建设指导中心"          # 16 characters, a unit under the city with no firm
PERIOD = "since=2025-10-01&until=2025-11-30"
PUBLIC_URL = "https://lawflow.example.gov.cn"
# By hand: F-0001 (county A) scores 86 and F-0003 (county B) 86, both named after their publicity; F-0002 (county A)
# scores 92 but with vetoes, so is inspected and not named. 达标率 = named / inspected, over each subtree.
BY_HAND = {"city": (2, 3), "county-a": (1, 2), "F-0001": (1, 1), "F-0002": (0, 1), "county-b": (1, 1),
           "F-0003": (1, 1), "city-bar": (0, 0), "guide": (0, 0)}
DEPTH = {"city": 0, "county-a": 1, "county-b": 1, "city-bar": 1, "guide": 1, "F-0001": 2, "F-0002": 2, "F-0003": 2}


@pytest.fixture
def inspected(engine, session, firms, db_url):
    """The campaign driven to the end of the firms' publicity, a long-named unit under the city, and the web app
    over the same database with qian (city) and a_affairs (county A) able to sign in."""
    from web import create_app
    from web.auth import hash_password

    people.add_organization(session, "guide", LONG_NAME, "city")
    people.add_user(session, "a_affairs", "A区律师工作股", "county-a", ["lawyer_affairs"])
    session.commit()
    with time_machine.travel(at("2025-10-13T09:00"), tick=True) as clock:
        law_firm.three_inspected(engine, session, clock, 86)
        clock.move_to(at("2025-11-28T09:00"))
        law_firm.sweep(engine, session)                 # the publicities are over: F-0001 and F-0003 are named
    for username in ("qian", "a_affairs"):
        people.user_by_name(session, username).password_hash = hash_password("demo1234")
    names = {code: people.organization(session, code).name for code in DEPTH}
    session.commit()
    app = create_app({"DATABASE_URL": db_url, "SECRET_KEY": "test-secret", "TESTING": True,
                      "TOTP_REQUIRED_ROLES": "", "PUBLIC_URL": PUBLIC_URL})
    with time_machine.travel(at("2025-12-01T09:00"), tick=False):
        yield app, names
    app.extensions["lawflow.sql"].dispose()


def _book(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return load_workbook(io.BytesIO(response.data))


def _rows(sheet) -> list[tuple]:
    """The cells of each row below the header."""
    return list(sheet.iter_rows(min_row=3))


def test_a_reports_workbook_gets_its_organisation_chart_counted_by_hand(inspected):
    app, names = inspected
    client = app.test_client()
    login(client, "qian")
    book = _book(client.get("/stats/law_firm_acceptance/export.xlsx"))
    assert book.sheetnames == ["规范化律师事务所创建验收", "规范化律师事务所创建验收（组织）"]
    chart = book["规范化律师事务所创建验收（组织）"]
    assert chart["A1"].value == "规范化律师事务所创建验收（组织）·达标率（市司法局，全部期间）"
    assert [c.value for c in chart[2]] == ["组织", "达标率", "符合数", "基数"] and chart.freeze_panes == "A3"
    rows = _rows(chart)
    code_of = {name: code for code, name in names.items()}
    assert sorted(code_of[r[0].value] for r in rows) == sorted(BY_HAND)       # each organisation once
    for name, rate, hits, base in rows:
        code = code_of[name.value]
        assert name.alignment.indent == DEPTH[code], code
        assert (hits.value, base.value) == BY_HAND[code], code
        if BY_HAND[code][1]:
            assert rate.value == pytest.approx(BY_HAND[code][0] / BY_HAND[code][1]) and rate.number_format == "0.0%"
        else:
            assert rate.value == "无数据" and rate.data_type == "s", code
    # tree order: each firm right below its county
    order = [code_of[r[0].value] for r in rows]
    assert order[0] == "city"
    for firm, county in (("F-0001", "county-a"), ("F-0002", "county-a"), ("F-0003", "county-b")):
        assert order.index(county) < order.index(firm)
        assert all(DEPTH[c] == 2 for c in order[order.index(county) + 1:order.index(firm)])
    # the counts open their cases: absolute addresses of the drill-down lists, the root's over the whole subtree
    by_code = {code_of[r[0].value]: r for r in rows}
    assert by_code["county-a"][2].hyperlink.target == \
        "http://localhost/stats/law_firm_acceptance/cases?measure=rate&group=county-a"
    assert by_code["county-a"][3].hyperlink.target == \
        "http://localhost/stats/law_firm_acceptance/cases?measure=rate&group=county-a&part=base"
    assert by_code["city"][3].hyperlink.target == \
        "http://localhost/stats/law_firm_acceptance/cases?measure=rate&part=base"
    assert by_code["city-bar"][2].hyperlink is None and by_code["F-0002"][2].hyperlink is None   # no case: no list
    listed = client.get(by_code["F-0002"][3].hyperlink.target.removeprefix("http://localhost"))
    assert listed.status_code == 200 and "示范信达律师事务所" in listed.get_data(as_text=True)
    # a report without a chart has its table only
    assert len(_book(client.get("/stats/law_firm_scores/export.xlsx")).sheetnames) == 1


def test_a_county_reader_gets_only_his_subtree(inspected):
    app, names = inspected
    client = app.test_client()
    login(client, "a_affairs")
    book = _book(client.get("/stats/law_firm_acceptance/export.xlsx"))
    chart = book.worksheets[1]
    assert chart["A1"].value == "规范化律师事务所创建验收（组织）·达标率（A区司法局，全部期间）"
    found = {r[0].value: (r[0].alignment.indent, r[2].value, r[3].value) for r in _rows(chart)}
    assert found == {names["county-a"]: (0, 1, 2), names["F-0001"]: (1, 1, 1), names["F-0002"]: (1, 0, 1)}
    assert not {names[c] for c in ("city", "county-b", "F-0003", "guide")} & {c.value for c in chart["A"]}
    assert client.get("/stats/law_firm_acceptance/export.xlsx?org=county-b").status_code == 404


def test_the_ledger_puts_each_chart_after_its_report_and_lists_it(inspected):
    app, names = inspected
    client = app.test_client()
    login(client, "qian")
    book = _book(client.get(f"/stats/monthly/ledger.xlsx?{PERIOD}"))
    charts = [n for n in book.sheetnames if n.endswith("（组织）")]
    assert charts == ["规范化律师事务所创建验收（组织）"]                  # of qian's reports, only this one has orgTree
    assert book.sheetnames.index(charts[0]) == book.sheetnames.index("规范化律师事务所创建验收") + 1
    listed = [r for r in book["目录"].iter_rows(min_row=3) if r[1].value == charts[0]]
    assert len(listed) == 1 and listed[0][1].hyperlink.location == f"'{charts[0]}'!A1"
    assert listed[0][0].value is None and listed[0][2].value == "达标率，按组织层级"
    chart = book[charts[0]]
    assert "2025-10-01 — 2025-11-30" in chart["A1"].value
    code_of = {name: code for code, name in names.items()}
    assert {code_of[r[0].value]: (r[2].value, r[3].value) for r in _rows(chart)} == BY_HAND
    assert "since=2025-10-01" in {code_of[r[0].value]: r for r in _rows(chart)}["county-a"][2].hyperlink.target


def test_the_scheduled_ledger_links_the_charts_counts_by_the_public_address(inspected):
    """Built by the scheduler on the first working day of November for October (the applications' month), away from
    any request: its links are PUBLIC_URL's."""
    from sqlalchemy import select

    from engine.core.models import Organization
    from engine.core.report_records import MonthlyLedger
    from web.database import session as db_session
    from web.monthly import build_monthly

    app, names = inspected
    with time_machine.travel(at("2025-11-03T09:00"), tick=False):
        assert build_monthly(app) > 0
    with app.app_context():
        db = db_session()
        stored = db.scalars(select(MonthlyLedger).join(Organization, MonthlyLedger.org_id == Organization.id)
                            .where(Organization.code == "city")).all()
        books = [load_workbook(io.BytesIO(m.workbook)) for m in stored]
    charts = [b["规范化律师事务所创建验收（组织）"] for b in books if "规范化律师事务所创建验收（组织）" in b.sheetnames]
    assert charts and "2025-10-01 — 2025-10-31" in charts[0]["A1"].value
    links = [c.hyperlink.target for sheet in charts for row in sheet.iter_rows(min_row=3) for c in row if c.hyperlink]
    assert links and all(link.startswith(f"{PUBLIC_URL}/stats/law_firm_acceptance/cases?") for link in links)


def _shown(cell) -> str:
    """The text a cell shows, read back from the sheet: a share as 66.7%, a month as 2025-10, indentation as
    a character a level."""
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, datetime):
        text = f"{value:%Y-%m}"
    elif isinstance(value, float) and cell.number_format == "0.0%":
        text = f"{value:.1%}"
    elif isinstance(value, float) and cell.number_format == "0.0":
        text = f"{value:.1f}"
    else:
        text = str(value)
    return " " * int(cell.alignment.indent or 0) + text


def _assert_wide_enough(sheet) -> None:
    assert all(c.alignment.wrap_text for c in sheet[2] if c.value is not None), sheet.title
    for column in sheet.iter_cols(min_row=2):
        texts = [_shown(c) for c in column]
        longest = max(texts, key=len)
        if not longest:
            continue
        width = sheet.column_dimensions[column[0].column_letter].width
        assert width >= 10 and (width >= len(longest) * 2 or width >= 40), (sheet.title, longest, width)


def test_every_used_column_is_wide_enough_for_its_longest_text(inspected):
    app, names = inspected
    client = app.test_client()
    login(client, "qian")
    report = _book(client.get("/stats/law_firm_acceptance/export.xlsx"))
    ledger = _book(client.get(f"/stats/monthly/ledger.xlsx?{PERIOD}"))
    for sheet in [*report.worksheets, *ledger.worksheets]:
        _assert_wide_enough(sheet)
    chart = report.worksheets[1]
    # the long name, one level in: its column at least twice its length (a Chinese character is two units wide)
    assert chart.column_dimensions["A"].width >= (len(LONG_NAME) + 1) * 2 == 34
    table = report.worksheets[0]
    assert any(r[0].value == LONG_NAME for r in table.iter_rows(min_row=3))
    assert table.column_dimensions["A"].width >= len(LONG_NAME) * 2
    rates = [c for c in chart["B"][2:] if isinstance(c.value, float)]
    assert rates and chart.column_dimensions["B"].width < 20           # a share is as wide as 66.7% shows, not 0.666…


def test_every_sheet_of_the_demo_ledger_fits_its_texts(client):
    """Every report of the demo (months, rankings, durations, three charts) in one ledger, as the city sees it."""
    login(client, "admin")
    book = _book(client.get(f"/stats/monthly/ledger.xlsx?{PERIOD}"))
    assert len([n for n in book.sheetnames if n.endswith("（组织）")]) == 3       # complaints, law firms, legal aid
    for sheet in book.worksheets:
        _assert_wide_enough(sheet)
    months = book["投诉月度走势"]
    assert months.cell(row=3, column=1).is_date and months.column_dimensions["A"].width == 16     # 2025-10
