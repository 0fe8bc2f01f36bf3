"""In real Chromium: a handler presses the identity provider's button on the sign-in page, signs in on the provider's
own page (a real OpenID Connect provider the test serves on a local port), lands where he was going, and signs out
of both; a provider user without a lawflow account is sent back to the sign-in page with the reason. Screenshots go
to test-artifacts/."""
from __future__ import annotations

import re

import pytest
import time_machine
from playwright.sync_api import expect

from web import create_app

from .browser import shot
from .conftest import DEMO_MOMENT
from .test_oidc_sign_in import pytestmark as provider_warnings
from .test_oidc_sign_in import provider  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.browser, provider_warnings]


@pytest.fixture
def app(demo_url, provider):  # noqa: F811 (the fixture above)
    """The web app with sign-in through the provider, on a demo database, the clock stopped at DEMO_MOMENT."""
    app = create_app({"DATABASE_URL": demo_url, "SECRET_KEY": "test-secret", "TESTING": True,
                      "OIDC_ISSUER": provider, "OIDC_CLIENT_ID": "lawflow", "OIDC_CLIENT_SECRET": "s3cret"})
    with time_machine.travel(DEMO_MOMENT, tick=False):
        yield app
    app.extensions["lawflow.sql"].dispose()


def _at_the_provider(page, live_server, provider, sub: str) -> None:  # noqa: F811
    """From a staff page, through the sign-in page's button to the provider, where `sub` is typed and authorised."""
    page.goto(f"{live_server}/notifications")
    page.wait_for_url(re.compile(r".*/login\?next="))
    page.get_by_role("link", name="统一身份认证登录").click()
    page.wait_for_url(re.compile(re.escape(provider) + r"/oauth2/authorize\?"))
    page.locator("input[name=sub]").click()
    page.keyboard.type(sub)
    shot(page, f"oidc-provider-page-{sub}")
    page.get_by_role("button", name="Authorize").click()


def test_a_handler_signs_in_at_the_provider_and_lands_in_lawflow(live_server, provider, new_page):  # noqa: F811
    page = new_page()
    _at_the_provider(page, live_server, provider, "sub-zhang")
    page.wait_for_url(f"{live_server}/notifications")
    expect(page.locator("#nav-account")).to_have_text("张明（东城经办）")
    page.get_by_role("link", name="待办", exact=True).click()
    page.wait_for_url(f"{live_server}/inbox")
    expect(page.locator("#nav-account")).to_have_text("张明（东城经办）")
    shot(page, "oidc-signed-in-inbox")
    page.get_by_role("button", name="退出").click()             # signing out ends the provider's session too
    page.wait_for_url(re.compile(re.escape(provider) + r"/oauth2/end_session\?"))
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(re.compile(re.escape(live_server) + r"/login(\?.*)?$"))
    page.goto(f"{live_server}/inbox")
    page.wait_for_url(re.compile(r".*/login\?next="))


def test_a_provider_user_without_an_account_reads_why_on_the_sign_in_page(live_server, provider,  # noqa: F811
                                                                          new_page):
    page = new_page()
    _at_the_provider(page, live_server, provider, "sub-stranger")
    page.wait_for_url(re.compile(r".*/login/oidc/callback\?"))
    expect(page.get_by_role("alert")).to_have_text(
        "统一身份认证平台的用户「stranger」在本系统中没有对应的用户，请联系系统管理员开通")
    expect(page.locator("#nav-account")).to_have_count(0)
    shot(page, "oidc-refused")
