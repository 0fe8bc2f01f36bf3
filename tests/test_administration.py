"""系统管理 (issue 22): administrators manage the organisations and users of their own subtree through the pages;
every change is audited with before and after; bad input is refused by field with nothing saved; a user given a
password must choose his own before anything else; a deactivated user's next request, page or API, is refused; a
deactivated organisation keeps its cases and receives no new ones. On both databases."""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime

import pytest
import time_machine
from sqlalchemy import func, select

from engine.core import ApiToken, AuditEvent, InvalidState, Organization, User, people
from engine.time import CHINA_TZ
from engine.runtime import cases
from web.auth import hash_password
from web.database import session as db_session
from web.workflow import engine as web_engine

from .web_helpers import csrf, field_errors, login, token_for


def post(client, path, data, page=None):
    return client.post(path, data={"csrf_token": csrf(client, page or path), **data})


def new_password(html: str) -> str:
    return re.search(r'id="new-password">[^<]*<code>([^<]+)</code>', html).group(1)


def audit(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db_session().scalars(select(AuditEvent).where(AuditEvent.action == action)
                                         .order_by(AuditEvent.id)))


def count(app, model) -> int:
    with app.app_context():
        return db_session().scalar(select(func.count()).select_from(model))


@pytest.fixture
def county_admin(app):
    """`admin_a`: an administrator of county A's subtree only."""
    with app.app_context():
        db = db_session()
        people.add_user(db, "admin_a", "甲区管理员", "county-a", ["admin"], password_hash=hash_password("demo1234"))
        db.commit()


def test_an_administrator_adds_a_county_and_a_handler_who_chooses_a_password_before_anything_else(app, client):
    login(client, "admin")
    made = post(client, "/admin/orgs", {"code": "county-d", "name": "丁区司法局", "kind": "bureau",
                                        "parent": "city-bureau"})
    assert made.status_code == 302 and made.location.endswith("/admin/orgs/county-d")
    assert "丁区司法局" in client.get("/admin/orgs").get_data(as_text=True)
    created = post(client, "/admin/users", {"username": "ding", "display_name": "丁经办", "org": "county-d",
                                            "roles": "handler", "roles-shown": "1"}, page="/admin/users")
    assert created.status_code == 201
    password = new_password(created.get_data(as_text=True))

    (org_event,) = audit(app, "admin.org_created")
    assert org_event.actor == "admin" and org_event.detail["after"] == {
        "code": "county-d", "name": "丁区司法局", "kind": "bureau", "active": True, "parent": "city-bureau"}
    (user_event,) = audit(app, "admin.user_created")
    assert user_event.detail["after"]["roles"] == ["handler"] and "password" not in str(user_event.detail)

    ding = app.test_client()
    assert login(ding, "ding", password).status_code == 302
    held = ding.get("/inbox")
    assert held.status_code == 302 and held.location.endswith("/account/password")     # nothing before the password
    weak = post(ding, "/account/password", {"current": password, "new": "ding12345", "again": "ding12345"})
    assert weak.status_code == 422 and "new" in field_errors(weak.get_data(as_text=True))
    mismatch = post(ding, "/account/password", {"current": password, "new": "长城-长江-黄河-2027", "again": "x"})
    assert set(field_errors(mismatch.get_data(as_text=True))) == {"again"}
    done = post(ding, "/account/password", {"current": password, "new": "长城-长江-黄河-2027",
                                            "again": "长城-长江-黄河-2027"})
    assert done.status_code == 302 and ding.get("/inbox").status_code == 200
    with app.app_context():
        assert not people.user_by_name(db_session(), "ding").must_change_password
    assert login(app.test_client(), "ding", "长城-长江-黄河-2027").status_code == 302


def test_bad_organisation_and_user_input_is_refused_by_field_and_nothing_is_saved(app, client):
    login(client, "admin")
    orgs, users = count(app, Organization), count(app, User)
    refused = post(client, "/admin/orgs", {"code": "county-a", "name": "", "parent": "nowhere"})
    assert refused.status_code == 422
    errors = field_errors(refused.get_data(as_text=True))
    assert set(errors) == {"code", "name", "parent"} and "county-a" in errors["code"]
    refused = post(client, "/admin/users", {"username": "zhang", "display_name": "重名", "org": "county-a",
                                            "email": "not-mail", "roles": ["handler", "pilot"]}, page="/admin/users")
    assert refused.status_code == 422
    errors = field_errors(refused.get_data(as_text=True))
    assert set(errors) == {"username", "email", "roles"} and "pilot" in errors["roles"]
    assert (count(app, Organization), count(app, User)) == (orgs, users)
    assert audit(app, "admin.org_created") == [] and audit(app, "admin.user_created") == []


def test_a_move_re_roots_the_subtree_and_a_cycle_is_refused(app, client):
    login(client, "admin")
    post(client, "/admin/orgs", {"code": "unit-x", "name": "X 科", "parent": "county-a"}, page="/admin/orgs")
    post(client, "/admin/orgs", {"code": "unit-y", "name": "Y 组", "parent": "unit-x"}, page="/admin/orgs")
    cycle = post(client, "/admin/orgs/county-a", {"name": "A区司法局", "parent": "unit-y"})
    assert cycle.status_code == 422 and "循环" in field_errors(cycle.get_data(as_text=True))["parent"]
    moved = post(client, "/admin/orgs/unit-x", {"name": "X 科", "parent": "county-b"})
    assert moved.status_code == 302
    with app.app_context():
        db = db_session()
        b, x, y = (people.organization(db, code) for code in ("county-b", "unit-x", "unit-y"))
        assert x.path == f"{b.path}{x.id}/" and y.path == f"{b.path}{x.id}/{y.id}/"
    (event,) = audit(app, "admin.org_changed")
    assert (event.detail["before"]["parent"], event.detail["after"]["parent"]) == ("county-a", "county-b")


def test_a_deactivated_organisation_keeps_its_cases_and_receives_no_new_ones(app, client):
    with app.app_context():
        db, engine = db_session(), web_engine()
        kept = cases.start_case(engine, db, "lawyer_complaint", {}, org_code="county-c", actor="admin")
        db.commit()
        kept_id = kept.id
    login(client, "admin")
    assert post(client, "/admin/orgs/county-c", {"active": "0"}).status_code == 302
    assert "已停用" in client.get("/admin/orgs/county-c").get_data(as_text=True)
    assert client.get(f"/cases/{kept_id}").status_code == 200
    with app.app_context():
        db = db_session()
        with pytest.raises(InvalidState) as refused:
            cases.start_case(web_engine(), db, "lawyer_complaint", {}, org_code="county-c", actor="admin")
        assert refused.value.message_code == "org.inactive"
    own = post(client, "/admin/orgs/city-bureau", {"active": "0"})
    assert own.status_code == 422 and "active" in field_errors(own.get_data(as_text=True))


def test_a_deactivated_user_is_refused_at_his_next_request_on_pages_and_api(app, client):
    zhang = app.test_client()
    login(zhang, "zhang")
    headers = token_for(app, "zhang")
    assert zhang.get("/inbox").status_code == 200 and client.get("/api/v1/tasks", headers=headers).status_code == 200
    with app.app_context():
        zhang_id = people.user_by_name(db_session(), "zhang").id
    login(client, "admin")
    assert post(client, f"/admin/users/{zhang_id}", {"active": "0"}).status_code == 302
    refused = zhang.get("/inbox")
    assert refused.status_code == 302 and "/login" in refused.location
    assert app.test_client().get("/api/v1/tasks", headers=headers).status_code == 401
    assert login(app.test_client(), "zhang").status_code == 401
    (event,) = audit(app, "admin.user_changed")
    assert (event.detail["before"]["active"], event.detail["after"]["active"]) == (True, False)


def test_a_county_administrator_sees_and_changes_only_his_subtree(app, client, county_admin):
    login(client, "admin_a")
    tree = client.get("/admin/orgs").get_data(as_text=True)
    assert "东城区司法局" in tree and "F-0001" in tree and "county-b" not in tree and "city-bureau" not in tree
    with app.app_context():
        db = db_session()
        city_user, wang = (people.user_by_name(db, name).id for name in ("admin", "wang"))
        own = people.user_by_name(db, "zhang").id
    assert client.get("/admin/orgs/city-bureau").status_code == 404
    assert client.get(f"/admin/users/{city_user}").status_code == 404
    assert client.post(f"/admin/users/{wang}", data={"csrf_token": csrf(client, "/admin/users"),
                                                    "active": "0"}).status_code == 404
    users = client.get("/admin/users").get_data(as_text=True)
    assert "zhang" in users and "wang" not in users
    outside = post(client, "/admin/orgs", {"code": "unit-z", "name": "Z", "parent": "city-bureau"})
    assert outside.status_code == 422 and "parent" in field_errors(outside.get_data(as_text=True))
    away = post(client, f"/admin/users/{own}", {"display_name": "张明", "org": "county-b", "roles-shown": "1",
                                                "roles": "handler"})
    assert away.status_code == 422 and "org" in field_errors(away.get_data(as_text=True))
    handler = app.test_client()
    login(handler, "zhang")
    assert handler.get("/admin/orgs").status_code == 403


def test_reset_password_and_unlock(app, client):
    with app.app_context():
        zhang_id = people.user_by_name(db_session(), "zhang").id
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        login(app.test_client(), "zhang", "wrong")
    assert login(app.test_client(), "zhang").status_code == 401            # locked out
    login(client, "admin")
    assert post(client, f"/admin/users/{zhang_id}/unlock", {}, page=f"/admin/users/{zhang_id}").status_code == 302
    zhang = app.test_client()
    assert login(zhang, "zhang").status_code == 302
    reset = post(client, f"/admin/users/{zhang_id}/password", {}, page=f"/admin/users/{zhang_id}")
    password = new_password(reset.get_data(as_text=True))
    assert "/login" in zhang.get("/inbox").location                        # his session ended with the reset
    assert login(app.test_client(), "zhang").status_code == 401            # the old password is gone
    again = app.test_client()
    login(again, "zhang", password)
    assert again.get("/cases").location.endswith("/account/password")
    assert [e.action for e in audit(app, "admin.user_unlocked") + audit(app, "admin.password_reset")] == [
        "admin.user_unlocked", "admin.password_reset"]


def new_token(html: str) -> str:
    return re.search(r'id="new-token">[^<]*<code>([^<]+)</code>', html).group(1)


def test_a_user_makes_a_token_that_expires_and_revokes_it(app, client):
    login(client, "zhang")
    refused = post(client, "/account/tokens", {"name": "", "expires_on": "2027-12-31"})
    assert refused.status_code == 422 and set(field_errors(refused.get_data(as_text=True))) == {"name", "expires_on"}
    made = post(client, "/account/tokens", {"name": "办公系统对接", "expires_on": "2025-10-20"})
    assert made.status_code == 201
    headers = {"Authorization": f"Bearer {new_token(made.get_data(as_text=True))}"}
    api = app.test_client()
    assert api.get("/api/v1/tasks", headers=headers).status_code == 200
    with time_machine.travel(datetime(2025, 10, 20, 23, 59, tzinfo=CHINA_TZ), tick=False):
        assert api.get("/api/v1/tasks", headers=headers).status_code == 200      # through the last day
    with time_machine.travel(datetime(2025, 10, 21, 0, 1, tzinfo=CHINA_TZ), tick=False):
        assert api.get("/api/v1/tasks", headers=headers).status_code == 401      # and not a minute after
    with app.app_context():
        token_id = db_session().scalar(select(ApiToken.id).where(ApiToken.name == "办公系统对接"))
    assert post(client, f"/account/tokens/{token_id}/revoke", {}, page="/account/tokens").status_code == 302
    assert api.get("/api/v1/tasks", headers=headers).status_code == 401
    assert "已吊销" in client.get("/account/tokens").get_data(as_text=True)
    assert [e.detail["name"] for e in audit(app, "admin.token_created") + audit(app, "admin.token_revoked")] == [
        "办公系统对接", "办公系统对接"]


def test_an_administrator_revokes_the_tokens_of_his_subtree_only(app, client, county_admin):
    zhang, wang = token_for(app, "zhang"), token_for(app, "wang")
    with app.app_context():
        ids = dict(db_session().execute(select(User.username, ApiToken.id).join(ApiToken, ApiToken.user_id == User.id)).all())
    login(client, "admin_a")
    listed = client.get("/admin/tokens").get_data(as_text=True)
    assert "张明" in listed and "wang" not in listed
    assert post(client, f"/admin/tokens/{ids['wang']}/revoke", {}, page="/admin/tokens").status_code == 404
    assert post(client, f"/admin/tokens/{ids['zhang']}/revoke", {}, page="/admin/tokens").status_code == 302
    api = app.test_client()
    assert api.get("/api/v1/tasks", headers=zhang).status_code == 401
    assert api.get("/api/v1/tasks", headers=wang).status_code == 200
    other = app.test_client()
    login(other, "zhang")
    assert post(other, f"/account/tokens/{ids['wang']}/revoke", {}, page="/account/tokens").status_code == 404


def test_the_audit_trail_shows_the_subtrees_events_filtered_and_exports_them(app, client, county_admin):
    with app.app_context():
        db = db_session()
        mine = cases.start_case(web_engine(), db, "lawyer_complaint", {}, org_code="county-a", actor="xu")
        other = cases.start_case(web_engine(), db, "lawyer_complaint", {}, org_code="county-b", actor="he")
        db.commit()
        numbers = mine.business_number, other.business_number
    login(client, "admin")
    post(client, "/admin/orgs", {"code": "unit-r", "name": "R 科", "parent": "county-b"}, page="/admin/orgs")
    county = app.test_client()
    login(county, "admin_a")
    post(county, "/admin/orgs", {"code": "unit-q", "name": "Q 科", "parent": "county-a"}, page="/admin/orgs")
    page = county.get("/admin/audit").get_data(as_text=True)
    assert numbers[0] in page and numbers[1] not in page            # the case events of my subtree only
    assert "unit-q" in page and "unit-r" not in page                  # and what its people did without a case
    assert "unit-r" in client.get("/admin/audit").get_data(as_text=True)
    only = county.get("/admin/audit?action=admin.&actor=admin_a").get_data(as_text=True)
    assert "unit-q" in only and numbers[0] not in only and "新增机构" in only
    later = county.get("/admin/audit?since=2025-10-14").get_data(as_text=True)
    assert "没有符合条件的记录" in later                                    # the clock stands at 2025-10-13
    exported = county.get("/admin/audit.csv?action=admin.")
    assert exported.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:4] == ["时间", "操作人", "机构", "操作"]
    assert {r[3] for r in rows[1:]} == {"新增机构"} and any("unit-q" in r[5] for r in rows[1:])
