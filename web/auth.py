"""Sign-in with local accounts, CSRF tokens on every form, and the current user.

Before a view runs, in this order: the user from the session cookie, the request body's size limit (a larger one
only for signed-in staff who upload or import), sign-in for staff pages, then the CSRF check, the first thing that
reads the body.
"""
from __future__ import annotations

import secrets
import time
from functools import wraps

from flask import Blueprint, Flask, abort, current_app, g, redirect, render_template, request, session, url_for
from werkzeug.security import check_password_hash, generate_password_hash

from engine.models import User

from . import uploads
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
    """Register sign-in pages and the checks every request passes before its view, in order (see above)."""
    app.extensions["lawflow.login_failures"] = {}
    app.before_request(_load_user)
    app.before_request(_bound_body)
    app.before_request(_require_sign_in)
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


def _bound_body() -> None:
    """Set the body's limit before anything reads it; a declared length past it is refused unread."""
    user = g.get("user")
    limit = uploads.body_limit(current_app.config, request.endpoint, user is not None, is_policy(user))
    request.max_content_length = limit
    if request.content_length is not None and request.content_length > limit:
        abort(413, description=f"请求内容超过 {limit // 1024 // 1024 or 1} MB 的上限" if limit >= 1024 * 1024
              else f"请求内容超过 {limit} 字节的上限")


def _require_sign_in():
    """Anonymous visitors of staff pages go to the sign-in page before their request body is read."""
    view = current_app.view_functions.get(request.endpoint or "")
    if g.get("user") is None and getattr(view, "requires_sign_in", False):
        return redirect(url_for("auth.login", next=request.path))
    return None


def login_required(view):
    """Redirect anonymous visitors to the sign-in page (before any body is read: see _require_sign_in)."""
    @wraps(view)
    def wrapped(**kwargs):
        if g.get("user") is None:
            return redirect(url_for("auth.login", next=request.path))
        return view(**kwargs)
    wrapped.requires_sign_in = True
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
