"""API tokens: random bearer secrets for integrations; only their SHA-256 is stored."""
from __future__ import annotations

import hashlib
import secrets
import threading
import time
from datetime import datetime, timezone

from flask import current_app

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from engine.core import ApiToken, User, models
from engine.runtime import lean

from .database import session as db_session
from .workflow import engine


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session, user: User, name: str, now: datetime | None = None,
                 expires_at: datetime | None = None) -> str:
    """Issue a token acting as `user` (until `expires_at`, if given); the plain token is returned once and never
    stored."""
    token = "lf_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, name=name, token_hash=_digest(token),
                         created_at=now or datetime.now(timezone.utc), expires_at=expires_at))
    session.commit()
    return token


# Checked on every request: the token is live (not revoked, not expired) and its user active; the user's
# organisation comes along so a cached user who moved is loaded again.
_TOKEN_CHECK = (select(ApiToken.user_id, User.org_id).join(User, ApiToken.user_id == User.id)
                .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None), User.active,
                       ApiToken.expires_at.is_(None) | (ApiToken.expires_at > bindparam("now", type_=models.Moment()))))
# The user with the organisation and roles every API view reads.
_USER_GRAPH = select(User).where(User.id == bindparam("user_id")).options(joinedload(User.org), joinedload(User.roles))


class _UserCache:
    """Per process: the user graph last loaded for each token digest, detached, with the moment it was loaded.

    Loading a user with its organisation and roles through the ORM costs more than the rest of a small API
    request, and even merging a copy into the request's session costs a good part of it. So requests share the
    detached user: everything the API reads of it (columns, organisation, roles) is loaded, and nothing adds it
    to a session (engine functions take ids from it), so it stays a plain read-only object.
    """

    def __init__(self) -> None:
        self._entries: dict[str, tuple[User, float]] = {}
        self._lock = threading.Lock()

    def get(self, digest: str, user_id: int, org_id: int, max_age: float) -> User | None:
        entry = self._entries.get(digest)
        if entry is None:
            return None
        user, loaded_at = entry
        if user.id != user_id or user.org_id != org_id or time.time() - loaded_at >= max_age:
            return None
        return user

    def put(self, digest: str, user: User) -> None:
        with self._lock:
            if len(self._entries) >= 1000:
                self._entries.clear()
            self._entries[digest] = (user, time.time())

    def drop(self, digest: str) -> None:
        with self._lock:
            self._entries.pop(digest, None)


_users = _UserCache()


def user_for_token(token: str) -> User | None:
    """The active user a live token acts as (detached, with organisation and roles loaded; see _UserCache), or
    None."""
    session, digest = db_session(), _digest(token)
    found = lean.fetch_first(session.connection(), _TOKEN_CHECK, {"token_hash": digest, "now": engine().now()})
    if found is None:
        _users.drop(digest)
        return None
    cached = _users.get(digest, found.user_id, found.org_id, current_app.config["API_USER_CACHE_SECONDS"])
    if cached is None:
        cached = _load_detached(found.user_id)
        _users.put(digest, cached)
    return cached


def _load_detached(user_id: int) -> User:
    """The user with organisation and roles, loaded in a session of its own and detached from it."""
    with current_app.extensions["lawflow.sessions"]() as own:
        user = own.scalars(_USER_GRAPH, {"user_id": user_id}).unique().one()
        own.expunge_all()
    return user


def revoke_token(session, user: User, token_id: int, now: datetime) -> bool:
    """Revoke one of the user's tokens; whether it was theirs and live."""
    found = session.get(ApiToken, token_id)
    if found is None or found.user_id != user.id or found.revoked_at is not None:
        return False
    found.revoked_at = now
    session.commit()
    return True


def tokens_of(session, user_ids) -> list[ApiToken]:
    """The tokens of these users, newest first (their users loaded)."""
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id.in_(user_ids))
                                .options(joinedload(ApiToken.user)).order_by(ApiToken.id.desc())))
