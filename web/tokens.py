"""API tokens: random bearer secrets for integrations; only their SHA-256 is stored."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timezone

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from engine.models import ApiToken, User

from .database import session as db_session


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session, user: User, name: str, now: datetime | None = None) -> str:
    """Issue a token acting as `user`; the plain token is returned once and never stored."""
    token = "lf_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, name=name, token_hash=_digest(token),
                         created_at=now or datetime.now(timezone.utc)))
    session.commit()
    return token


# The user with the organisation and roles every API view reads, in one round trip to the database.
_TOKEN_USER = (select(User).join(ApiToken, ApiToken.user_id == User.id)
               .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None), User.active)
               .options(joinedload(User.org), joinedload(User.roles)))


def user_for_token(token: str) -> User | None:
    """The active user a live token acts as, or None."""
    return db_session().scalars(_TOKEN_USER, {"token_hash": _digest(token)}).unique().one_or_none()


def revoke_token(session, user: User, token_id: int, now: datetime) -> bool:
    """Revoke one of the user's tokens; whether it was theirs and live."""
    found = session.get(ApiToken, token_id)
    if found is None or found.user_id != user.id or found.revoked_at is not None:
        return False
    found.revoked_at = now
    session.commit()
    return True
