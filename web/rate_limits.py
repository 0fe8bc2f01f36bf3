"""Rate limits with Flask-Limiter, its counters kept in the database every worker and server already shares.

Flask-Limiter (through the `limits` library) stores counters in memory, Redis, Memcached or MongoDB. Memory is per
process, so with several workers or servers an address could multiply its allowance; rather than deploy one more
server, `DatabaseStorage` is a `limits` storage (the library's own extension seam: a subclass registers its URI
scheme) over the table `rate_limit_counter`, with each increment one atomic upsert. `RATELIMIT_STORAGE_URI` may
name any storage `limits` knows (`memory://`, `redis://…`); the default `database://` is this one.

Limits are checked before anything reads the request body: a view declares its limits with `limit(...)` (which
takes Flask-Limiter's own arguments), and the first of the app's request hooks runs Flask-Limiter's check of them,
before sign-in, the body's size and the CSRF check (a decorator on the view itself would run only after those). A
limit with `deduct_when` counts only the answers it names, so a visitor who mistypes a form is not locked out by
his own corrections.
"""
from __future__ import annotations

import math
import time

from flask import Flask, current_app, render_template, request
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from limits.storage import Storage
from sqlalchemy import case, delete, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from engine.core import RateLimitCounter

from .api import is_api_request
from .api.problems import http_problem

_TABLE = RateLimitCounter.__table__
_SWEEP_EVERY = 500          # increments between two removals of expired counters (per process)


class DatabaseStorage(Storage):
    """Counters in the shared database: `incr` is one upsert that starts a new window when the old one expired."""

    STORAGE_SCHEME = ["database"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions, **options)
        self._bind = options["bind"]
        self._increments = 0

    @property
    def base_exceptions(self):
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Add `amount` to the key's counter in its current window (a new window of `expiry` seconds if none)."""
        now = time.time()
        insert = (postgresql if self._bind.dialect.name == "postgresql" else sqlite).insert(_TABLE)
        expired = _TABLE.c.expires_at <= now
        upsert = insert.values(key=key, count=amount, expires_at=now + expiry).on_conflict_do_update(
            index_elements=[_TABLE.c.key],
            set_={"count": _when(expired, amount, _TABLE.c.count + amount),
                  "expires_at": _when(expired, now + expiry, _TABLE.c.expires_at)}).returning(_TABLE.c.count)
        with self._bind.begin() as connection:
            count = connection.execute(upsert).scalar_one()
            self._increments += 1
            if self._increments % _SWEEP_EVERY == 0:
                connection.execute(delete(_TABLE).where(expired))
        return count

    def get(self, key: str) -> int:
        """The key's count in its current window (0 when it has none)."""
        with self._bind.connect() as connection:
            found = connection.execute(select(_TABLE.c.count).where(
                _TABLE.c.key == key, _TABLE.c.expires_at > time.time())).scalar()
        return found or 0

    def get_expiry(self, key: str) -> float:
        """When the key's window ends (now, when it has none)."""
        with self._bind.connect() as connection:
            found = connection.execute(select(_TABLE.c.expires_at).where(_TABLE.c.key == key)).scalar()
        return max(found or 0.0, time.time())

    def check(self) -> bool:
        """Whether the database answers."""
        with self._bind.connect() as connection:
            return connection.execute(text("SELECT 1")).scalar() == 1

    def reset(self) -> int | None:
        """Forget every counter."""
        with self._bind.begin() as connection:
            return connection.execute(delete(_TABLE)).rowcount

    def clear(self, key: str) -> None:
        """Forget one key's counter."""
        with self._bind.begin() as connection:
            connection.execute(delete(_TABLE).where(_TABLE.c.key == key))


def _when(condition, then, otherwise):
    return case((condition, then), else_=otherwise)


def init_app(app: Flask) -> None:
    """Give the app its limiter (its hooks first among the request hooks, so a limit is checked before the body is
    read) and answer a breached limit with a page that says when to try again."""
    if app.config["RATELIMIT_STORAGE_URI"].startswith("database://"):
        app.config["RATELIMIT_STORAGE_OPTIONS"] = {**app.config.get("RATELIMIT_STORAGE_OPTIONS", {}),
                                                   "bind": app.extensions["lawflow.sql"]}
    limiter = Limiter(key_func=get_remote_address, strategy="fixed-window", headers_enabled=True)
    limiter.init_app(app)
    app.extensions["lawflow.limiter"] = limiter
    app.extensions["lawflow.limit_checks"] = {}
    app.before_request(_check_declared_limits)
    app.register_error_handler(RateLimitExceeded, _too_many)


def limit(value, **options):
    """Declare a rate limit on a view, with the arguments Flask-Limiter's `Limiter.limit` takes (`shared`: a name
    that views counting together share, through `Limiter.shared_limit`); it is checked before the request's body
    is read."""
    def declare(view):
        view.declared_limit = (value, options)
        return view
    return declare


def _check_declared_limits() -> None:
    endpoint = request.endpoint or ""
    view = current_app.view_functions.get(endpoint)
    declared = getattr(view, "declared_limit", None)
    if declared is None:
        return
    checks = current_app.extensions["lawflow.limit_checks"]
    if endpoint not in checks:
        checks[endpoint] = _limited_check(current_app.extensions["lawflow.limiter"], view, *declared)
    checks[endpoint]()


def _limited_check(limiter: Limiter, view, value, options: dict):
    """A callable that does nothing but pass this app's limiter's check of the view's declared limit."""
    def check() -> None:
        """Nothing but the limiter's check around it."""
    check.__module__, check.__name__ = view.__module__, f"{view.__name__}_limit"
    check.__qualname__ = f"{view.__qualname__}_limit"
    options = dict(options)
    shared = options.pop("shared", None)
    declared = limiter.shared_limit(value, shared, **options) if shared else limiter.limit(value, **options)
    return declared(check)


def per(setting: str, period: str):
    """A limit string read from a setting when the request is checked: e.g. `per("PORTAL_…", "hour")`."""
    return lambda: f"{int(current_app.config[setting])} per {period}"


def _too_many(exc: RateLimitExceeded):
    if is_api_request():
        return http_problem(exc)
    current = current_app.extensions["lawflow.limiter"].current_limit
    seconds = max(current.reset_at - time.time(), 0) if current is not None else 60
    minutes = max(1, round(seconds / 60))           # limits reports the window's end to the next whole second
    page = render_template("too_many.html", minutes=minutes, back=request.path)
    return page, 429, {"Retry-After": str(math.ceil(seconds))}

