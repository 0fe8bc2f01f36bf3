"""The TOTP second factor (RFC 6238, through pyotp): a user enrols by scanning a secret into an authenticator app
and confirming it with a code; from then on signing in asks for a code after the password. A code is accepted
for the current 30-second step and one either side (clocks drift), and only once: a step at or before the last
accepted one is refused, so a code seen over a shoulder cannot be used again.

The secret is stored sealed by a `SecretBox` the caller holds (the web seals it with a key derived from its
secret key), so a copy of the database alone does not give the codes away.
"""
from __future__ import annotations

import hmac
from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

import pyotp
from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from ..core.models import User
from ..core.sign_in_records import SecondFactor
from .administration import audit

STEP_SECONDS = 30
DRIFT_STEPS = 1


class SecretBox(Protocol):
    """Seals a secret for storage and opens it again (None when it cannot: the key has changed)."""

    def seal(self, secret: str) -> str: ...

    def open(self, sealed: str) -> str | None: ...


def enrolment(session: Session, user: User) -> SecondFactor | None:
    """The user's second factor, pending or confirmed, if any."""
    return session.get(SecondFactor, user.id)


def is_enrolled(session: Session, user: User) -> bool:
    """Whether signing in asks the user for a code."""
    factor = enrolment(session, user)
    return factor is not None and factor.confirmed_at is not None


def is_required(user: User, roles: Iterable[str]) -> bool:
    """Whether the user holds a role whose holders must use a second factor."""
    required = set(roles)
    return any(role.code in required for role in user.roles)


def pending_secret(session: Session, user: User, box: SecretBox, now: datetime) -> str | None:
    """The secret the user is enrolling with (a new one, unless a pending one can be read); None once enrolled."""
    factor = enrolment(session, user)
    if factor is not None and factor.confirmed_at is not None:
        return None
    secret = box.open(factor.sealed_secret) if factor is not None else None
    if secret is None:
        secret = pyotp.random_base32()
        if factor is None:
            factor = SecondFactor(user_id=user.id, created_at=now)
            session.add(factor)
        factor.sealed_secret, factor.created_at = box.seal(secret), now
        session.flush()
    return secret


def provisioning_uri(secret: str, username: str, issuer: str) -> str:
    """The otpauth:// URI an authenticator app reads (from a QR code or typed)."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=issuer)


def confirm(session: Session, user: User, code: str, box: SecretBox, now: datetime) -> bool:
    """Finish enrolment when the code matches the pending secret (audited); False changes nothing."""
    factor = enrolment(session, user)
    if factor is None or factor.confirmed_at is not None or not _accept(session, factor, code, box, now):
        return False
    factor.confirmed_at = now
    audit(session, user, now, "totp_enrolled", user=user.username)
    return True


def verify(session: Session, user: User, code: str, box: SecretBox, now: datetime) -> bool:
    """Whether the code signs the enrolled user in (each code once); a wrong code changes nothing."""
    factor = enrolment(session, user)
    return factor is not None and factor.confirmed_at is not None and _accept(session, factor, code, box, now)


def reset(session: Session, admin: User, user: User, now: datetime) -> bool:
    """An administrator removes the user's second factor (the user enrols again); audited. False if there was none."""
    factor = enrolment(session, user)
    if factor is None:
        return False
    session.delete(factor)
    session.flush()
    audit(session, admin, now, "totp_reset", user=user.username)
    return True


def _accept(session: Session, factor: SecondFactor, code: str, box: SecretBox, now: datetime) -> bool:
    """Whether the code is right for a step near `now` later than the last accepted one; remembers that step. The
    step is written only over an earlier one, in one statement: of two requests racing with one code, one wins."""
    code = "".join(code.split())
    secret = box.open(factor.sealed_secret)
    if secret is None or len(code) != 6 or not code.isdigit():
        return False
    totp, step = pyotp.TOTP(secret), int(now.timestamp()) // STEP_SECONDS
    for candidate in range(step - DRIFT_STEPS, step + DRIFT_STEPS + 1):
        if (factor.last_step is None or candidate > factor.last_step) and \
                hmac.compare_digest(totp.generate_otp(candidate), code):
            won = session.execute(update(SecondFactor).where(
                SecondFactor.user_id == factor.user_id,
                or_(SecondFactor.last_step.is_(None), SecondFactor.last_step < candidate)).values(last_step=candidate)
                .execution_options(synchronize_session=False)).rowcount == 1
            session.expire(factor, ["last_step"])
            return won
    return False
