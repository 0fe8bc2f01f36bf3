"""Optional sign-in through the province's identity provider over OpenID Connect, with Authlib's Flask client.

The authorization-code flow: the button sends the browser to the provider with a state and a nonce kept in the
session cookie; the provider sends it back to `callback` with a code, which is exchanged for tokens server to
server; Authlib checks the ID token's signature (the provider's published keys), issuer, audience, expiry and
nonce. The lawflow user is the one whose username is the value of the configured claim (OIDC_USER_CLAIM, from the
ID token, else from the userinfo endpoint): engine.work.external_sign_in decides and audits, admitted or refused.

With no OIDC_ISSUER none of this is registered beyond a 404: no button, nothing changes, and local accounts are
always possible. A user signed in through the provider is not sent to change a local password an administrator set
(the provider, not that password, vouched for him): the flag stays, for his next sign-in with the password. Signing
out of lawflow then ends the provider's session too (RP-initiated logout, when the provider publishes an
end_session_endpoint and OIDC_END_PROVIDER_SESSION is on), so a shared office computer is left signed in nowhere.
"""
from __future__ import annotations

import logging

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from flask import Blueprint, Flask, abort, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from joserfc.errors import JoseError

from engine.work import external_sign_in

from .auth import sign_in_as
from .database import session as db_session
from .redirects import local_target
from .workflow import engine

bp = Blueprint("oidc", __name__)
PROVIDER = "province"
EXTENSION = "lawflow.oidc"
_NEXT = "oidc_next"
# Everything the flow can fail with: the provider's answers and Authlib's checks of them, the ID token's
# signature, and the network between this server and the provider.
_FLOW_ERRORS = (AuthlibBaseError, JoseError, requests.RequestException, KeyError, ValueError)
log = logging.getLogger(__name__)


class OIDCSettingsError(ValueError):
    """The OpenID Connect settings are incomplete (an issuer without a client id)."""


class IssuerMismatch(ValueError):
    """The provider's published settings name another issuer than the one configured."""


def init_app(app: Flask) -> None:
    """Register the sign-in routes, and the provider's client when an issuer is configured."""
    app.register_blueprint(bp)
    app.jinja_env.globals["oidc_button"] = button_label
    issuer = issuer_url(app.config)
    if not issuer:
        return
    if not app.config["OIDC_CLIENT_ID"].strip():
        raise OIDCSettingsError("OIDC_ISSUER is set but OIDC_CLIENT_ID is empty: set both, or neither")
    oauth = OAuth(app)
    oauth.register(PROVIDER, client_id=app.config["OIDC_CLIENT_ID"].strip(),
                   client_secret=app.config["OIDC_CLIENT_SECRET"] or None,
                   server_metadata_url=issuer + "/.well-known/openid-configuration",
                   client_kwargs={"scope": app.config["OIDC_SCOPES"], "default_timeout": 15})
    app.extensions[EXTENSION] = oauth.create_client(PROVIDER)


def issuer_url(config) -> str:
    """The configured issuer without a trailing slash ('' when sign-in through a provider is off)."""
    return str(config.get("OIDC_ISSUER") or "").strip().rstrip("/")


def button_label() -> str | None:
    """The sign-in page's button text, or None when there is no provider."""
    if EXTENSION not in current_app.extensions:
        return None
    return current_app.config["OIDC_BUTTON_LABEL"].strip() or _("统一身份认证登录")


def _client():
    client = current_app.extensions.get(EXTENSION)
    if client is None:
        abort(404)
    return client


@bp.get("/login/oidc")
def start():
    """Go to the provider's sign-in page; it sends the browser back to `callback`."""
    client = _client()
    target = local_target(request.args.get("next"), url_for("work.inbox"))
    try:
        _published(client)
        answer = client.authorize_redirect(url_for("oidc.callback", _external=True))
    except IssuerMismatch:
        return _mismatch()
    except _FLOW_ERRORS:
        log.warning("the OpenID Connect provider could not be reached", exc_info=True)
        return _refused(_("无法连接统一身份认证平台，请稍后再试，或使用本系统账号登录"), 502)
    session[_NEXT] = target
    return answer


@bp.get("/login/oidc/callback")
def callback():
    """Back from the provider: check its answer, find the lawflow user its claim names, and sign him in."""
    client = _client()
    if request.args.get("error"):
        return _refused(_("统一身份认证平台未完成登录（%(error)s），请重试，或使用本系统账号登录",
                          error=request.args["error"][:100]), 401)
    try:
        _published(client)      # this worker may not have read them yet: the start may have been another's
        claims, token = _claims(client)
    except IssuerMismatch:
        return _mismatch()
    except _FLOW_ERRORS:
        log.warning("an OpenID Connect sign-in failed its checks", exc_info=True)
        return _refused(_("统一身份认证登录未能完成（登录信息无效或已过期），请重新登录"), 401)
    db, claim = db_session(), current_app.config["OIDC_USER_CLAIM"]
    user = external_sign_in.provider_user(db, claims, claim, issuer=issuer_url(current_app.config),
                                          now=engine().now())
    db.commit()
    if isinstance(user, str):
        return _refused(_refusal_text(user, claim, external_sign_in.claim_value(claims, claim)), 403)
    target = session.pop(_NEXT, None)
    sign_in_as(user, "oidc")
    if current_app.config["OIDC_END_PROVIDER_SESSION"] and _published(client).get("end_session_endpoint"):
        session["sign_out_url"] = client.create_logout_url(      # read by auth.logout
            post_logout_redirect_uri=url_for("auth.login", _external=True), id_token_hint=token.get("id_token"),
            client_id=client.client_id)["url"]
    return redirect(local_target(target, url_for("work.inbox")))


def _claims(client) -> tuple[dict, dict]:
    """The provider user's claims, and the tokens: the ID token's claims (checked by Authlib), completed from the
    userinfo endpoint when the configured claim is not among them (only if that answer is about the same subject)."""
    token = client.authorize_access_token()
    claims = dict(token.get("userinfo") or {})
    if not claims.get("sub"):
        raise ValueError("the provider's answer holds no ID token")
    claim = current_app.config["OIDC_USER_CLAIM"]
    if not external_sign_in.claim_value(claims, claim) and _published(client).get("userinfo_endpoint"):
        more = dict(client.userinfo(token=token))
        if more.get("sub") == claims["sub"]:
            claims = {**more, **claims}
    return claims, token


def _published(client) -> dict:
    """The provider's published settings (read once, then kept), which must name the configured issuer (OpenID
    Connect Discovery 4.3: Authlib then checks that each ID token names it too)."""
    metadata = client.load_server_metadata()
    if str(metadata.get("issuer", "")).rstrip("/") != issuer_url(current_app.config):
        raise IssuerMismatch(f"the provider names itself {metadata.get('issuer')!r}, not "
                             f"{issuer_url(current_app.config)!r}")
    return metadata


def _refusal_text(refusal: str, claim: str, value: str) -> str:
    if refusal == external_sign_in.NO_CLAIM:
        return _("统一身份认证平台没有提供用户标识（%(claim)s），无法对应本系统用户，请联系系统管理员", claim=claim)
    if refusal == external_sign_in.INACTIVE_USER:
        return _("本系统用户「%(username)s」已停用，不能登录，请联系系统管理员", username=value)
    return _("统一身份认证平台的用户「%(username)s」在本系统中没有对应的用户，请联系系统管理员开通", username=value)


def _mismatch():
    log.error("the OpenID Connect provider names another issuer than OIDC_ISSUER", exc_info=True)
    return _refused(_("统一身份认证平台的设置与本系统不符，暂不能通过它登录，请联系系统管理员"), 502)


def _refused(message: str, status: int):
    session.pop(_NEXT, None)
    return render_template("login.html", error=message), status

