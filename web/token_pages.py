"""API tokens in the browser: each user lists, creates (with an expiry, shown once) and revokes his own tokens; an
administrator lists and revokes the tokens of his subtree's users. Creating and revoking are audited."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import Blueprint, Flask, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from engine.core import ApiToken, Organization, User, scope
from engine.time import CHINA_TZ
from engine.work import administration

from .admin import admin_required
from .auth import login_required
from .database import session
from .tokens import create_token, tokens_of
from .workflow import engine

bp = Blueprint("tokens", __name__)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


@bp.get("/account/tokens")
@login_required
def mine():
    return _mine_page()


@bp.post("/account/tokens")
@login_required
def create():
    """A new token of mine, valid to the end of the chosen day; the token is shown on this answer only."""
    name, errors = request.form.get("name", "").strip(), {}
    today, longest = engine().today(), int(current_app.config["API_TOKEN_MAX_DAYS"])
    if not name:
        errors["name"] = _("必填")
    elif len(name) > 100:
        errors["name"] = _("超过 %(n)d 个字符", n=100)
    try:
        until = date.fromisoformat(request.form.get("expires_on", ""))
    except ValueError:
        until = None
        errors["expires_on"] = _("请填写有效期至哪一天")
    if until is not None and not today < until <= today + timedelta(days=longest):
        errors["expires_on"] = _("有效期须在明天至 %(n)d 天之内", n=longest)
    if errors:
        return _mine_page(errors=errors, values=request.form), 422
    db, now = session(), engine().now()
    expires = datetime.combine(until + timedelta(days=1), time(0), CHINA_TZ)
    token = create_token(db, g.user, name, now, expires_at=expires)      # commits
    administration.audit(db, g.user, now, "token_created", user=g.user.username, name=name, expires_on=until.isoformat())
    db.commit()
    return _mine_page(token=token), 201


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke(token_id: int):
    _revoke(token_id, [g.user.id])
    return redirect(url_for("tokens.mine"))


@bp.get("/admin/tokens")
@admin_required
def managed():
    """The tokens of my subtree's users."""
    return render_template("admin_tokens.html", tokens=tokens_of(session(), _managed_ids()), now=engine().now())


@bp.post("/admin/tokens/<int:token_id>/revoke")
@admin_required
def admin_revoke(token_id: int):
    _revoke(token_id, _managed_ids())
    return redirect(url_for("tokens.managed"))


def _mine_page(errors=None, values=None, token=None):
    today, longest = engine().today(), int(current_app.config["API_TOKEN_MAX_DAYS"])
    return render_template("account_tokens.html", tokens=tokens_of(session(), [g.user.id]), errors=errors or {},
                           values=values or {}, token=token, now=engine().now(),
                           default_until=(today + timedelta(days=min(90, longest))).isoformat(),
                           earliest=(today + timedelta(days=1)).isoformat(),
                           latest=(today + timedelta(days=longest)).isoformat())


def _managed_ids():
    return select(User.id).join(Organization, User.org_id == Organization.id).where(
        scope.path_within(Organization.path, g.user.org.path))


def _revoke(token_id: int, owners) -> None:
    """Revoke a live token of one of `owners` (ids, or a query of them); 404 for any other token."""
    db, now = session(), engine().now()
    token = db.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id.in_(owners)))
    if token is None:
        abort(404)
    if token.revoked_at is None:
        token.revoked_at = now
        administration.audit(db, g.user, now, "token_revoked", user=token.user.username, name=token.name)
        db.commit()
        flash(_("已吊销令牌「%(name)s」", name=token.name), "ok")
