"""Documented configuration defaults; a deployment overrides them with an instance file or LAWFLOW_* environment
variables, a test with the mapping it gives the factory (as flaskr's `create_app(test_config)`).

Every setting the app reads is named here, so each is settable the same way: an environment variable is read only
for a name in DEFAULTS, as the type of its default (README "Settings" lists them all; tests/test_config.py checks)."""
from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

PREFIX = "LAWFLOW_"
# The instance file; LAWFLOW_CONFIG_FILE names another (it is where settings come from, not a setting).
INSTANCE_FILE = "instance/lawflow.json"

DEFAULTS = {
    # SQLAlchemy URL; the embedded default is a SQLite file in ./instance.
    "DATABASE_URL": "sqlite:///" + str(Path("instance/lawflow.sqlite").resolve()),
    # Signs session cookies: a long random value only this system knows (LAWFLOW_SECRET_KEY). Production (gunicorn,
    # docker, SCHEDULER_IN_PROCESS false) refuses to start without one; the embedded server, left without one,
    # generates one into SECRET_KEY_FILE (owner-only) and keeps using it, so sign-ins survive restarts.
    "SECRET_KEY": "",
    "SECRET_KEY_FILE": str(Path("instance/secret_key").resolve()),
    # node_modules folder the browser assets (bpmn-js, swagger-ui, htmx) are served from (package.json).
    "ASSETS_DIR": str(Path(__file__).resolve().parent.parent / "node_modules"),
    # Project root holding processes/ and forms/ to deploy.
    "PROJECT_ROOT": str(Path(__file__).resolve().parent.parent),
    # Engine steps allowed without reaching a wait state before a case is stopped. Keep it well under
    # ~900: SpiffWorkflow misroutes silently once one run deepens its task tree to Python's recursion limit.
    "STEP_BUDGET": 300,
    # Budgets of diagram code (engine/sandbox/limits.py): CPU seconds of one evaluation and of one engine run (a
    # step and what follows it, the engine's own work included), memory one evaluation may grow the process by,
    # the longest text/list/range one operation may build, the largest integer, the most children of a
    # multi-instance activity, a case's stored size after a step. Past any of them the case goes to 出错 at its
    # last good state, naming the element.
    "SANDBOX_CPU_SECONDS": 0.5,
    "SANDBOX_RUN_CPU_SECONDS": 5.0,
    "SANDBOX_MEMORY_MB": 128,
    "SANDBOX_MAX_ITEMS": 1_000_000,
    "SANDBOX_MAX_INT_BITS": 100_000,
    "SANDBOX_MAX_INSTANCES": 1_000,
    "CASE_DATA_MAX_MB": 8,
    # Workflows kept in memory between steps (keyed by case version, so always consistent).
    "LIVE_CACHE_SIZE": 2000,
    # Run a step's hot statements on the driver's cursor, compiled once (engine/runtime/lean.py); off, every
    # statement goes through SQLAlchemy's own execution. Errors, events and results are the same either way.
    "SQL_FAST_PATH": True,
    # Start a campaign's participants with shared round trips (engine/runtime/campaigns.py); off, one ordinary
    # start each. The cases, tasks and events are the same either way.
    "BATCH_STARTS": True,
    # Defence in depth for server processes (web/guard.py): a request (gunicorn) or a job (scheduler) running
    # longer ends its process, which is restarted; memory above the ceiling retires a worker after its current
    # requests, and twice the ceiling cannot be allocated; workers are recycled after about this many requests.
    "WORKER_REQUEST_SECONDS": 60,
    "WORKER_MEMORY_MB": 1024,
    "WORKER_MAX_REQUESTS": 20000,
    "SCHEDULER_JOB_SECONDS": 600,
    # Where each server process notes the cases it is changing; a live process fails the cases of a crashed one
    # (same machine). Relative paths are in the working directory, like the SQLite file.
    "CRASH_JOURNAL_DIR": str(Path("instance/journal").resolve()),
    # Seconds between timer sweeps (the scheduler; tests call the sweep directly).
    "TIMER_SWEEP_SECONDS": 10,
    # Seconds between runs that fill requested documents (they are also filled on first download).
    "DOCUMENT_SECONDS": 3,
    # Seconds between looks whether today is the first working day of a month, when last month's 月度台账 are built
    # (each once: later looks that day find them built).
    "MONTHLY_LEDGER_SECONDS": 3600,
    # Run the timer sweep inside `lawflow serve` (embedded mode); production runs `lawflow scheduler` instead.
    "SCHEDULER_IN_PROCESS": True,
    # E-mail for notifications; empty SMTP_HOST means in-app notifications only.
    "SMTP_HOST": "",
    "SMTP_PORT": 25,
    "SMTP_SENDER": "lawflow@localhost",
    "SMTP_USERNAME": "",
    "SMTP_PASSWORD": "",
    "SMTP_STARTTLS": False,
    # Base URL put in front of links in e-mails.
    "PUBLIC_URL": "http://127.0.0.1:5000",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    # Secure cookies: turned on by itself when PUBLIC_URL is https://.
    "SESSION_COOKIE_SECURE": False,
    # Seconds an API worker reuses the roles it loaded for a token's user. The token, the user's being active and
    # the user's organisation are checked on every request; a change of roles reaches the API within this time.
    "API_USER_CACHE_SECONDS": 5,
    # Reverse proxies in front of the app whose X-Forwarded-* headers to trust (0: none).
    "PROXY_HOPS": 0,
    # Bytes a request body may hold (pages and API); a larger one is refused with 413 before it is read.
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    # Bytes a task form with its uploaded files may hold, for signed-in staff (each file: engine.records.attachments).
    "UPLOAD_MAX_BYTES": 50 * 1024 * 1024,
    # Bytes policy staff may send to the draft editor: a zip of processes/ + forms/, one uploaded or saved file.
    "IMPORT_MAX_BYTES": 20 * 1024 * 1024,
    # Failed sign-ins within LOGIN_LOCK_SECONDS that lock an account (as typed) and a client address; counted in
    # the database, so every worker process sees the same count.
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_MAX_FAILURES_PER_ADDRESS": 20,
    "LOGIN_LOCK_SECONDS": 300,
    # The role whose holders may use the policy pages (drafts, publishing, recovery of cases in error).
    "POLICY_ROLE": "policy",
    # The role whose holders manage organisations and users of their own organisation's subtree (系统管理).
    "ADMIN_ROLE": "admin",
    # The shortest password a user may choose (a password an administrator gives must be changed at sign-in).
    "PASSWORD_MIN_LENGTH": 10,
    # The longest an API token made on the pages may live, in days.
    "API_TOKEN_MAX_DAYS": 366,
    # Public portal, per client address across all servers: accepted submissions an hour, status checks with a
    # wrong number or code in ten minutes (a refused form and a right code do not count).
    "PORTAL_SUBMISSIONS_PER_HOUR": 5,
    "PORTAL_CHECKS_PER_10_MINUTES": 20,
    # Public lists: accepted messages (objections) and those naming no listed case, per client address an hour.
    "PORTAL_MESSAGES_PER_HOUR": 5,
    # Bytes a public portal submission with its evidence files may hold, and each of its files (anyone may send it;
    # the rate limit is checked before it is read).
    "PORTAL_UPLOAD_MAX_BYTES": 20 * 1024 * 1024,
    "PORTAL_FILE_MAX_BYTES": 5 * 1024 * 1024,
    # Where Flask-Limiter keeps its counters: `database://` (the shared database: every worker and server counts
    # together), or any `limits` storage URI such as `redis://host:6379` or `memory://` (one process only).
    "RATELIMIT_STORAGE_URI": "database://",
    # Optional sign-in through the province's identity provider over OpenID Connect (web/oidc.py): the issuer URL
    # (its /.well-known/openid-configuration is read), this system's client id and secret there, the claim whose
    # value is a lawflow username, the scopes asked for, and the button's label (empty: 统一身份认证登录). With no
    # issuer there is no button and local accounts are the only way in; local accounts always stay possible.
    "OIDC_ISSUER": "",
    "OIDC_CLIENT_ID": "",
    "OIDC_CLIENT_SECRET": "",
    "OIDC_USER_CLAIM": "preferred_username",
    "OIDC_SCOPES": "openid profile",
    "OIDC_BUTTON_LABEL": "",
    # Signing out of lawflow also ends the session at the provider (when it publishes an end_session_endpoint).
    "OIDC_END_PROVIDER_SESSION": True,
    # How many of an account's last passwords may not be chosen again (at most 24 are kept; 0: no such rule).
    "PASSWORD_HISTORY": 5,
    # Holders of these roles (comma-separated) must enrol a TOTP second factor before anything else at their next
    # sign-in; empty: nobody must (anyone may still enrol at /account/totp). Default: ADMIN_ROLE and POLICY_ROLE.
    "TOTP_REQUIRED_ROLES": "admin,policy",
    # The name an authenticator app shows beside the account.
    "TOTP_ISSUER": "lawflow",
    # What operators read (issue 23; web/request_log.py, web/metrics.py, web/readiness.py). Log lines as `plain`
    # text or `json` (one object a line, with the request id, user and case).
    "LOG_FORMAT": "plain",
    # A bearer token that opens /metrics (and the scheduler's metrics port) to a scraper anywhere; empty: only a
    # client on the same machine (loopback) may read them.
    "METRICS_TOKEN": "",
    # Where the worker processes of `lawflow serve --workers N` keep their metrics for one another (prometheus_client's
    # multiprocess mode); empty: a fresh temporary folder for each start of the server.
    "METRICS_DIR": "",
    # Seconds between a scheduler's heartbeats, and the age of the newest heartbeat past which /readyz says no.
    "SCHEDULER_HEARTBEAT_SECONDS": 10,
    "READY_HEARTBEAT_SECONDS": 60,
    # Seconds between refreshes of the stored summary the reports read (issue 20): the months with a changed case
    # and those not summarised for the active report definitions are counted again; until then they count live.
    "REPORT_SUMMARY_SECONDS": 60,
    # Whether the reports read the stored summary (False: every figure is counted live from the cases).
    "REPORT_SUMMARY": True,
    # Rows a page of 我的待办 (each of its parts), the other task views and 案件查询 shows before 下一页 (keyset
    # pages: any page is as quick as the first). 50, as task lists of this kind show; the JSON API takes `limit`.
    "LIST_PAGE_SIZE": 50,
}


def load(test_config: Mapping | None = None) -> dict:
    """The defaults, then either the given mapping alone or, with none given, the deployment's instance file and
    environment: a test's settings never depend on the machine it runs on."""
    config = dict(DEFAULTS)
    if test_config is not None:
        config.update(test_config)
        return config
    config.update(instance_file())
    config.update(environment())
    return config


def instance_file() -> dict:
    """The settings in the instance file (JSON), if there is one."""
    path = Path(os.environ.get(PREFIX + "CONFIG_FILE", INSTANCE_FILE))
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def environment(environ: Mapping[str, str] = os.environ) -> dict:
    """Each documented setting given as LAWFLOW_<NAME>, read as the type of its default."""
    return {key: _parse(environ[PREFIX + key], default) for key, default in DEFAULTS.items() if PREFIX + key in environ}


def _parse(raw: str, default):
    """A variable's text as the type of the setting's default (flags: 1, true or yes)."""
    if isinstance(default, bool):
        return raw.strip().lower() in ("1", "true", "yes")
    if isinstance(default, (int, float)):
        return type(default)(raw)
    return raw
