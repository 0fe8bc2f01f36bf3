"""Sign-in through the province's identity provider (issue 22): the whole authorization-code flow over HTTP against
a real OpenID Connect provider (oidc-provider-mock, an Authlib provider served on a local port by the test), the
lawflow user found by the configured claim on both databases, refusals in words, and the audit of each attempt."""
from __future__ import annotations

import html
import json
import re
import threading
import warnings
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import time_machine
from sqlalchemy import select
from werkzeug.serving import make_server

from engine.core.models import AuditEvent, User
from web import create_app
from web.database import session as db_session
from web.oidc import OIDCSettingsError

from .conftest import DEMO_MOMENT
from .pg_harness import _free_port
from .web_helpers import csrf, login

with warnings.catch_warnings():     # the provider imports authlib.jose, which Authlib now marks deprecated
    warnings.simplefilter("ignore")
    import oidc_provider_mock

# The provider (not lawflow's client) still calls an Authlib hook that Authlib marks deprecated; pytest's "warnings
# are errors" reaches its server thread and would turn each token request into a 500.
pytestmark = pytest.mark.filterwarnings(r"ignore:get_jwt_config\(self, grant\) is deprecated:DeprecationWarning")

PROVIDER_USERS = (
    oidc_provider_mock.User(sub="sub-zhang", claims={"preferred_username": "zhang", "name": "张办事员"}),
    oidc_provider_mock.User(sub="sub-wang", claims={"preferred_username": "wang"}),
    oidc_provider_mock.User(sub="sub-stranger", claims={"preferred_username": "stranger"}),
    oidc_provider_mock.User(sub="sub-li", claims={"employee_no": "li"}),
    oidc_provider_mock.User(sub="sub-admin", claims={"preferred_username": "admin"}),
)


@pytest.fixture(scope="module")
def provider():
    """A real OpenID Connect provider on a free local port; its issuer URL."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        server_context = oidc_provider_mock.run_server_in_thread(user_claims=PROVIDER_USERS, require_nonce=True)
    with server_context as server:
        yield f"http://localhost:{server.server_port}"


def _app(demo_url, issuer, **settings):
    return create_app({"DATABASE_URL": demo_url, "SECRET_KEY": "test-secret", "TESTING": True,
                       "OIDC_ISSUER": issuer, "OIDC_CLIENT_ID": "lawflow", "OIDC_CLIENT_SECRET": "s3cret",
                       "TOTP_REQUIRED_ROLES": "", **settings})


@pytest.fixture
def oidc_app(demo_url, provider):
    """The web app on a demo database with sign-in through the provider, the clock stopped at DEMO_MOMENT."""
    app = _app(demo_url, provider)
    with time_machine.travel(DEMO_MOMENT, tick=False):
        yield app
    app.extensions["lawflow.sql"].dispose()


def through_provider(client, sub: str, start: str = "/login/oidc", choose: bool = True):
    """Press the button, sign in at the provider as `sub` (its own page and form, over HTTP), and follow it back."""
    to_provider = client.get(start)
    assert to_provider.status_code == 302
    authorize = to_provider.location
    page = requests.get(authorize, timeout=10)
    assert page.status_code == 200 and 'name="sub"' in page.text        # the provider's own sign-in page
    answer = requests.post(authorize, data={"sub": sub} if choose else {"action": "deny"},
                           allow_redirects=False, timeout=10)
    assert answer.status_code == 302
    back = urlsplit(answer.headers["Location"])
    assert back.path == "/login/oidc/callback"
    return client.get(f"{back.path}?{back.query}")


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        db = db_session()
        events = list(db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))
        db.expunge_all()
        return events


# ---------------------------------------------------------------- off unless configured

def test_without_an_issuer_there_is_no_button_and_no_route(client):
    assert "/login/oidc" not in _text(client.get("/login"))
    assert client.get("/login/oidc").status_code == 404
    assert client.get("/login/oidc/callback?code=x&state=y").status_code == 404


def test_an_issuer_without_a_client_id_is_refused_at_start(tmp_path):
    with pytest.raises(OIDCSettingsError, match="OIDC_CLIENT_ID"):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite", "SECRET_KEY": "k", "TESTING": True,
                    "OIDC_ISSUER": "http://localhost:1"})


# ---------------------------------------------------------------- the flow

def test_a_provider_user_signs_in_through_the_code_flow_and_lands_on_the_inbox(oidc_app, provider):
    client = oidc_app.test_client()
    login_page = _text(client.get("/login"))
    assert "统一身份认证登录" in login_page and 'href="/login/oidc"' in login_page
    assert 'name="password"' in login_page          # local accounts stay possible beside the button
    to_provider = client.get("/login/oidc")
    query = parse_qs(urlsplit(to_provider.location).query)
    assert to_provider.location.startswith(provider + "/oauth2/authorize")
    assert query["client_id"] == ["lawflow"] and query["response_type"] == ["code"]
    assert query["state"] and query["nonce"] and "openid" in query["scope"][0].split()
    landed = through_provider(client, "sub-zhang")
    assert landed.status_code == 302 and landed.location == "/inbox"
    inbox = client.get("/inbox")
    assert inbox.status_code == 200 and 'id="nav-account"' in _text(inbox) and "张明（东城经办）" in _text(inbox)
    [event] = _events(oidc_app, "sign_in.oidc")
    assert event.actor == "zhang" and event.case_id is None and event.at == DEMO_MOMENT
    assert event.detail == {"issuer": provider, "subject": "sub-zhang", "claim": "preferred_username",
                            "value": "zhang"}


def test_the_page_asked_for_before_sign_in_is_where_the_flow_lands(oidc_app):
    client = oidc_app.test_client()
    asked = client.get("/notifications")
    assert asked.status_code == 302 and asked.location.startswith("/login?next=")
    assert "/login/oidc?next=/notifications" in _text(client.get(asked.location))
    landed = through_provider(client, "sub-zhang", start="/login/oidc?next=/notifications")
    assert landed.location == "/notifications"
    assert client.get("/notifications").status_code == 200


def test_signing_out_ends_the_session_here_and_at_the_provider(oidc_app, provider):
    client = oidc_app.test_client()
    through_provider(client, "sub-zhang")
    out = client.post("/logout", data={"csrf_token": csrf(client, "/inbox")})
    assert out.status_code == 302 and out.location.startswith(provider + "/oauth2/end_session?")
    query = parse_qs(urlsplit(out.location).query)
    assert query["post_logout_redirect_uri"] == ["http://localhost/login"] and query["client_id"] == ["lawflow"]
    assert query["id_token_hint"][0].count(".") == 2          # the ID token the provider issued (a JWT)
    assert client.get("/inbox").status_code == 302            # lawflow's session is over already
    confirm = requests.get(out.location, timeout=10)           # the provider's own end-session page
    assert confirm.status_code == 200 and "End session" in confirm.text
    back = requests.post(f"{provider}/oauth2/end_session/confirm", allow_redirects=False, timeout=10,
                         data={"redirect_uri": re.search(r'name="redirect_uri" value="([^"]+)"', confirm.text)[1]})
    assert urlsplit(back.headers["Location"]).path == "/login"


def test_a_local_sign_in_signs_out_here_only(oidc_app):
    client = oidc_app.test_client()
    login(client, "li")
    assert client.post("/logout", data={"csrf_token": csrf(client, "/inbox")}).location == "/login"


def test_the_provider_session_may_be_left_alone_at_sign_out(demo_url, provider):
    app = _app(demo_url, provider, OIDC_END_PROVIDER_SESSION=False)
    try:
        with time_machine.travel(DEMO_MOMENT, tick=False):
            client = app.test_client()
            through_provider(client, "sub-zhang")
            assert client.post("/logout", data={"csrf_token": csrf(client, "/inbox")}).location == "/login"
            assert client.get("/inbox").status_code == 302
    finally:
        app.extensions["lawflow.sql"].dispose()


def test_the_administrator_reads_sign_ins_through_the_provider_in_the_audit_trail(oidc_app):
    through_provider(oidc_app.test_client(), "sub-zhang")
    through_provider(oidc_app.test_client(), "sub-stranger")
    admin = oidc_app.test_client()
    login(admin, "admin")
    trail = _text(admin.get("/admin/audit?action=sign_in.oidc"))
    rows = trail.split('id="audit-list"')[1]
    assert rows.count("<tr><td>") == 1 and "<td>zhang</td>" in rows and "sub-zhang" in rows
    assert "<td>统一身份认证登录</td>" in rows and "东城" in rows      # the action's label, zhang's organisation
    assert '<option value="sign_in.oidc_refused" >统一身份认证登录被拒绝</option>' in trail


def test_a_local_password_still_signs_in_beside_the_provider(oidc_app):
    client = oidc_app.test_client()
    assert login(client, "li").location == "/inbox"
    assert "李华（东城负责人）" in _text(client.get("/inbox"))
    assert _events(oidc_app, "sign_in.oidc") == []


# ---------------------------------------------------------------- refusals

def test_a_provider_user_without_a_lawflow_user_is_refused_in_words_and_audited(oidc_app):
    client = oidc_app.test_client()
    refused = through_provider(client, "sub-stranger")
    assert refused.status_code == 403
    assert "统一身份认证平台的用户「stranger」在本系统中没有对应的用户，请联系系统管理员开通" in _text(refused)
    assert client.get("/inbox").status_code == 302           # nobody is signed in
    [event] = _events(oidc_app, "sign_in.oidc_refused")
    assert event.actor == "stranger" and event.detail["refusal"] == "unknown_user"
    assert event.detail["subject"] == "sub-stranger"


def test_a_deactivated_user_is_refused_through_the_provider(oidc_app):
    with oidc_app.app_context():
        db = db_session()
        db.scalar(select(User).where(User.username == "wang")).active = False
        db.commit()
    client = oidc_app.test_client()
    refused = through_provider(client, "sub-wang")
    assert refused.status_code == 403 and "本系统用户「wang」已停用，不能登录，请联系系统管理员" in _text(refused)
    assert client.get("/inbox").status_code == 302
    [event] = _events(oidc_app, "sign_in.oidc_refused")
    assert event.actor == "wang" and event.detail["refusal"] == "inactive_user"


def test_a_provider_user_without_the_claim_is_refused(oidc_app):
    client = oidc_app.test_client()
    refused = through_provider(client, "someone@example.org")      # the provider knows only an e-mail for him
    assert refused.status_code == 403
    assert "统一身份认证平台没有提供用户标识（preferred_username）" in _text(refused)
    [event] = _events(oidc_app, "sign_in.oidc_refused")
    assert event.detail["refusal"] == "no_claim" and event.actor == "someone@example.org"


def test_the_refusal_reads_in_english_for_an_english_reader(oidc_app):
    client = oidc_app.test_client()
    client.get("/lang/en")
    refused = through_provider(client, "sub-stranger")
    assert "The identity provider's user “stranger” has no lawflow account." in _text(refused)
    assert "Sign in with the province's identity provider" in _text(refused)


def test_a_sign_in_denied_at_the_provider_signs_nobody_in(oidc_app):
    client = oidc_app.test_client()
    refused = through_provider(client, "", choose=False)
    assert refused.status_code == 401 and "统一身份认证平台未完成登录（access_denied）" in _text(refused)
    assert client.get("/inbox").status_code == 302
    assert _events(oidc_app, "sign_in.oidc") == []


def test_a_callback_this_browser_did_not_start_is_refused(oidc_app):
    client = oidc_app.test_client()
    forged = client.get("/login/oidc/callback?code=stolen&state=made-up")
    assert forged.status_code == 401 and "登录信息无效或已过期" in _text(forged)
    assert client.get("/inbox").status_code == 302
    replay = oidc_app.test_client()         # a real answer taken to another browser: its state is not there
    to_provider = client.get("/login/oidc")
    answer = requests.post(to_provider.location, data={"sub": "sub-zhang"}, allow_redirects=False, timeout=10)
    back = urlsplit(answer.headers["Location"])
    assert replay.get(f"{back.path}?{back.query}").status_code == 401
    assert replay.get("/inbox").status_code == 302


def test_an_unreachable_provider_is_said_in_words_and_the_local_form_stays(demo_url):
    app = _app(demo_url, f"http://127.0.0.1:{_free_port()}")      # nothing listens there
    try:
        client = app.test_client()
        refused = client.get("/login/oidc")
        assert refused.status_code == 502 and "无法连接统一身份认证平台，请稍后再试，或使用本系统账号登录" in _text(refused)
        assert 'name="password"' in _text(refused)
        assert login(client, "li").location == "/inbox"
    finally:
        app.extensions["lawflow.sql"].dispose()


def test_a_provider_that_names_another_issuer_is_not_followed(demo_url):
    """OpenID Connect Discovery 4.3: the published issuer must be the configured one (here a server publishing
    someone else's name; the real provider always publishes its own)."""
    def impostor(environ, start_response):
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps({"issuer": "https://idp.elsewhere.example",
                            "authorization_endpoint": "https://idp.elsewhere.example/authorize"}).encode()]

    server = make_server("127.0.0.1", 0, impostor, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app = _app(demo_url, f"http://127.0.0.1:{server.server_port}")
    try:
        refused = app.test_client().get("/login/oidc")
        assert refused.status_code == 502 and "统一身份认证平台的设置与本系统不符" in _text(refused)
        assert "idp.elsewhere.example" not in refused.headers.get("Location", "")
    finally:
        app.extensions["lawflow.sql"].dispose()
        server.shutdown()
        thread.join()


# ---------------------------------------------------------------- settings

def test_a_custom_claim_names_the_user(demo_url, provider):
    app = _app(demo_url, provider, OIDC_USER_CLAIM="employee_no", OIDC_BUTTON_LABEL="浙里办登录")
    try:
        with time_machine.travel(DEMO_MOMENT, tick=False):
            client = app.test_client()
            assert "浙里办登录" in _text(client.get("/login"))
            assert through_provider(client, "sub-li").location == "/inbox"
            assert "李华（东城负责人）" in _text(client.get("/inbox"))
            [event] = _events(app, "sign_in.oidc")
            assert event.actor == "li" and event.detail["claim"] == "employee_no"
            assert through_provider(app.test_client(), "sub-zhang").status_code == 403    # no employee_no
    finally:
        app.extensions["lawflow.sql"].dispose()


def test_a_password_to_change_is_not_forced_through_the_provider_but_is_locally(oidc_app):
    with oidc_app.app_context():
        db = db_session()
        db.scalar(select(User).where(User.username == "zhang")).must_change_password = True
        db.commit()
    through_provider_client = oidc_app.test_client()
    assert through_provider(through_provider_client, "sub-zhang").location == "/inbox"
    assert "张明（东城经办）" in _text(through_provider_client.get("/inbox"))
    local = oidc_app.test_client()
    login(local, "zhang")
    assert local.get("/inbox").location == "/account/password"


# ---------------------------------------------------------------- the engine's rule, on both databases

def test_the_claim_names_a_user_by_username_and_each_attempt_is_audited(session, org_tree):
    from engine.work import external_sign_in

    session.scalar(select(User).where(User.username == "carl")).active = False
    at = DEMO_MOMENT
    found = external_sign_in.provider_user(session, {"sub": "s1", "staff_no": " alice "}, "staff_no",
                                           issuer="https://idp.example", now=at)
    assert isinstance(found, User) and found.username == "alice"
    assert external_sign_in.provider_user(session, {"sub": "s2", "staff_no": "carl"}, "staff_no",
                                          issuer="https://idp.example", now=at) == external_sign_in.INACTIVE_USER
    assert external_sign_in.provider_user(session, {"sub": "s3", "staff_no": "ALICE"}, "staff_no",
                                          issuer="https://idp.example", now=at) == external_sign_in.UNKNOWN_USER
    for odd in ({"sub": "s4"}, {"sub": "s4", "staff_no": ["alice"]}, {"sub": "s4", "staff_no": True},
                {"sub": "s4", "staff_no": "  "}):
        assert external_sign_in.provider_user(session, odd, "staff_no", issuer="https://idp.example",
                                              now=at) == external_sign_in.NO_CLAIM
    session.commit()
    events = list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))
    assert [(e.action, e.actor, e.detail.get("refusal")) for e in events] == [
        ("sign_in.oidc", "alice", None), ("sign_in.oidc_refused", "carl", "inactive_user"),
        ("sign_in.oidc_refused", "ALICE", "unknown_user"), *[("sign_in.oidc_refused", "s4", "no_claim")] * 4]
    assert all(e.case_id is None and e.detail["issuer"] == "https://idp.example" for e in events)
    assert external_sign_in.claim_value({"n": 1024}, "n") == "1024"


def test_a_holder_of_a_role_that_requires_a_code_is_not_asked_for_one_through_the_provider(demo_url, provider):
    """The provider authenticated him with its own factors: no lawflow code and no enrolment; signing in locally
    with the lawflow password still sends him to enrol first."""
    app = _app(demo_url, provider, TOTP_REQUIRED_ROLES="admin")
    with time_machine.travel(DEMO_MOMENT, tick=False):
        client = app.test_client()
        landed = through_provider(client, "sub-admin")
        assert landed.location == "/inbox" and client.get("/inbox").status_code == 200
        local = app.test_client()
        login(local, "admin")
        assert local.get("/inbox").location.startswith("/account/totp")
    app.extensions["lawflow.sql"].dispose()
