"""Sign-in with local accounts (Flask-Login keeps who is signed in), CSRF tokens on every form (Flask-WTF), and the
current user.

Flask-Login's user is a `SignedIn`: the account and the server-side session its cookie names, so signing out (or
being deactivated) ends the session everywhere; the session row is checked on every request (web/sign_in.py).

Before a view runs, in this order: the rate limits a view declares (web/rate_limits.py), the user from the session
cookie (a session the database still holds), the request body's size limit (a larger one only for signed-in staff
who upload or import), sign-in for staff pages, then Flask-WTF's CSRF check, the first thing that reads the body
(its automatic check is off so that it runs here, in its place, and never for the token-authenticated API).
"""
from __future__ import annotations

import secrets
from functools import cache, wraps

from flask import Blueprint, Flask, abort, current_app, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf
from werkzeug.exceptions import BadRequest
from werkzeug.security import check_password_hash, generate_password_hash

from engine.core import User

from . import sign_in, uploads
from .api import is_api_request
from .database import session as db_session
from .redirects import local_target
from .tokens import user_for_token
from .workflow import engine

bp = Blueprint("auth", __name__)
csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = None       # the sign-in page says what it needs; no flash in English


class SignedIn(UserMixin):
    """Who a browser is signed in as: the account and the id of its server-side session (the cookie holds both)."""

    def __init__(self, user: User, session_id: str):
        self.user, self.session_id = user, session_id

    def get_id(self) -> str:
        """What the cookie keeps: `user id:session id`."""
        return f"{self.user.id}:{self.session_id}"


@login_manager.user_loader
def _signed_in(identity: str) -> SignedIn | None:
    """The cookie's user, if its session is still live and the account active."""
    user_id, _, session_id = identity.partition(":")
    user = sign_in.session_user(db_session(), int(user_id) if user_id.isdigit() else None, session_id)
    return SignedIn(user, session_id) if user is not None else None


def hash_password(password: str) -> str:
    """A salted scrypt hash of a password."""
    return generate_password_hash(password, method="scrypt")


def init_app(app: Flask) -> None:
    """Register sign-in pages and the checks every request passes before its view, in order (see above)."""
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False      # checked by _check_csrf, in its place among the checks
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # a token lives as long as the signed-in session
    csrf.init_app(app)
    login_manager.init_app(app)
    app.before_request(_load_user)
    app.before_request(_bound_body)
    app.before_request(_require_sign_in)
    app.before_request(_check_csrf)
    app.register_error_handler(CSRFError, _csrf_refused)
    app.context_processor(lambda: {"current_user": g.get("user"), "csrf_token": generate_csrf})
    app.register_blueprint(bp)


def _check_csrf() -> None:
    if is_api_request():    # the API takes bearer tokens, never the session cookie, so there is nothing to forge
        return
    csrf.protect()          # POST, PUT, PATCH and DELETE carry the form's csrf_token or an X-CSRF-Token header


def _csrf_refused(_exc: CSRFError):
    return BadRequest(description=_("表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试"))


def _load_user() -> None:
    if is_api_request():
        g.user = None       # the API's own authentication sets it from the bearer token
        return
    g.user = current_user.user if current_user.is_authenticated else None
    if g.user is None and "_user_id" in session:
        session.clear()         # signed out elsewhere, deactivated, or a cookie from before sessions were kept


def _bearer_user():
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return user_for_token(token.strip()) if scheme.lower() == "bearer" and token.strip() else None


def _bound_body() -> None:
    """Set the body's limit before anything reads it; a declared length past it is refused unread."""
    user = g.get("user")
    if user is None and (request.endpoint or "").startswith(uploads.RULES_API_BLUEPRINT + "."):
        user = _bearer_user()   # the rules API: a policy token may send a zip as large as the draft editor takes
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
        user = _check_credentials(request.form.get("username", "").strip(), request.form.get("password", ""))
        if isinstance(user, User):
            second_step = current_app.extensions.get("lawflow.second_factor")     # web/totp.py: a code, if enrolled
            held = second_step(user) if second_step is not None else None
            if held is not None:
                return held
            _start_session(user)
            return redirect(local_target(request.args.get("next"), url_for("work.inbox")))
        error = user
    return render_template("login.html", error=error), (200 if error is None else 401)


def _check_credentials(username: str, password: str) -> User | str:
    """The user if the password is right, else why not. Unknown and known names cost the same: the password is
    always hashed, against a dummy hash when there is no such user; every failure counts against the name typed
    and the client's address, in the database every worker shares."""
    db, now, config = db_session(), engine().now(), current_app.config
    address = request.remote_addr or ""
    if sign_in.is_locked(db, username, address, now, config):
        return _("登录失败次数过多，请 %(minutes)d 分钟后再试", minutes=max(1, int(config["LOGIN_LOCK_SECONDS"]) // 60))
    user = db.query(User).filter_by(username=username, active=True).one_or_none()
    stored = user.password_hash if user is not None and user.password_hash else None
    if check_password_hash(stored or _dummy_hash(), password) and stored is not None:
        sign_in.forget_failures(db, username)
        return user
    sign_in.record_failure(db, username, address, now, config)
    db.commit()
    return _("用户名或密码错误")


@cache
def _dummy_hash() -> str:
    """A hash no password matches, made like real ones so checking against it takes as long (once per process)."""
    return hash_password(secrets.token_urlsafe(32))


def _start_session(user: User) -> None:
    """A fresh cookie session (a previous one on this browser is ended) tied to a session row."""
    db = db_session()
    sign_in.end_session(db, _session_id())
    sid = sign_in.start_session(db, user, engine().now())
    db.commit()
    session.clear()
    login_user(SignedIn(user, sid))


def _session_id() -> str | None:
    return current_user.session_id if current_user.is_authenticated else None


@bp.post("/logout")
def logout():
    """Sign out: the session ends on the server, so a copy of the cookie signs nobody in either; a browser that an
    identity provider signed in then ends its session there too (`sign_out_url`, web/oidc.py)."""
    db = db_session()
    sign_in.end_session(db, _session_id())
    db.commit()
    then = session.get("sign_out_url")
    logout_user()
    session.clear()
    return redirect(then or url_for("auth.login"))


def is_policy(user) -> bool:
    """Whether the user holds the role that may change the definitions (and run a failed case again)."""
    role = current_app.config["POLICY_ROLE"]
    return user is not None and any(r.code == role for r in user.roles)


def policy_required(view):
    """Policy staff only; everyone else gets 403."""
    @login_required
    @wraps(view)
    def wrapped(**kwargs):
        if not is_policy(g.user):
            abort(403, description="仅政策法规人员可以修改流程定义")
        return view(**kwargs)
    return wrapped


def sign_in_as(user: User, method: str) -> None:
    """Sign in a user whom something other than his password vouched for (web/oidc.py), noting how in the session
    (`sign_in_method`), which decides what else he must do first (web/admin.py)."""
    _start_session(user)
    session["sign_in_method"] = method
