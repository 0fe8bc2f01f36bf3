"""Sign-in state kept in the database, so every worker process (and server) sees the same: the live page sessions
and the failed sign-ins that lock an account name or a client address for a while.

Flask-Limiter, the house's choice for rate limits, keeps its counters in memory, Redis, Memcached or MongoDB; none
of them is the database this system already runs on, and a per-process memory counter lets an attacker multiply
the allowed attempts by the number of workers. Failed sign-ins are rare and each already costs a password hash,
so one row per failure in the shared database is cheap and needs nothing more to deploy.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session, joinedload

from engine.core import SignInFailure, SignInSession, User

SESSIONS_PER_USER = 10          # signing in once more ends the oldest beyond this
_SUBJECT = 200


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


# ---------------------------------------------------------------- sessions

def start_session(db: Session, user: User, now: datetime) -> str:
    """A new session id for the user (its hash stored; not committed), keeping the newest SESSIONS_PER_USER."""
    session_id = secrets.token_urlsafe(32)
    db.add(SignInSession(id=_digest(session_id), user_id=user.id, created_at=now))
    db.flush()
    stale = select(SignInSession.id).where(SignInSession.user_id == user.id) \
        .order_by(SignInSession.created_at.desc(), SignInSession.id).offset(SESSIONS_PER_USER)
    db.execute(delete(SignInSession).where(SignInSession.id.in_(list(db.scalars(stale)))))
    return session_id


def end_session(db: Session, session_id: str | None) -> None:
    """Forget a session, so its cookie (and every copy of it) signs nobody in again (not committed)."""
    if session_id:
        db.execute(delete(SignInSession).where(SignInSession.id == _digest(session_id)))


def session_user(db: Session, user_id, session_id) -> User | None:
    """The active user a cookie's session belongs to, if that session is still live."""
    if not isinstance(user_id, int) or not isinstance(session_id, str):
        return None
    # The user's roles come in the same query (every page asks for them): one statement per request, not two.
    return db.scalars(select(User).join(SignInSession, SignInSession.user_id == User.id)
                      .where(SignInSession.id == _digest(session_id), User.id == user_id, User.active)
                      .options(joinedload(User.roles))).unique().one_or_none()


# ---------------------------------------------------------------- failed sign-ins

def _subjects(username: str, address: str):
    return (("account", username[:_SUBJECT]), ("address", address[:_SUBJECT]))


def is_locked(db: Session, username: str, address: str, now: datetime, config) -> bool:
    """Whether the account name or the address failed too often within the last LOGIN_LOCK_SECONDS."""
    since = now - timedelta(seconds=int(config["LOGIN_LOCK_SECONDS"]))
    counts = dict(db.execute(
        select(SignInFailure.scope, func.count()).where(SignInFailure.failed_at > since, or_(*(
            (SignInFailure.scope == scope) & (SignInFailure.subject == subject)
            for scope, subject in _subjects(username, address)))).group_by(SignInFailure.scope)).all())
    return (counts.get("account", 0) >= int(config["LOGIN_MAX_FAILURES"])
            or counts.get("address", 0) >= int(config["LOGIN_MAX_FAILURES_PER_ADDRESS"]))


def record_failure(db: Session, username: str, address: str, now: datetime, config) -> None:
    """Count a failed sign-in against both, and drop failures too old to count (not committed)."""
    db.execute(delete(SignInFailure).where(
        SignInFailure.failed_at <= now - timedelta(seconds=int(config["LOGIN_LOCK_SECONDS"]))))
    db.add_all(SignInFailure(scope=scope, subject=subject, failed_at=now)
               for scope, subject in _subjects(username, address))


def forget_failures(db: Session, username: str) -> None:
    """A right password clears the account's count (not the address's: one known account must not reset it)."""
    db.execute(delete(SignInFailure).where(SignInFailure.scope == "account",
                                           SignInFailure.subject == username[:_SUBJECT]))
