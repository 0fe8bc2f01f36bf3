"""Public lists on the portal: anyone reads a list a process declares (only its public fields) and lodges an
objection against a listed case from its row; refusals are clear, Chinese first, and rate-limited."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from engine.core.models import Case, HumanTask
from engine.definitions import bundles
from engine.work import casework
from web.database import session as db_session
from web.workflow import engine as web_engine

from .public_list_diagrams import listed_files, start_listed
from .web_helpers import csrf, field_errors

NOTICE = "/portal/lists/listed/notice"
OBJECTION = {"name": "王某", "contact": "13700000000", "text": "该所执业许可证已过期，请核实。"}


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def listed(app):
    """The listed process deployed on the demo data, with two firms at the notice and one at 初审: their numbers."""
    with app.app_context():
        db, engine = db_session(), web_engine()
        bundles.deploy(db, listed_files(), engine=engine)
        started = {firm: start_listed(db, engine, firm) for firm in ("甲律师事务所", "乙律师事务所")}
        started["丁律师事务所"] = start_listed(db, engine, "丁律师事务所", stage="初审")
        return {firm: (case.id, case.business_number) for firm, case in started.items()}


def lodge(client, number: str, **changes):
    """Post an objection from the notice page, as its row's form does."""
    return client.post(NOTICE, data={"csrf_token": csrf(client, NOTICE), "number": number, "message": "异议",
                                     **OBJECTION, **changes})


def open_tasks(app, case_id: int) -> list[str]:
    with app.app_context():
        return list(db_session().scalars(select(HumanTask.name).where(HumanTask.case_id == case_id,
                                                                      HumanTask.status == "ready")))


def test_the_portal_links_to_the_lists_and_a_list_shows_only_its_cases_public_fields(client, listed):
    home = text(client.get("/portal/"))
    assert f'href="{NOTICE}">拟命名公示</a>（提出异议）' in home and 'href="/portal/lists/listed/register">名录</a>' in home
    page = client.get(NOTICE)
    assert page.status_code == 200
    table = text(page).split('id="public-list"', 1)[1].split("</table>", 1)[0]
    assert re.findall(r'data-number="([^"]+)"', table) == [listed["甲律师事务所"][1], listed["乙律师事务所"][1]]
    assert "共 2 条" in text(page) and "<th>名称</th><th>主任</th><th>有效期至</th>" in table.replace("\n", "").replace(" ", "")
    for private in (listed["丁律师事务所"][1], "13900000001", "内部意见", "初审", f'/cases/{listed["甲律师事务所"][0]}'):
        assert private not in table
    assert table.count("<summary>提出异议</summary>") == 2
    register = text(client.get("/portal/lists/listed/register"))
    assert "暂无" in register and "<summary>" not in register


def test_an_objection_from_the_list_reaches_the_case_and_opens_its_check(app, client, listed):
    case_id, number = listed["乙律师事务所"]
    answer = lodge(client, number)
    assert answer.status_code == 200
    assert re.search(rf'id="receipt-number">{re.escape(number)}<', text(answer))
    reference = re.search(r'id="receipt-reference">([A-Z0-9]{10})<', text(answer)).group(1)
    assert open_tasks(app, case_id) == ["异议核查"]
    with app.app_context():
        db = db_session()
        data = casework.case_data(web_engine(), db, db.get(Case, case_id))
    assert data["objection"]["text"] == OBJECTION["text"] and data["objection"]["reference"] == reference
    again = lodge(client, number)                   # the notice is interrupted while the objection is checked
    assert again.status_code == 409 and f"案件 {number} 当前不受理「异议」" in text(again)


def test_refusals_name_the_field_or_the_case_and_change_nothing(app, client, listed):
    case_id, number = listed["甲律师事务所"]
    empty = lodge(client, number, text="  ")
    assert empty.status_code == 422 and field_errors(text(empty)) == {"text": "请填写内容"}
    assert 'data-number="' + number in text(empty) and "<details class=\"public-message\" open>" in text(empty)
    outside = lodge(client, listed["丁律师事务所"][1])
    assert outside.status_code == 404 and f"名单中没有编号为 {listed['丁律师事务所'][1]} 的案件" in text(outside)
    unaccepted = lodge(client, number, message="撤回")
    assert unaccepted.status_code == 403 and "不接受「撤回」" in text(unaccepted)
    assert client.post(NOTICE, data={"number": number, "message": "异议", **OBJECTION}).status_code == 400  # no CSRF
    assert open_tasks(app, case_id) == ["公示期满确认"]


def test_messages_from_one_address_are_rate_limited(client, listed):
    number = listed["甲律师事务所"][1]
    for _ in range(6):                                          # a refused form does not count
        assert lodge(client, number, text="").status_code == 422
    for _ in range(5):                                          # a number no row holds does
        assert lodge(client, "GS9999").status_code == 404
    limited = lodge(client, number)
    assert limited.status_code == 429 and "过于频繁" in text(limited)
    assert client.get(NOTICE).status_code == 200                # reading is not limited


def test_an_undeclared_list_is_not_found(client, listed):
    assert client.get("/portal/lists/listed/secret").status_code == 404
    assert client.get("/portal/lists/nothing/notice").status_code == 404
    assert lodge_to(client, "/portal/lists/listed/register", listed["甲律师事务所"][1]).status_code == 403


def lodge_to(client, path: str, number: str):
    return client.post(path, data={"csrf_token": csrf(client, NOTICE), "number": number, "message": "异议", **OBJECTION})


def test_the_english_interface_labels_the_list_in_english(client, listed):
    client.get(f"/lang/en?next={NOTICE}")
    page = text(client.get(NOTICE))
    for label in ("2 in all", "<th>Number</th>", "Name or organisation", "Contact",
                  "Facts and reasons (at most 2,000 characters)", ">Send<"):
        assert label in page
    assert "Public notices and registers" in text(client.get("/portal/"))
    refused = lodge(client, listed["甲律师事务所"][1], text="")
    assert field_errors(text(refused)) == {"text": "Please write the text"}
