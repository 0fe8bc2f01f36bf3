"""The TOTP second factor on the pages (engine/work/second_factor.py): enrolment at /account/totp, the code asked
after the password at sign-in, enrolment forced before anything else for holders of TOTP_REQUIRED_ROLES, and an
administrator's reset of a user's second factor. The API's bearer tokens are not affected.

Between the password and the code the browser holds only a signed note of who passed the password and when (no
session is started, so nothing is open); a wrong code counts toward the lockout exactly as a wrong password does.
The secret is stored sealed with Fernet under a key derived from the app's SECRET_KEY: changing that key makes
the stored secrets unreadable, and their users must have their second factor reset and enrol again.
"""
from __future__ import annotations

import base64
import hashlib
from datetime import datetime

from cryptography.fernet import Fernet, InvalidToken
from flask import (
    Blueprint, Flask, abort, current_app, flash, g, redirect, render_template, request, session, url_for,
)
from flask_babel import gettext as _
from markupsafe import Markup

from engine.core import NotFound, User
from engine.work import administration, second_factor

from . import sign_in
from .admin import admin_required
from .api import is_api_request
from .auth import _start_session, login_required
from .database import session as db_session
from .redirects import local_target
from .workflow import engine

bp = Blueprint("totp", __name__)
PENDING = "second_factor"       # the browser session's note between the password and the code
PENDING_SECONDS = 300
# Where a user who must enrol may still go: enrolment itself, the password page (which comes first), signing out.
OPEN_WHILE_ENROLLING = {"totp.enrol", "account.password", "auth.logout", "static", "assets.asset", "assets.favicon",
                        "i18n.choose"}


class SecretBox:
    """Seals TOTP secrets with Fernet under a key derived from the app's secret key."""

    def __init__(self, secret_key: str):
        digest = hashlib.sha256(b"lawflow second factor\0" + secret_key.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def open(self, sealed: str) -> str | None:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except (InvalidToken, ValueError):
            return None


def init_app(app: Flask) -> None:
    """Register the pages, the step after the password, and the check that required users enrol first."""
    app.register_blueprint(bp)
    app.extensions["lawflow.second_factor"] = ask_code
    app.extensions["lawflow.secret_box"] = SecretBox(app.config["SECRET_KEY"])
    app.before_request(_enrol_first)
    app.jinja_env.globals["second_factor_enrolled"] = lambda user: second_factor.is_enrolled(db_session(), user)


def _box() -> SecretBox:
    return current_app.extensions["lawflow.secret_box"]


def required_roles() -> list[str]:
    """The roles whose holders must use a second factor (TOTP_REQUIRED_ROLES: a list or comma-separated)."""
    roles = current_app.config["TOTP_REQUIRED_ROLES"]
    if isinstance(roles, str):
        roles = roles.split(",")
    return [r.strip() for r in roles if r and r.strip()]


def must_enrol(user: User) -> bool:
    """Whether the user holds a required role and has not enrolled yet."""
    return second_factor.is_required(user, required_roles()) and not second_factor.is_enrolled(db_session(), user)


def _enrol_first():
    """A user who must use a second factor goes to enrolment before any other page (not one the province's identity
    provider signed in: the provider authenticated him, with its own factors, and no lawflow password was used)."""
    user = g.get("user")
    if user is None or is_api_request() or request.endpoint in OPEN_WHILE_ENROLLING \
            or session.get("sign_in_method") == "oidc":
        return None
    if must_enrol(user):
        return redirect(url_for("totp.enrol"))
    return None


# ---------------------------------------------------------------- signing in: the step after the password

def ask_code(user: User):
    """After a right password: a redirect to the code page if the user has enrolled, else None (sign in now)."""
    db = db_session()
    if not second_factor.is_enrolled(db, user):
        return None
    db.rollback()       # the password alone clears no failed sign-ins: only the code does (no endless guessing)
    session.clear()
    session[PENDING] = {"user": user.id, "since": engine().now().isoformat(),
                        "next": local_target(request.args.get("next"), url_for("work.inbox"))}
    return redirect(url_for("totp.code"))


@bp.route("/login/code", methods=("GET", "POST"))
def code():
    """The second step of signing in: the six-digit code of the authenticator app."""
    user, note = _pending_user()
    if user is None:
        return redirect(url_for("auth.login"))
    error = None
    if request.method == "POST":
        error = _check_code(user, request.form.get("code", ""))
        if error is None:
            _start_session(user)
            return redirect(note["next"])
    return render_template("login_code.html", error=error), (200 if error is None else 401)


def _pending_user() -> tuple[User | None, dict]:
    """The user who passed the password in this browser within PENDING_SECONDS, and the note."""
    note = session.get(PENDING)
    if not isinstance(note, dict) or not isinstance(note.get("user"), int):
        return None, {}
    try:
        since = datetime.fromisoformat(str(note.get("since")))
    except ValueError:
        return None, {}
    if (engine().now() - since).total_seconds() > PENDING_SECONDS:
        session.pop(PENDING, None)
        return None, {}
    user = db_session().get(User, note["user"])
    return (user if user is not None and user.active else None), note


def _check_code(user: User, code: str) -> str | None:
    """None when the code signs the user in, else why not; a wrong code counts as a failed sign-in."""
    db, now, config = db_session(), engine().now(), current_app.config
    address = request.remote_addr or ""
    if sign_in.is_locked(db, user.username, address, now, config):
        session.pop(PENDING, None)
        return _("登录失败次数过多，请 %(minutes)d 分钟后再试", minutes=max(1, int(config["LOGIN_LOCK_SECONDS"]) // 60))
    if second_factor.verify(db, user, code, _box(), now):
        sign_in.forget_failures(db, user.username)
        db.commit()
        return None
    db.rollback()
    sign_in.record_failure(db, user.username, address, now, config)
    db.commit()
    return _("动态验证码错误或已使用，请输入验证器应用上当前显示的 6 位数字")


# ---------------------------------------------------------------- enrolment

@bp.route("/account/totp", methods=("GET", "POST"))
@login_required
def enrol():
    """Enrol a second factor: the secret as a QR code, an otpauth:// link and text; confirmed with a code."""
    db, user, now = db_session(), g.user, engine().now()
    if second_factor.is_enrolled(db, user):
        return render_template("account_totp.html", enrolled=True, errors={},
                               required=second_factor.is_required(user, required_roles()))
    secret = second_factor.pending_secret(db, user, _box(), now)
    db.commit()
    error = None
    if request.method == "POST":
        if second_factor.confirm(db, user, request.form.get("code", ""), _box(), now):
            db.commit()
            flash(_("已启用动态验证码，以后登录时须输入验证器应用上的验证码"), "ok")
            return redirect(url_for("work.inbox"))
        db.rollback()
        error = _("验证码不正确：请在验证器应用中添加上面的密钥后，输入它当前显示的 6 位数字")
    uri = second_factor.provisioning_uri(secret, user.username, current_app.config["TOTP_ISSUER"])
    return render_template("account_totp.html", enrolled=False, secret=secret, uri=uri, qr=_qr_svg(uri),
                           forced=must_enrol(user), errors={"code": error} if error else {}), (422 if error else 200)


@bp.post("/account/totp/off")
@login_required
def turn_off():
    """Stop using a second factor (only where no role requires one), confirmed with a current code; audited."""
    db, user, now = db_session(), g.user, engine().now()
    if second_factor.is_required(user, required_roles()):
        abort(403, description=_("您的角色须使用动态验证码，不能停用"))
    if not second_factor.verify(db, user, request.form.get("code", ""), _box(), now):
        db.rollback()
        return render_template("account_totp.html", enrolled=True, required=False,
                               errors={"code": _("验证码不正确，动态验证码未停用")}), 422
    second_factor.reset(db, user, user, now)
    db.commit()
    flash(_("已停用动态验证码"), "ok")
    return redirect(url_for("totp.enrol"))


def _qr_svg(uri: str) -> Markup | None:
    """The URI as an inline SVG QR code (the `qrcode` package, no Pillow needed); None without the package."""
    try:
        import qrcode
        from qrcode.image.svg import SvgPathImage
    except ImportError:       # optional: the link and the text secret are enough to enrol
        return None
    image = qrcode.make(uri, image_factory=SvgPathImage, box_size=8, border=2)
    return Markup(image.to_string(encoding="unicode"))


# ---------------------------------------------------------------- an administrator's reset

@bp.post("/admin/users/<int:user_id>/totp")
@admin_required
def reset(user_id: int):
    """Remove a user's second factor (a lost phone): audited; the user enrols again at the next sign-in if required."""
    db = db_session()
    try:
        user = administration.managed_user(db, g.user, user_id)
    except NotFound:            # outside the administrator's subtree: as if it did not exist
        abort(404)
    if second_factor.reset(db, g.user, user, engine().now()):
        db.commit()
        flash(_("已重置 %(username)s 的动态验证码，其下次登录时须重新绑定", username=user.username), "ok")
    return redirect(url_for("admin.user_page", user_id=user_id))
