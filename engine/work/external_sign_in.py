"""Sign-in through an outside identity provider (OpenID Connect): which lawflow user the provider's user is, by the
value of one configured claim matched against the username, and the audit of every such sign-in, admitted or
refused. The protocol itself (redirects, tokens, signatures) is the web's (web/oidc.py); the engine decides and
records, so the same rule holds on every database."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core.models import AuditEvent, User

# Why a provider's user is refused: the claim is missing or empty, no lawflow user has that username, or the user
# is deactivated. The web says each in words (web/oidc.py).
NO_CLAIM, UNKNOWN_USER, INACTIVE_USER = "no_claim", "unknown_user", "inactive_user"
SIGNED_IN, REFUSED = "sign_in.oidc", "sign_in.oidc_refused"
_ACTOR = 64     # AuditEvent.actor's length


def claim_value(claims: Mapping, claim: str) -> str:
    """The claim as a username: a text or a whole number, stripped; anything else (absent, a list, a flag) is ''."""
    value = claims.get(claim)
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return ""
    return str(value).strip()


def provider_user(session: Session, claims: Mapping, claim: str, *, issuer: str, now: datetime) -> User | str:
    """The active lawflow user whose username is the claim's value, or why not (NO_CLAIM, UNKNOWN_USER,
    INACTIVE_USER); either way an audit event records the provider, its subject and the value (not committed)."""
    value = claim_value(claims, claim)
    user = session.scalar(select(User).where(User.username == value)) if value else None
    refusal = NO_CLAIM if not value else UNKNOWN_USER if user is None else None if user.active else INACTIVE_USER
    actor = user.username if user is not None else (value or str(claims.get("sub", "")) or "?")
    detail = {"issuer": issuer, "subject": str(claims.get("sub", "")), "claim": claim, "value": value}
    if refusal is not None:
        detail["refusal"] = refusal
    session.add(AuditEvent(case_id=None, actor=actor[:_ACTOR], at=now, action=REFUSED if refusal else SIGNED_IN,
                           detail=detail))
    return refusal if refusal is not None else user
