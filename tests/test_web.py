"""The small staff web of this stage: sign-in, processes, cases scoped to the user's organisation subtree."""
from __future__ import annotations

import re

from sqlalchemy import select

from engine.core.models import Case
from web.database import session as db_session
from web.workflow import engine

from .web_helpers import csrf, login


def case_ids(app) -> dict[str, int]:
    with app.app_context():
        return {c.org.code: c.id for c in db_session().scalars(select(Case).where(Case.process_key == "sample_review"))}


def test_healthz(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_pages_need_sign_in(client):
    response = client.get("/cases")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_sign_in_checks_password_and_csrf(client):
    assert login(client, "zhang", "wrong").status_code == 401
    assert client.post("/login", data={"username": "zhang", "password": "demo1234"}).status_code == 400
    assert login(client, "zhang").status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "样例审批" in page and "张明" in page


def test_repeated_failures_lock_the_account_for_a_while(client):
    for _ in range(5):
        assert login(client, "li", "nope").status_code == 401
    response = login(client, "li")
    assert response.status_code == 401 and "失败次数过多" in response.get_data(as_text=True)


def test_cases_are_scoped_to_the_organisation_subtree(app, client):
    ids = case_ids(app)
    login(client, "zhang")
    listing = client.get("/cases").get_data(as_text=True)
    assert "东城区司法局" in listing and "西城县司法局" not in listing
    page = client.get(f"/cases/{ids['county-a']}").get_data(as_text=True)
    assert "填写申请" in page and "张明（东城经办）" in page and "创建案件" in page
    assert "2025-10-20（周一）止" in page and "剩余 6 个工作日" in page   # 5 working days after today, today counts
    assert client.get(f"/cases/{ids['county-b']}").status_code == 404
    assert client.get("/cases/999999").status_code == 404


def test_city_bureau_sees_its_counties(app, client):
    ids = case_ids(app)
    login(client, "admin")
    listing = client.get("/cases").get_data(as_text=True)
    assert "东城区司法局" in listing and "西城县司法局" in listing
    assert client.get(f"/cases/{ids['county-b']}").status_code == 200


def test_session_cookie_is_httponly_and_samesite(client):
    login(client, "zhang")
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"


def test_generated_documents_download_only_within_scope(app, client):
    ids = case_ids(app)
    with app.app_context():
        from engine.core import people
        from engine.runtime.cases import case_tasks, complete_task

        db = db_session()
        for username, data in (("zhang", {"title": "购置设备", "reason": "设备老化需要更换"}),
                               ("li", {"decision": "approve", "opinion": "同意"})):
            task = case_tasks(db, ids["county-a"], "ready")[0]
            complete_task(engine(), db, task.id, data, user=people.user_by_name(db, username))
    login(client, "zhang")
    page = client.get(f"/cases/{ids['county-a']}").get_data(as_text=True)
    link = re.search(r'href="(/cases/\d+/documents/\d+)">审批通知书', page).group(1)
    response = client.get(link)
    assert response.status_code == 200 and response.data[:2] == b"PK"
    assert "attachment" in response.headers["Content-Disposition"]
    client.post("/logout", data={"csrf_token": csrf(client, "/")})
    login(client, "wang")
    assert client.get(link).status_code == 404


def test_demo_complaints_stand_at_different_steps(app):
    with app.app_context():
        from engine.runtime.cases import case_tasks

        db = db_session()
        complaints = db.scalars(select(Case).where(Case.process_key == "lawyer_complaint").order_by(Case.id)).all()
        steps = [sorted(t.name for t in case_tasks(db, c.id, "ready")) for c in complaints]
        assert steps == [["初审"], ["收到补正材料"], ["受理审查决定"], ["领导包案"], ["送达事先告知书"]]
        assert [c.org.code for c in complaints] == ["county-a", "county-a", "county-b", "county-a", "city-bureau"]
        assert complaints[3].meta["is_major"] is True      # the last one stands inside the city's penalty subprocess


def test_behind_tls_the_session_cookie_is_secure_and_the_proxy_is_trusted(demo_url):
    from web import create_app

    app = create_app({"DATABASE_URL": demo_url, "SECRET_KEY": "s", "PUBLIC_URL": "https://lawflow.example",
                      "PROXY_HOPS": 1})
    client = app.test_client()
    login(client, "zhang")
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.secure and cookie.http_only
    app.extensions["lawflow.sql"].dispose()
