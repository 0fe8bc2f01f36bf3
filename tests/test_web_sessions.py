"""Sessions at the web's edge (issue 14): no known key signs them in production, and sign-in keeps its state in the
database (lockouts shared by every worker, equal cost for unknown names, logout that ends every copy of a cookie)."""
from __future__ import annotations

import os
import signal
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from web import create_app
from web.production import worker_app
from web.secret_key import PUBLIC_KEYS, MissingSecretKey

from . import server_log
from .conftest import DEMO_MOMENT
from .pg_harness import _free_port
from .test_web_edge import text
from .web_helpers import csrf, login

@pytest.fixture
def no_secret(tmp_path, monkeypatch):
    """No key in the environment or an instance file; the generated one would go to the returned path."""
    monkeypatch.delenv("LAWFLOW_SECRET_KEY", raising=False)
    monkeypatch.setenv("LAWFLOW_CONFIG_FILE", str(tmp_path / "absent.json"))
    return tmp_path / "instance" / "secret_key"


# ---------------------------------------------------------------- 1. no known secret in production

def test_a_cookie_signed_with_the_old_public_key_opens_nothing(demo_url, no_secret):
    app = create_app({"DATABASE_URL": demo_url, "SECRET_KEY_FILE": str(no_secret),     # the embedded default
                      "TOTP_REQUIRED_ROLES": ""})
    try:
        client = app.test_client()
        login(client, "admin")
        assert client.get("/policy/").status_code == 200
        serializer = app.session_interface.get_signing_serializer(app)
        payload = serializer.loads(client.get_cookie("session").value)      # a live session of the policy admin
        public = Flask("forger")
        public.secret_key = "dev-only-change-me"
        forged = app.test_client()
        forged.set_cookie("session", SecureCookieSessionInterface().get_signing_serializer(public).dumps(payload))
        refused = forged.get("/policy/")
        assert refused.status_code == 302 and refused.location.startswith("/login")
        genuine = app.test_client()         # the same session signed with the app's own key does open the page
        genuine.set_cookie("session", serializer.dumps(payload))
        assert genuine.get("/policy/").status_code == 200
    finally:
        app.extensions["lawflow.sql"].dispose()


def test_the_embedded_server_generates_its_key_once_and_keeps_it(demo_url, no_secret):
    first = create_app({"DATABASE_URL": demo_url, "SECRET_KEY_FILE": str(no_secret)})
    second = create_app({"DATABASE_URL": demo_url, "SECRET_KEY_FILE": str(no_secret)})     # a restart
    try:
        key = first.config["SECRET_KEY"]
        assert len(key) >= 32 and key not in PUBLIC_KEYS and no_secret.read_text().strip() == key
        assert no_secret.stat().st_mode & 0o777 == 0o600
        assert second.config["SECRET_KEY"] == key
        before = first.test_client()
        login(before, "zhang")
        after = second.test_client()
        after.set_cookie("session", before.get_cookie("session").value)
        assert after.get("/inbox").status_code == 200          # the sign-in survived the restart
    finally:
        first.extensions["lawflow.sql"].dispose()
        second.extensions["lawflow.sql"].dispose()


def test_production_refuses_to_start_without_a_real_key(demo_url, no_secret, monkeypatch):
    for key in ("", "dev-only-change-me", "change-me-to-a-long-random-value", "too-short"):
        with pytest.raises(MissingSecretKey, match="LAWFLOW_SECRET_KEY"):
            create_app({"DATABASE_URL": demo_url, "SECRET_KEY_FILE": str(no_secret), "SECRET_KEY": key,
                        "SCHEDULER_IN_PROCESS": False})
    assert not no_secret.exists()
    monkeypatch.setenv("LAWFLOW_SECRET_KEY", "k" * 40)
    monkeypatch.setenv("LAWFLOW_DATABASE_URL", demo_url)
    app = worker_app()      # what each gunicorn worker builds
    assert app.config["SECRET_KEY"] == "k" * 40
    app.extensions["lawflow.sql"].dispose()


def test_gunicorn_is_not_started_without_a_key(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "LAWFLOW_SECRET_KEY"}
    env.update(LAWFLOW_DATABASE_URL=f"sqlite:///{tmp_path}/lawflow.sqlite",
               LAWFLOW_SECRET_KEY_FILE=str(tmp_path / "secret_key"), LAWFLOW_CONFIG_FILE=str(tmp_path / "none.json"))
    lawflow = Path(sys.executable).with_name("lawflow")
    log = tmp_path / "gunicorn.log"
    process = server_log.start([str(lawflow), "serve", "--host", "127.0.0.1", "--port", str(_free_port()),
                                "--workers", "1"], env, log)
    try:
        process.wait(timeout=60)
    finally:
        if process.poll() is None:          # it started after all: stop it and its workers
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
    errors = server_log.read(log)
    assert process.returncode != 0 and "LAWFLOW_SECRET_KEY" in errors and "Listening" not in errors


def test_the_compose_file_takes_the_key_from_the_environment():
    compose = (Path(__file__).resolve().parent.parent / "docker/compose.yaml").read_text(encoding="utf-8")
    assert "${LAWFLOW_SECRET_KEY:?" in compose
    assert not any(key in compose for key in PUBLIC_KEYS)


# ---------------------------------------------------------------- 6. sign-in

def _sign_in(client, username: str, password: str = "demo1234", address: str = "127.0.0.1"):
    return client.post("/login", data={"username": username, "password": password, "csrf_token": csrf(client)},
                       environ_base={"REMOTE_ADDR": address})


def test_an_address_that_fails_too_often_is_locked_out_on_every_worker(app, client):
    for n in range(app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]):
        assert _sign_in(client, f"guess{n}", "nope", "203.0.113.9").status_code == 401
    locked = _sign_in(client, "zhang", address="203.0.113.9")
    assert locked.status_code == 401 and "失败次数过多" in text(locked)
    other_worker = create_app({"DATABASE_URL": app.config["DATABASE_URL"], "SECRET_KEY": "test-secret",
                               "TESTING": True})
    try:
        assert _sign_in(other_worker.test_client(), "zhang", address="203.0.113.9").status_code == 401
        assert _sign_in(other_worker.test_client(), "zhang", address="198.51.100.7").status_code == 302
    finally:
        other_worker.extensions["lawflow.sql"].dispose()
    with time_machine.travel(DEMO_MOMENT + timedelta(seconds=app.config["LOGIN_LOCK_SECONDS"] + 1), tick=False):
        assert _sign_in(app.test_client(), "zhang", address="203.0.113.9").status_code == 302


def test_an_account_that_fails_too_often_is_locked_from_every_address(app, client):
    for n in range(app.config["LOGIN_MAX_FAILURES"]):
        assert _sign_in(client, "li", "nope", f"192.0.2.{n}").status_code == 401
    assert "失败次数过多" in text(_sign_in(client, "li", address="192.0.2.200"))
    assert _sign_in(client, "zhang", address="192.0.2.200").status_code == 302    # only that account
    with time_machine.travel(DEMO_MOMENT + timedelta(seconds=app.config["LOGIN_LOCK_SECONDS"] + 1), tick=False):
        assert _sign_in(app.test_client(), "li", address="192.0.2.200").status_code == 302


def test_an_unknown_name_costs_a_password_hash_like_a_known_one(app, client, monkeypatch):
    import web.auth

    checked = []
    real = web.auth.check_password_hash

    def counting(stored, password):
        checked.append(stored.split("$")[0])        # the method and its cost parameters
        return real(stored, password)

    monkeypatch.setattr(web.auth, "check_password_hash", counting)
    assert _sign_in(client, "zhang", "wrong").status_code == 401
    assert _sign_in(client, "nobody-by-this-name", "wrong").status_code == 401
    assert len(checked) == 2 and checked[0] == checked[1] and checked[0].startswith("scrypt:")


def test_logout_ends_the_session_for_every_copy_of_its_cookie(app, client):
    login(client, "zhang")
    copy = app.test_client()
    copy.set_cookie("session", client.get_cookie("session").value)
    assert copy.get("/inbox").status_code == 200
    client.post("/logout", data={"csrf_token": csrf(client, "/inbox")})
    gone = copy.get("/inbox")
    assert gone.status_code == 302 and gone.location.startswith("/login")
    assert client.get("/inbox").status_code == 302



def test_an_account_keeps_its_newest_sessions_only(app):
    from web.sign_in import SESSIONS_PER_USER

    browsers = []
    with time_machine.travel(DEMO_MOMENT, tick=False) as clock:     # forward only: a cookie from the future is void
        for n in range(SESSIONS_PER_USER + 1):
            clock.move_to(DEMO_MOMENT + timedelta(minutes=n))
            browser = app.test_client()
            login(browser, "zhang")
            browsers.append(browser)
        assert browsers[0].get("/inbox").status_code == 302         # the oldest ended when the eleventh began
        assert all(b.get("/inbox").status_code == 200 for b in browsers[1:])
