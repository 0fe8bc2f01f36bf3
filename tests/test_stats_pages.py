"""The 统计 page, its Excel export, its case lists and /api/v1/stats on the demo data, on both databases: the
figures equal counts made by hand over the cases the reader may see; a report is for the roles it names."""
from __future__ import annotations

import io
import re
from collections import Counter

from openpyxl import load_workbook
from sqlalchemy import select

from engine.core.models import Case, Organization
from web.database import session as db_session

from .test_work_pages import text
from .web_helpers import login, token_for


def _by_hand(app, org_code: str, field: str) -> Counter:
    """The complaints of an organisation's subtree counted by one reportable field, in Python."""
    with app.app_context():
        db = db_session()
        root = db.scalar(select(Organization).where(Organization.code == org_code))
        found = db.execute(select(Case.meta, Organization.path).join(Organization, Case.org_id == Organization.id)
                           .where(Case.process_key == "lawyer_complaint")).all()
        return Counter((meta or {}).get(field) or "" for meta, path in found if path.startswith(root.path))


def test_a_leader_sees_the_figures_of_his_county_and_no_other(app, client):
    login(client, "sun")                      # 分管副局长 of 东城区 (county-a)
    page = client.get("/stats").get_data(as_text=True)
    assert 'id="nav-stats"' in page and "投诉来源统计" in page and "受理与办结情况" in page
    with client.get("/assets/echarts/echarts.min.js") as script:
        assert "/assets/echarts/echarts.min.js" in page and script.status_code == 200
    token = token_for(app, "sun")
    answer = client.get("/api/v1/stats/complaint_channels", headers=token).get_json()
    counted = {g["key"]: g["figures"]["received"]["value"] for g in answer["groups"]}
    assert counted == dict(_by_hand(app, "county-a", "channel")) and sum(counted.values()) == 3
    assert answer["org"] == "county-a" and answer["total"]["received"]["value"] == 3
    listed = client.get("/api/v1/stats", headers=token).get_json()
    assert {r["key"] for r in listed} >= {"complaint_channels", "complaint_handling", "complaint_outcomes"}
    chief = client.get("/api/v1/stats", headers=token_for(app, "zhou")).get_json()        # 科长: complaints only
    assert "complaint_handling" in {r["key"] for r in chief} and "law_firm_acceptance" not in {r["key"] for r in chief}
    assert client.get("/api/v1/stats/complaint_channels?org=county-b", headers=token).status_code == 404


def test_the_city_sees_every_county_and_each_figure_opens_its_cases(app, client):
    login(client, "admin")
    handling = client.get("/api/v1/stats/complaint_handling", headers=token_for(app, "admin")).get_json()
    rows = {g["key"]: g["figures"]["received"]["value"] for g in handling["groups"]}
    assert rows == {"city-bureau": 1, "county-a": 3, "county-b": 1,            # the bureau's own case: its own row
                    **{k: 0 for k in rows if k not in {"city-bureau", "county-a", "county-b"}}}
    assert "county-c" in rows
    assert handling["total"]["received"]["value"] == 5
    page = text(client.get("/stats/complaint_handling/cases?measure=received&group=county-b"))
    assert "西城县司法局" in page and page.count("〔") == 1
    cases = client.get("/api/v1/stats/complaint_handling/cases?measure=received&group=county-a",
                       headers=token_for(app, "admin")).get_json()
    assert len(cases) == 3 and {c["org"] for c in cases} == {"county-a"}


def test_someone_whose_role_no_report_names_has_no_statistics(client):
    login(client, "xu")                       # 接待登记员
    assert 'id="nav-stats"' not in client.get("/inbox").get_data(as_text=True)
    assert client.get("/stats").status_code == 403
    assert client.get("/stats/complaint_channels/export.xlsx").status_code == 404


def test_the_excel_export_holds_numbers_a_title_and_a_frozen_header(app, client):
    login(client, "admin")
    response = client.get("/stats/complaint_handling/export.xlsx?since=2025-01-01&until=2025-12-31")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    title = sheet["A1"].value
    assert "受理与办结情况" in title and "示范市司法局" in title and "2025-01-01 — 2025-12-31" in title
    assert sheet.freeze_panes == "A3"
    headers = [c.value for c in sheet[2]]
    assert headers[:3] == ["单位", "收到投诉", "受理率"] and "调查核实用时（日） P90" in headers
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    body, total = rows[:-1], rows[-1]
    assert total[0] == "合计" and total[1] == sum(r[1] for r in body) == 5
    assert all(isinstance(r[1], int) for r in body)
    rate = sheet.cell(row=sheet.max_row, column=3)
    assert isinstance(rate.value, (int, float)) and rate.number_format == "0.0%"
    months = load_workbook(io.BytesIO(client.get("/stats/complaint_monthly/export.xlsx").data)).active
    assert months.cell(row=3, column=1).is_date and months.cell(row=3, column=1).number_format == "yyyy-mm"


def test_the_page_reads_in_english(client):
    login(client, "sun")
    client.get("/lang/en")
    page = text(client.get("/stats"))
    assert "Statistics" in page and "Export to Excel" in page and "Received on" in page and "Total" in page
    assert "导出 Excel" not in page and "合计" not in page and "收到日期" not in page


def _metas(app, process: str) -> list[dict]:
    with app.app_context():
        return [meta or {} for meta in db_session().scalars(select(Case.meta).where(Case.process_key == process))]


def test_the_law_firm_and_legal_aid_figures_equal_the_counts_made_by_hand(app, client):
    token = token_for(app, "admin")
    firms = _metas(app, "law_firm_application")
    inspected = [m for m in firms if m.get("milestone") == "已检查"]
    named = [m for m in inspected if m.get("stage") == "已命名"]
    total = client.get("/api/v1/stats/law_firm_acceptance", headers=token).get_json()["total"]
    assert total["applied"]["value"] == sum(m.get("milestone") in ("已申报", "已推荐", "已检查") for m in firms) == 7
    assert (total["rate"]["numerator"], total["rate"]["denominator"]) == (len(named), len(inspected)) == (1, 5)
    assert total["rate"]["value"] == 0.2
    grades = client.get("/api/v1/stats/law_firm_grades", headers=token).get_json()["groups"]
    assert {g["key"]: g["figures"]["firms"]["value"] for g in grades} == dict(
        Counter(m["band_label"] for m in firms if m.get("band_label")))
    audit = client.get("/api/v1/stats/legal_aid_audit", headers=token).get_json()["total"]
    bodies = [m for m in _metas(app, "legal_aid_assessment") if m.get("in_scope") is True]   # volunteers never count
    assert (audit["in_scope"]["value"], audit["assessed"]["value"], audit["passed"]["value"]) == (
        len(bodies), sum(m.get("assessed") is True for m in bodies), sum(m.get("passed") is True for m in bodies))
    assert audit["in_scope"]["value"] == 4 and audit["rate"]["value"] == 1.0
    files = client.get("/api/v1/stats/legal_aid_file_grades", headers=token).get_json()["groups"]
    assert {g["key"]: g["figures"]["files"]["value"] for g in files} == dict(
        Counter(m["grade_label"] for m in _metas(app, "legal_aid_file_review") if m.get("grade_label"))) == {"良好": 1}


def test_the_ranking_shows_its_formula_rank_and_score_and_exports_them(app, client):
    login(client, "admin")
    page = client.get("/stats").get_data(as_text=True)
    section = page[page.index('id="report-complaint_ranking"'):]
    section = section[:section.index("</section>")]
    assert "考核排名" in section and "<th>排名</th>" in section and "<th>综合得分</th>" in section
    assert "排名公式" in section and "on_time_handling" in section
    sheet = load_workbook(io.BytesIO(client.get("/stats/complaint_ranking/export.xlsx").data)).active
    headers = [c.value for c in sheet[2]]
    assert headers[0] == "排名" and headers[1] == "单位" and headers[-1] == "综合得分"
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert rows[-1][1] == "合计" and {r[1] for r in rows[:-1]} >= {"东城区司法局", "西城县司法局"}
    answer = client.get("/api/v1/stats/complaint_ranking", headers=token_for(app, "admin")).get_json()
    assert all("rank" in g and "score" in g for g in answer["groups"])
    client.get("/lang/en")
    english = text(client.get("/stats"))
    assert "Rank" in english and "Ranking formula" in english


def test_the_bottleneck_map_colours_the_steps_and_lists_their_overdue_cases(app, client):
    login(client, "admin")
    page = client.get("/stats?process=lawyer_complaint").get_data(as_text=True)
    assert 'id="stats-bottlenecks"' in page
    page = client.get("/stats/bottlenecks?process=lawyer_complaint&by=overdue").get_data(as_text=True)
    assert "瓶颈图" in page and "律师执业投诉处理" in page and 'id="bottleneck-map"' in page
    rows = re.findall(r'<tr data-step="([^"]+)" data-heat="(\d)">', page)
    assert rows and {heat for _, heat in rows} <= set("012345")
    diagram = client.get("/stats/bottlenecks/lawyer_complaint/diagram.bpmn")
    assert diagram.status_code == 200 and b'id="lawyer_complaint"' in diagram.data
    links = re.findall(r'href="(/stats/bottlenecks/cases\?[^"]+)"', page)
    for link in links[:2]:                    # each overdue count opens as many cases as it says (or the list's cap)
        listed = text(client.get(link.replace("&amp;", "&")))
        assert "瓶颈图" in listed and "逾期" in listed
    client.get("/lang/en")
    english = text(client.get("/stats/bottlenecks"))
    assert "Bottleneck map" in english and "Mean time (days)" in english and "平均用时" not in english


def test_the_bottleneck_map_is_for_those_who_may_see_statistics(client):
    login(client, "xu")
    assert client.get("/stats/bottlenecks").status_code == 403
    assert client.get("/stats/bottlenecks/lawyer_complaint/diagram.bpmn").status_code == 403
