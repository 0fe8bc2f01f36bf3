"""瓶颈图's Excel export and GET /api/v1/stats/bottlenecks (issue 20), on both databases: complaints built by hand in
March 2026 (the demo's cases were all received in October 2025) through the real diagram, each step's figures
counted by hand in the test; a wrong filter is refused naming its field; a county's leader counts nothing of
another county's."""
from __future__ import annotations

import io

import pytest
import time_machine
from openpyxl import load_workbook

from engine.runtime import cases
from web.database import session as db_session
from web.workflow import engine as web_engine

from .complaint_steps import REGISTRATION, at, do, review
from .test_work_pages import text
from .web_helpers import login, token_for

MARCH = "process=lawyer_complaint&since=2026-03-01&until=2026-03-31"
NOW = "2026-03-30T09:00"


def _register(engine, db, org: str, intake: str, received_on: str) -> int:
    case = cases.start_case(engine, db, "lawyer_complaint", {}, org_code=org, actor=intake)
    do(engine, db, case.id, "投诉登记", intake, {**REGISTRATION, "received_on": received_on})
    return case.id


@pytest.fixture
def march(app) -> dict:
    """a1 reviewed (初审) in 2 days, a2 in 16 (after its limit), a3 not yet (its limit passed on 03-23), all in
    county A; b1 in county B reviewed in 18 days. The clock then stands at 2026-03-30 09:00."""
    with app.app_context():
        engine, db = web_engine(), db_session()
        with time_machine.travel(at("2026-03-02T09:00"), tick=False) as clock:
            a1 = _register(engine, db, "county-a", "xu", "2026-03-02")
            a2 = _register(engine, db, "county-a", "xu", "2026-03-02")
            b1 = _register(engine, db, "county-b", "he", "2026-03-02")
            clock.move_to(at("2026-03-04T09:00"))
            do(engine, db, a1, "初审", "chen", review("accept"))
            clock.move_to(at("2026-03-09T09:00"))
            a3 = _register(engine, db, "county-a", "xu", "2026-03-09")
            clock.move_to(at("2026-03-18T09:00"))
            do(engine, db, a2, "初审", "chen", review("accept"))
            clock.move_to(at("2026-03-20T09:00"))
            do(engine, db, b1, "初审", "guo", review("accept"))
    with time_machine.travel(at(NOW), tick=False):
        yield {"a1": a1, "a2": a2, "a3": a3, "b1": b1}


# By hand, county A in March (a1, a2, a3): 初审 done by a1 in 2 days and a2 in 16 (its limit, 10 working days from
# receipt, ended on 03-16), a3's still open past 03-23: mean 9.0, P90 (nearest rank of 2, 16) 16.0, 2 overdue;
# 受理审查决定 (the same limit as 初审) open for a1 and a2, both past 03-16; 投诉登记 done at once three times.
COUNTY_A = [("初审", "Task_preliminary", 2, 1, 9.0, 16.0, 2),
            ("受理审查决定", "Task_decide", 0, 2, "无数据", "无数据", 2),
            ("投诉登记", "Task_register", 3, 0, 0.0, 0.0, 0)]
# The city adds b1: 初审 in 18 days (late), its 受理审查决定 open past its limit.
CITY = [("初审", "Task_preliminary", 3, 1, 12.0, 18.0, 3),
        ("受理审查决定", "Task_decide", 0, 3, "无数据", "无数据", 3),
        ("投诉登记", "Task_register", 4, 0, 0.0, 0.0, 0)]


def _workbook(client, query: str):
    response = client.get("/stats/bottlenecks/export.xlsx?" + query)
    assert response.status_code == 200, text(response)[:300]
    assert response.mimetype.endswith("spreadsheetml.sheet")
    return load_workbook(io.BytesIO(response.data)).active


def test_the_excel_export_holds_each_steps_figures_counted_by_hand(client, march):
    login(client, "li")                                  # 东城负责人 (county A)
    page = client.get("/stats/bottlenecks?" + MARCH).get_data(as_text=True)
    assert 'id="map-export"' in page and "/stats/bottlenecks/export.xlsx?" in page
    assert 'data-print id="map-print"' in page and "onclick" not in page      # printed by lawflow.js, no inline code
    sheet = _workbook(client, MARCH)
    assert sheet["A1"].value == "瓶颈图·律师执业投诉处理（东城区司法局，2026-03-01 — 2026-03-31）"
    assert [c.value for c in sheet[2]] == ["步骤", "步骤编号", "已办", "在办", "平均用时（日）", "P90 用时（日）", "逾期"]
    assert sheet.freeze_panes == "A3"
    assert list(sheet.iter_rows(min_row=3, values_only=True)) == COUNTY_A
    assert sheet["C3"].data_type == "n" and isinstance(sheet["C3"].value, int)      # real numbers, not text
    assert sheet["E3"].number_format == "0.0" and sheet["E4"].data_type == "s"
    assert sheet.column_dimensions["A"].width >= 10
    client.get("/lang/en")
    english = _workbook(client, MARCH)
    assert english["A1"].value.startswith("Bottleneck map")
    assert [c.value for c in english[2]][:3] == ["Step", "Step id", "Done"]
    assert english["E4"].value == "No data"


def test_the_city_counts_every_county_and_one_county_only_when_it_asks(client, march):
    login(client, "admin")
    assert list(_workbook(client, MARCH).iter_rows(min_row=3, values_only=True)) == CITY
    assert list(_workbook(client, MARCH + "&org=county-a").iter_rows(min_row=3, values_only=True)) == COUNTY_A
    empty = _workbook(client, "process=lawyer_complaint&since=2024-01-01&until=2024-01-31")
    assert list(empty.iter_rows(min_row=3, values_only=True)) == [("无数据", None, None, None, None, None, None)]


def _api(client, token, query: str):
    return client.get("/api/v1/stats/bottlenecks?" + query, headers=token)


def test_the_api_answers_the_same_figures(app, client, march):
    answer = _api(client, token_for(app, "li"), MARCH).get_json()
    assert {k: answer[k] for k in ("process", "process_name", "org", "since", "until")} == {
        "process": "lawyer_complaint", "process_name": "律师执业投诉处理", "org": "county-a",
        "since": "2026-03-01", "until": "2026-03-31"}
    none = lambda v: None if v == "无数据" else v       # noqa: E731
    assert [(s["name"], s["id"], s["done"], s["open"], s["mean_days"], s["p90_days"], s["overdue"])
            for s in answer["steps"]] == [(*row[:4], none(row[4]), none(row[5]), row[6]) for row in COUNTY_A]
    city = _api(client, token_for(app, "admin"), MARCH).get_json()
    assert city["org"] == "city-bureau" and [s["done"] for s in city["steps"]] == [3, 0, 4]
    openapi = client.get("/api/v1/openapi.json").get_json()
    spec = openapi["paths"]["/api/v1/stats/bottlenecks"]["get"]
    assert {p["name"] for p in spec["parameters"]} >= {"process", "org", "since", "until"}
    assert "422" in spec["responses"] and spec["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/BottleneckMapOut"}
    step = openapi["components"]["schemas"]["BottleneckStepOut"]["properties"]
    assert set(step) == {"id", "name", "done", "open", "mean_days", "p90_days", "overdue"}


def test_a_wrong_filter_is_refused_naming_its_field(app, client, march):
    token = token_for(app, "li")
    cases_of = lambda answer: {e["field"]: e["message"] for e in answer.get_json()["errors"]}   # noqa: E731
    bad_day = _api(client, token, "process=lawyer_complaint&since=2026-02-30")
    assert bad_day.status_code == 422 and bad_day.mimetype == "application/problem+json"
    assert cases_of(bad_day) == {"since": "应为日期（YYYY-MM-DD）"}
    backwards = _api(client, token, "process=lawyer_complaint&since=2026-03-31&until=2026-03-01")
    assert backwards.status_code == 422 and cases_of(backwards) == {"until": "截止日期不能早于起始日期"}
    assert cases_of(_api(client, token, "since=2026-03-01")) == {"process": "必填项"}
    unknown = _api(client, token, "process=no_such_process")
    assert unknown.status_code == 404 and "no_such_process" in unknown.get_json()["detail"]
    login(client, "li")
    page = client.get("/stats/bottlenecks/export.xlsx?process=lawyer_complaint&since=2026-3-x")
    assert page.status_code == 422
    assert "since：应为日期（YYYY-MM-DD）" in text(page)
    page = client.get("/stats/bottlenecks/export.xlsx?process=lawyer_complaint&since=2026-03-31&until=2026-03-01")
    assert page.status_code == 422 and "until：截止日期不能早于起始日期" in text(page)
    assert client.get("/stats/bottlenecks/export.xlsx?process=no_such_process").status_code == 404


def test_a_county_leader_counts_nothing_of_another_county(app, client, march):
    token = token_for(app, "li")
    other = _api(client, token, MARCH + "&org=county-b")
    assert other.status_code == 404 and "county-b" in other.get_json()["detail"]
    login(client, "li")
    assert client.get("/stats/bottlenecks/export.xlsx?" + MARCH + "&org=county-b").status_code == 404
    own = {s["id"]: s for s in _api(client, token, MARCH).get_json()["steps"]}
    assert own["Task_preliminary"]["done"] == 2                       # b1's review (18 days) is not his to count
    assert client.get("/stats/bottlenecks/export.xlsx?process=lawyer_complaint").status_code == 200
    b_leader = {s["id"]: s for s in _api(client, token_for(app, "zhao"), MARCH).get_json()["steps"]}
    assert (b_leader["Task_preliminary"]["done"], b_leader["Task_preliminary"]["mean_days"]) == (1, 18.0)
    xu = token_for(app, "xu")                                      # 接待登记员: no report names the role
    assert _api(client, xu, MARCH).status_code == 404
