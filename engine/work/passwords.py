"""The password policy, one rule set for every way a password is set (an administrator's new user or reset, a
user's own change, the command line, an import): long enough, not a common password, not the person's own name,
username or organisation code, and none of the last few passwords of the account.

Hashing stays with the caller (the web's scrypt through Werkzeug, which the engine may not import): `check` is
handed the function that tells whether a stored hash matches a password, and `remember` keeps each new hash, so
that the next change can refuse a reused one.
"""
from __future__ import annotations

import re
import string
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

from pypinyin import lazy_pinyin
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..core.errors import DataValidationError, FieldError
from ..core.messages import Msg
from ..core.models import AuditEvent, User
from ..core.sign_in_records import PasswordHistory

COMMON_FILE = Path(__file__).with_name("common_passwords.txt")
KEPT = 24                   # hashes kept per account: PASSWORD_HISTORY may ask for up to this many
SHORTEST_PERSONAL = 3       # a name, username or code shorter than this may appear in a password
_EDGES = string.digits + string.punctuation + string.whitespace
_HAN = re.compile(r"[\u3400-\u9fff]")
_REMARK = re.compile(r"[\uff08(][^\uff09)]*[\uff09)]")        # a remark in brackets after a name

Matches = Callable[[str, str], bool]      # (stored hash, password) -> whether they match


@dataclass(frozen=True)
class PasswordRules:
    """The policy's settings: the shortest length, and how many of the last passwords may not be chosen again."""

    min_length: int = 10
    history: int = 5


@dataclass(frozen=True)
class Person:
    """What a password may not be made of: the account's username, the person's name and the organisation code."""

    username: str
    display_name: str = ""
    org_code: str = ""


def check(session: Session, password: str, rules: PasswordRules, person: Person, matches: Matches, *,
          user_id: int | None = None, field: str = "password") -> None:
    """Refuse a password the policy forbids (DataValidationError on `field`, naming the rule); nothing changes."""
    refused = refusal(session, password, rules, person, matches, user_id=user_id)
    if refused is not None:
        msg, rule = refused
        raise DataValidationError("the password was refused", [FieldError(field, msg, rule)])


def refusal(session: Session, password: str, rules: PasswordRules, person: Person, matches: Matches, *,
            user_id: int | None = None) -> tuple[Msg, str] | None:
    """The first rule the password breaks, as (message, rule name), or None when it may be chosen."""
    if len(password) < rules.min_length:
        return Msg("password.too_short", n=rules.min_length), "minLength"
    if is_common(password):
        return Msg("password.common"), "common"
    word = personal_word(password, person)
    if word is not None:
        return Msg("password.personal", word=word), "personal"
    if user_id is not None and rules.history > 0 and _reused(session, user_id, password, rules.history, matches):
        return Msg("password.reused", n=rules.history), "reused"
    return None


def is_common(password: str) -> bool:
    """Whether the password, or its letters without the digits and signs around them, is a common password."""
    lowered = password.lower()
    core = lowered.strip(_EDGES)
    return (lowered in common_passwords() or (len(core) >= 4 and core in common_passwords())
            or len(set(lowered)) <= 2)


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, lower case (read once per process)."""
    lines = COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def personal_word(password: str, person: Person) -> str | None:
    """The username, name (as written or in pinyin) or organisation code the password contains, if any."""
    lowered = password.lower()
    for word in personal_words(person):
        if word in lowered:
            return word
    return None


def personal_words(person: Person) -> list[str]:
    """What the person's password may not contain, longest first: the username and its parts, the name as written,
    its pinyin (surname first and last, and the surname with the given name's initials), the organisation code
    and its parts."""
    words = set()
    for text in (person.username, person.org_code):
        text = text.strip().lower()
        words.add(text)
        words.update(re.split(r"[._@\-]+", text))
    name = "".join(_REMARK.sub("", person.display_name).split()).lower()     # 张明（东城经办）: the name is 张明
    words.add(name)
    if _HAN.search(name):
        syllables = [s for s in lazy_pinyin(name) if s.isalpha()]
        if syllables:
            surname, given = syllables[0], syllables[1:]
            words.update({"".join(syllables), "".join(given) + surname, surname + "".join(s[0] for s in given)})
    else:
        words.update(re.split(r"[^a-z]+", name))
    keep = {w for w in words if len(w) >= SHORTEST_PERSONAL or (w and _HAN.search(w) and len(w) >= 2)}
    return sorted(keep, key=lambda w: (-len(w), w))


def _reused(session: Session, user_id: int, password: str, last: int, matches: Matches) -> bool:
    hashes = list(session.scalars(select(PasswordHistory.password_hash).where(PasswordHistory.user_id == user_id)
                                  .order_by(PasswordHistory.id.desc()).limit(min(last, KEPT))))
    if not hashes:          # an account from before the history was kept: its current password at least
        hashes = [h for h in [session.scalar(select(User.password_hash).where(User.id == user_id))] if h]
    return any(matches(stored, password) for stored in hashes)


def remember(session: Session, user_id: int, password_hash: str, now: datetime) -> None:
    """Keep a new hash of the account as its newest, and forget those older than the last KEPT (not committed)."""
    session.add(PasswordHistory(user_id=user_id, password_hash=password_hash, set_at=now))
    session.flush()
    old = list(session.scalars(select(PasswordHistory.id).where(PasswordHistory.user_id == user_id)
                               .order_by(PasswordHistory.id.desc()).offset(KEPT)))
    if old:
        session.execute(delete(PasswordHistory).where(PasswordHistory.id.in_(old)))


def set_by_operator(session: Session, user: User, password_hash: str, now: datetime, *, actor: str,
                    must_change: bool = False) -> None:
    """An operator sets a user's password from the command line (already checked and hashed); audited without the
    password, and the account's history keeps the hash (not committed)."""
    user.password_hash, user.must_change_password = password_hash, must_change
    remember(session, user.id, password_hash, now)
    session.add(AuditEvent(case_id=None, actor=actor, at=now, action="admin.password_set",
                           detail={"user": user.username, "must_change": must_change}))
