"""The password policy as the pages and commands use it: the engine's one check (engine/work/passwords.py) with
the settings of this deployment and Werkzeug's scrypt hashes; every way a password is set goes through
`checked_hash` (an administrator's new user or reset, a user's own change, `lawflow set-password`)."""
from __future__ import annotations

import secrets
from collections.abc import Callable

from flask import current_app
from werkzeug.security import check_password_hash

from engine.core import User
from engine.work import passwords

from .auth import hash_password

Person = passwords.Person       # what a password may not contain: username, name, organisation code


def rules() -> passwords.PasswordRules:
    """The policy's settings (PASSWORD_MIN_LENGTH, PASSWORD_HISTORY)."""
    config = current_app.config
    return passwords.PasswordRules(min_length=int(config["PASSWORD_MIN_LENGTH"]),
                                   history=int(config["PASSWORD_HISTORY"]))


def person(user: User) -> Person:
    """What an existing account's password may not contain."""
    return Person(user.username, user.display_name or "", user.org.code if user.org else "")


def checked_hash(db, password: str, who: Person, *, user_id: int | None = None,
                 field: str = "password") -> str:
    """The hash of a password the policy allows; DataValidationError on `field` (naming the rule) otherwise."""
    passwords.check(db, password, rules(), who, check_password_hash, user_id=user_id, field=field)
    return hash_password(password)


def generated(db, who: Person, *, user_id: int | None = None) -> tuple[str, str]:
    """A random password an administrator hands over (the user changes it at sign-in), and its hash: drawn again
    in the rare case that it happens to contain the person's name or code."""
    while True:
        password = secrets.token_urlsafe(max(9, (int(current_app.config["PASSWORD_MIN_LENGTH"]) * 3 + 3) // 4))
        if passwords.refusal(db, password, rules(), who, check_password_hash, user_id=user_id) is None:
            return password, hash_password(password)


def one_time(db) -> Callable[[User], tuple[str, str]]:
    """The one-time password generator an import gives each new user by (as `generated`, for the new account)."""
    return lambda user: generated(db, person(user))
