"""In real Chromium, the second factor: the administrator, whose role must use one, is sent to enrolment at his
first sign-in, adds the key to his (here: pyotp's) authenticator and confirms it with a code; at his next sign-in
the page asks for the code after the password, refuses a wrong one and lets the right one in."""
from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
import time_machine

from .browser import shot
from .conftest import DEMO_MOMENT

pytestmark = pytest.mark.browser


def type_into(page, selector: str, text: str) -> None:
    """Click a field and type into it from the keyboard."""
    page.click(selector)
    page.keyboard.type(text)


def test_an_administrator_enrols_and_signs_in_with_a_code(app, live_server, new_page):
    app.config["TOTP_REQUIRED_ROLES"] = "admin,policy"
    base = live_server
    first = new_page()
    first.goto(f"{base}/login")
    type_into(first, "input[name=username]", "admin")
    type_into(first, "input[name=password]", "demo1234")
    first.click("button[type=submit]")
    first.wait_for_url(re.compile(r".*/account/totp$"))        # before anything else
    assert first.locator("#must-enrol").is_visible() and first.locator("#totp-qr svg").count() == 1
    secret = first.locator("#totp-secret").inner_text().strip()
    assert first.locator("#totp-uri").inner_text().startswith("otpauth://totp/")
    shot(first, "totp-01-enrol")
    type_into(first, "#a-code", pyotp.TOTP(secret).at(DEMO_MOMENT))
    first.click("#confirm-totp")
    first.wait_for_url(re.compile(r".*/inbox$"))
    assert "已启用动态验证码" in first.locator(".flash").inner_text()

    with time_machine.travel(DEMO_MOMENT + timedelta(minutes=10), tick=False):
        later = new_page()
        later.goto(f"{base}/login")
        type_into(later, "input[name=username]", "admin")
        type_into(later, "input[name=password]", "demo1234")
        later.click("button[type=submit]")
        later.wait_for_url(re.compile(r".*/login/code$"))
        right = pyotp.TOTP(secret).at(DEMO_MOMENT + timedelta(minutes=10))
        type_into(later, "#code", "000000" if right != "000000" else "111111")
        later.click("#submit-code")
        later.wait_for_selector("#code-error")
        assert "动态验证码错误" in later.locator("#code-error").inner_text()
        shot(later, "totp-02-wrong-code")
        type_into(later, "#code", right)        # the refused page shows an empty field
        later.click("#submit-code")
        later.wait_for_url(re.compile(r".*/inbox$"))
        later.goto(f"{base}/admin/users")          # signed in: the administration opens, no enrolment asked again
        later.wait_for_url(re.compile(r".*/admin/users$"))
