"""The proof of issue 22's administration in real Chromium, by mouse and keyboard: the administrator creates a
county bureau and a handler with a role; the handler signs in with the one-time password, must choose his own
before anything else, and finds the tasks of his role; he makes an API token, the API takes it, he revokes it and
the API refuses it; the administrator deactivates him and his next request is refused."""
from __future__ import annotations

import http.client
import json
import re
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from engine.runtime import cases
from web.database import session as db_session
from web.workflow import engine

from .browser import shot, sign_in

pytestmark = pytest.mark.browser
NEW_PASSWORD = "Qingshan-Ledger-7q2"


def _api(base: str, token: str) -> int:
    """The status of GET /api/v1/processes with the token (another client than the browser)."""
    address = urlparse(base)
    conn = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    try:
        conn.request("GET", "/api/v1/processes", headers={"Authorization": f"Bearer {token}"})
        return conn.getresponse().status
    finally:
        conn.close()


def _type_into(page, selector: str, text: str) -> None:
    page.click(selector)
    page.keyboard.type(text)


def test_an_administrator_sets_up_a_county_and_a_handler_who_works_and_is_deactivated(app, live_server, new_page):
    admin = new_page()
    sign_in(admin, live_server, "admin")
    admin.goto(f"{live_server}/admin/orgs")
    _type_into(admin, "#a-code", "county-d")
    _type_into(admin, "#a-name", "北湖区司法局")
    _type_into(admin, "#a-kind", "county")
    admin.select_option("#a-parent", value="city-bureau")
    admin.click("#create-org")
    admin.wait_for_url(f"{live_server}/admin/orgs/county-d")          # the new organisation's own page
    expect(admin.locator("#org-title")).to_contain_text("北湖区司法局")

    admin.goto(f"{live_server}/admin/users")
    _type_into(admin, "#a-username", "beihu")
    _type_into(admin, "#a-display_name", "北湖经办")
    admin.select_option("#a-org", value="county-d")
    admin.locator("#a-roles label", has_text="经办人").locator("input").check()
    admin.click("#create-user")
    expect(admin.locator("#new-password")).to_be_visible()
    one_time = admin.locator("#new-password code").inner_text().strip()
    shot(admin, "admin-new-user")

    with app.app_context():                 # a sample case of the new county waits for its 经办人
        cases.start_case(engine(), db_session(), "sample_review", {"title": "北湖购置档案柜"}, org_code="county-d",
                         actor="admin")

    handler = new_page()
    handler.goto(f"{live_server}/login")
    _type_into(handler, "input[name=username]", "beihu")
    _type_into(handler, "input[name=password]", one_time)
    handler.click("button[type=submit]")
    handler.goto(f"{live_server}/inbox")                  # anything else first sends him to choose a password
    handler.wait_for_url(re.compile(r".*/account/password.*"))
    expect(handler.locator("#must-change")).to_be_visible()
    _type_into(handler, "#a-current", one_time)
    _type_into(handler, "#a-new", NEW_PASSWORD)
    _type_into(handler, "#a-again", NEW_PASSWORD)
    handler.click("#change-password")
    handler.goto(f"{live_server}/inbox?view=group")
    expect(handler.locator("#inbox")).to_contain_text("北湖购置档案柜")
    shot(handler, "admin-handler-inbox")

    handler.goto(f"{live_server}/account/tokens")
    _type_into(handler, "#a-name", "办公系统对接")
    handler.click("#create-token")
    token = handler.locator("#new-token code").inner_text().strip()
    assert _api(live_server, token) == 200
    handler.locator('#token-list tr[data-token="办公系统对接"] .revoke-token').click()
    expect(handler.locator('#token-list tr[data-token="办公系统对接"]')).to_contain_text("已吊销")
    assert _api(live_server, token) == 401

    admin.goto(f"{live_server}/admin/users")
    _type_into(admin, "#user-filters input[name=q]", "beihu")
    admin.keyboard.press("Enter")
    admin.locator("#user-list a", has_text="beihu").click()
    admin.click("#deactivate-user")
    expect(admin.locator("#user-inactive")).to_be_visible()
    handler.goto(f"{live_server}/inbox")                  # his session ends with his account
    handler.wait_for_url(re.compile(r".*/login.*"))
    shot(handler, "admin-handler-refused")
