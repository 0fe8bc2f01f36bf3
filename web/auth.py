"""Sign-in with local accounts, CSRF tokens on every form, and the current user."""
from __future__ import annotations

import secrets
import time
from functools import wraps

from flask import Blueprint, Flask, abort, current_app, g, redirect, render_template, request, session, url_for
from werkzeug.security import check_password_hash, generate_password_hash

from engine.models import User

from .api import is_api_request
from .database import session as db_session
from .redirects import local_target

bp = Blueprint("auth", __name__)
MAX_FAILURES = 5
LOCK_SECONDS = 300


def hash_password(password: str) -> str:
    """A salted scrypt hash of a password."""
    return generate_password_hash(password, method="scrypt")


def init_app(app: Flask) -> None:
    """Register sign-in pages, the user loader and the CSRF check."""
    app.extensions["lawflow.login_failures"] = {}
    app.before_request(_load_user)
    app.before_request(_check_csrf)
    app.context_processor(lambda: {"current_user": g.get("user"), "csrf_token": csrf_token})
    app.register_blueprint(bp)


def csrf_token() -> str:
    """The session's CSRF token, created on first use."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def _check_csrf() -> None:
    if is_api_request():    # the API takes bearer tokens, never the session cookie, so there is nothing to forge
        return
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token")
        if not sent or not secrets.compare_digest(sent, session.get("csrf", "")):
            abort(400, description="表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试")


def _load_user() -> None:
    if is_api_request():
        g.user = None       # the API's own authentication sets it from the bearer token
        return
    user_id = session.get("user_id")
    g.user = db_session().get(User, user_id) if user_id else None
    if g.user is not None and not g.user.active:
        g.user = None


def login_required(view):
    """Redirect anonymous visitors to the sign-in page."""
    @wraps(view)
    def wrapped(**kwargs):
        if g.get("user") is None:
            return redirect(url_for("auth.login", next=request.path))
        return view(**kwargs)
    return wrapped


@bp.route("/login", methods=("GET", "POST"))
def login():
    """Sign in with a username and password."""
    error = None
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        failures = current_app.extensions["lawflow.login_failures"]
        count, since = failures.get(username, (0, 0.0))
        if count >= MAX_FAILURES and time.monotonic() - since < LOCK_SECONDS:
            error = "登录失败次数过多，请 5 分钟后再试"
        else:
            user = db_session().query(User).filter_by(username=username, active=True).one_or_none()
            if user and user.password_hash and check_password_hash(user.password_hash, request.form.get("password", "")):
                failures.pop(username, None)
                session.clear()
                session["user_id"] = user.id
                return redirect(local_target(request.args.get("next"), url_for("work.inbox")))
            failures[username] = (count + 1, time.monotonic())
            error = "用户名或密码错误"
    return render_template("login.html", error=error), (200 if error is None else 401)


@bp.post("/logout")
def logout():
    """Sign out."""
    session.clear()
    return redirect(url_for("auth.login"))


def is_policy(user) -> bool:
    """Whether the user holds the role that may change the definitions (and run a failed case again)."""
    role = current_app.config["POLICY_ROLE"]
    return user is not None and any(r.code == role for r in user.roles)
