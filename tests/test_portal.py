"""The public portal: file a complaint without an account, then see its stage (and nothing else) with the code."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from engine.core.models import Case
from web.database import session as db_session

from .web_helpers import csrf, field_errors, login

COMPLAINT = {"org": "county-a", "complainant_name": "刘某", "complainant_type": "person",
             "complainant_phone": "13800000009", "respondent_id": "L-0001",
             "facts": "律师收取代理费后未出庭，也不退费。", "requests": "查处并退还代理费"}


def text(response) -> str:
    return response.get_data(as_text=True)


def case_count(app) -> int:
    with app.app_context():
        return db_session().scalar(select(func.count()).select_from(Case))


def file(client, **changes):
    return client.post("/portal/lawyer_complaint",
                       data={"csrf_token": csrf(client, "/portal/lawyer_complaint"), **COMPLAINT, **changes})


def test_bad_submission_names_each_field_and_saves_nothing(app, client):
    before = case_count(app)
    page = text(client.get("/portal/"))
    assert "律师执业投诉处理：网上提交" in page
    response = file(client, org="", facts="太短", complainant_phone="电话", respondent_id="X-404")
    assert response.status_code == 422
    errors = field_errors(text(response))
    assert set(errors) == {"org", "facts", "complainant_phone", "respondent_id"}
    assert "至少需要 10 个字符" in errors["facts"] and "名录" in errors["respondent_id"]
    assert errors["complainant_phone"] == "应为 7 至 20 位电话号码（数字，可含 +、- 和空格）"   # the form's own words
    assert case_count(app) == before
    assert client.post("/portal/lawyer_complaint", data=COMPLAINT).status_code == 400      # no CSRF token


def test_submission_starts_the_case_at_registration_and_the_status_page_shows_only_the_stage(app, client):
    receipt = file(client)
    assert receipt.status_code == 200
    assert "提交成功" in text(receipt) and "东城区司法局已收到您提交的材料" in text(receipt)
    number = re.search(r'id="case-number">([^<]+)<', text(receipt)).group(1)
    code = re.search(r'id="access-code">([A-Z0-9]{8})<', text(receipt)).group(1)
    with app.app_context():
        case = db_session().scalar(select(Case).where(Case.business_number == number))
        assert case.org.code == "county-a" and case.created_by == "public" and code not in case.access_code_hash
        case_id = case.id
    login(client, "xu")
    inbox = text(client.get("/inbox?view=group&process=lawyer_complaint"))
    task_id = int(re.search(rf'href="/tasks/(\d+)">投诉登记</a>.*?{re.escape(number)}', inbox, re.S).group(1))
    form = text(client.get(f"/tasks/{task_id}"))
    assert "律师收取代理费后未出庭" in form and 'value="online" selected' in form      # prefilled from the portal
    assert re.search(r'name="received_on" type="date"\s+value="2025-10-13"', form)         # the day it arrived
    client.post("/logout", data={"csrf_token": csrf(client, "/inbox")})
    wrong = client.post("/portal/status", data={"csrf_token": csrf(client, "/portal/status"), "number": number,
                                                "code": "AAAAAAAA"})
    unknown = client.post("/portal/status", data={"csrf_token": csrf(client, "/portal/status"), "number": "nope",
                                                  "code": code})
    assert wrong.status_code == unknown.status_code == 404
    assert "案件编号或查询码不正确" in text(wrong) and "案件编号或查询码不正确" in text(unknown)
    found = client.post("/portal/status", data={"csrf_token": csrf(client, "/portal/status"), "number": number,
                                                "code": code.lower()})
    page = text(found)
    assert found.status_code == 200 and re.search(r'id="stage">已收到，待登记<', page)
    result = page.split('id="status-result"', 1)[1]
    for private in ("王某某", "13800000009", "刘某", "代理费", "投诉登记", str(case_id) + "<"):
        assert private not in result


def test_submissions_and_status_checks_are_rate_limited(app, client):
    for _ in range(5):
        assert file(client).status_code == 200
    limited = file(client)
    assert limited.status_code == 429 and "过于频繁" in text(limited)
    for _ in range(20):
        client.post("/portal/status", data={"csrf_token": csrf(client, "/portal/status"), "number": "x", "code": "y"})
    assert client.post("/portal/status", data={"csrf_token": csrf(client, "/portal/status"), "number": "x",
                                               "code": "y"}).status_code == 429


def test_a_complaint_goes_to_a_justice_bureau_only(app, client):
    page = text(client.get("/portal/lawyer_complaint"))
    options = re.findall(r'<option value="([a-z-]+)"', page.split('id="f-org"', 1)[1].split("</select>", 1)[0])
    assert options == ["city-bureau", "county-a", "county-b", "county-c"]
    refused = file(client, org="bar-discipline")
    assert refused.status_code == 422 and "org" in field_errors(text(refused))


def test_every_organisation_the_portal_offers_has_someone_to_register_what_it_receives(app, client):
    from engine.runtime import cases
    from engine.core import people
    from engine.work import portal
    from web.workflow import engine

    with app.app_context():
        db = db_session()
        for definition in portal.public_processes(db):
            for org in portal.receiving_organizations(db, definition):
                data = {k: v for k, v in COMPLAINT.items() if k != "org"}
                case, _ = portal.submit(engine(), db, definition.process_key, data, org.code)
                first = cases.case_tasks(db, case.id, "ready")[0]
                assert people.candidates(db, first), (definition.process_key, org.code, first.name)


def test_visitors_see_the_public_service_not_the_staff_pages(client):
    page = text(client.get("/portal/"))
    header = page.split("<header>", 1)[1].split("</header>", 1)[0]
    assert "网上服务" in header and 'id="portal-home"' in header and "办理进度查询" in header
    assert "待办" not in header and "lawflow" not in header
    client.get("/lang/en?next=/portal/")
    assert "Submit online" in text(client.get("/portal/status"))
