"""A period with no case (January 2024; the demo's cases were received in 2025), on both databases: the 统计 page of
every process, its print view, each report's Excel export, the 瓶颈图 with its export, the monthly ledger and
/api/v1/stats answer without an error; every figure is 0 or 无数据 (— for an unranked row), never a division by
zero, and every chart says 无数据 over its empty axes."""
from __future__ import annotations

import io
import re

from openpyxl import load_workbook

from .test_stats_charts import charts
from .web_helpers import login, token_for

EMPTY = "since=2024-01-01&until=2024-01-31"
NOTHING = {"0", "无数据", "—", ""}


def _figures(page: str, key: str) -> list[str]:
    """A report's figures: each row's cells after its name (and rank), and the total row's."""
    section = page[page.index(f'id="report-{key}"'):]
    table = section[section.index('<table class="report-table">'):section.index("</table>")]
    found = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)[1:]:
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]
        found += cells[1:]
    return found


def test_every_page_of_an_empty_period_shows_zeros_and_no_data(client):
    login(client, "admin")
    processes = re.findall(r'<option value="([a-z_]+)"', client.get("/stats").get_data(as_text=True))
    assert len(processes) >= 3
    for process in processes:
        answer = client.get(f"/stats?process={process}&{EMPTY}")
        assert answer.status_code == 200, process
        page = answer.get_data(as_text=True)
        specs = charts(page)
        reports = [k for k, s in specs.items() if s["kind"] != "tree"]
        assert reports, process
        for key in reports:
            figures = set(_figures(page, key))
            assert figures and not {f for f in figures if f not in NOTHING and _is_figure(f)}, (key, figures)
            spec = specs[key]
            assert spec["empty"] is True and spec["option"]["graphic"][0]["style"]["text"] == "无数据", key
            assert f'id="chart-{key}" data-kind="{spec["kind"]}" data-empty="true"' in page
            assert all(v in (0, None) for s in spec["option"]["series"] for v in _values(s)), key
        assert page.count("本期间无数据") == len(reports)
        assert client.get(f"/stats/print?process={process}&{EMPTY}").status_code == 200
    months = charts(client.get(f"/stats?process=lawyer_complaint&{EMPTY}").get_data(as_text=True))
    assert months["complaint_monthly"]["option"]["xAxis"]["data"] == ["2024-01"]       # the month, at 0


def _values(series: dict) -> list:
    return [v["value"] if isinstance(v, dict) else v for v in series["data"]]


def _is_figure(text: str) -> bool:
    """A number, a share or a rate as the table writes it (66.7% (2/3)), not a row's name (a ranked table's rows
    begin with their rank, then their name)."""
    return bool(re.fullmatch(r"[\d.%/() ]+", text))


def test_each_export_of_an_empty_period_holds_zeros_and_no_data(client):
    login(client, "admin")
    page = client.get(f"/stats?process=lawyer_complaint&{EMPTY}").get_data(as_text=True)
    links = re.findall(r'href="(/stats/[a-z_]+/export\.xlsx\?[^"]+)"', page)
    assert len(links) >= 5
    for link in links:
        sheet = load_workbook(io.BytesIO(client.get(link.replace("&amp;", "&")).data)).active
        assert "2024-01-01 — 2024-01-31" in sheet["A1"].value
        total = [c.value for c in sheet[sheet.max_row]]
        assert "合计" in total and all(v in (0, None, "无数据", "合计") for v in total), (link, total)
    bottlenecks = client.get(f"/stats/bottlenecks?process=lawyer_complaint&{EMPTY}").get_data(as_text=True)
    assert '<tr><td colspan="6">无数据</td></tr>' in bottlenecks and 'data-heat' not in bottlenecks
    ledger = client.get(f"/stats/monthly/ledger.xlsx?{EMPTY}")
    assert ledger.status_code == 200 and len(load_workbook(io.BytesIO(ledger.data)).sheetnames) > 5


def test_the_api_answers_an_empty_period_with_zeros_and_nulls(app, client):
    token = token_for(app, "admin")
    keys = [r["key"] for r in client.get("/api/v1/stats", headers=token).get_json()]
    assert len(keys) > 10
    for key in keys:
        answer = client.get(f"/api/v1/stats/{key}?{EMPTY}", headers=token)
        assert answer.status_code == 200, key
        figures = [answer.get_json()["total"], *(g["figures"] for g in answer.get_json()["groups"])]
        for figure in (f for found in figures for f in found.values()):
            value = figure["value"]
            assert value in (0, None) or (isinstance(value, dict) and set(value.values()) == {None}), (key, figure)
        assert client.get(f"/api/v1/stats/{key}/tree?{EMPTY}", headers=token).status_code == 200
    steps = client.get(f"/api/v1/stats/bottlenecks?process=lawyer_complaint&{EMPTY}", headers=token).get_json()
    assert steps["steps"] == [] and steps["org"] == "city-bureau"
