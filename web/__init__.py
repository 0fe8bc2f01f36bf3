"""The lawflow web application factory."""
from __future__ import annotations

from collections.abc import Mapping

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from . import config as config_module
from . import secret_key
from .jsonio import JSONProvider
from .request import Request


class RowId(IntegerConverter):
    """`<int:…>` in URLs: row ids fit a 32-bit INTEGER column; anything larger matches no route (404)."""

    def __init__(self, url_map, fixed_digits=0, min=None, max=2**31 - 1):  # noqa: A002 (werkzeug's names)
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max)


def create_app(test_config: Mapping | None = None) -> Flask:
    """Build the app: config, database, engine, security and blueprints, each bound with init_app.

    Without `test_config` the settings are the defaults, the instance file and LAWFLOW_* variables; with it, the
    defaults and `test_config` only (tests, and a server that adds to settings it has loaded: web/production.py)."""
    app = Flask(__name__)
    app.request_class = Request     # JSON bodies read strictly, bodies past their limit refused (web/request.py)
    app.json = JSONProvider(app)
    app.url_map.converters["int"] = RowId      # before any route is added
    app.config.from_mapping(config_module.load(test_config))
    app.config["SECRET_KEY"] = secret_key.resolve(app.config, app.debug)     # before anything signs a cookie
    if app.config["PUBLIC_URL"].startswith("https://"):
        app.config["SESSION_COOKIE_SECURE"] = True      # served behind TLS: the cookie never travels in clear
    if app.config["PROXY_HOPS"]:
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    from . import (
        api, assets, auth, batch, campaign, database, deadlines, errors, i18n, ledgers, pages, policy, portal,
        rate_limits, score_pages, stats, work, workflow,
    )
    from . import printing      # print views of cases and tasks (issue 18)
    from . import monthly       # 月度台账 under 统计 (issue 20)
    from . import admin         # 系统管理 (issue 22)
    from . import token_pages   # API tokens on the pages (issue 22)
    from . import registries    # 名录 under 流程定义 (issue 21)
    from . import case_repair   # 案件修复: move a case, correct a field (issue 21)
    from . import oidc          # sign-in through the province's identity provider (issue 22)
    from . import totp          # the TOTP second factor (issue 22)
    from . import admin_people  # 系统管理 · 角色 and the Excel import (issue 22)

    database.init_app(app)
    workflow.init_app(app)
    i18n.init_app(app)
    rate_limits.init_app(app)       # first of the request hooks: a breached limit reads no body
    auth.init_app(app)
    errors.init_app(app)
    pages.init_app(app)
    deadlines.init_app(app)
    work.init_app(app)
    batch.init_app(app)
    score_pages.init_app(app)
    printing.init_app(app)
    campaign.init_app(app)
    ledgers.init_app(app)
    stats.init_app(app)
    monthly.init_app(app)
    portal.init_app(app)
    policy.init_app(app)
    admin.init_app(app)
    token_pages.init_app(app)
    assets.init_app(app)
    api.init_app(app)
    registries.init_app(app)
    case_repair.init_app(app)
    oidc.init_app(app)
    from . import admin_calendar    # 系统管理 · 工作日历 (issue 22)
    admin_calendar.init_app(app)
    totp.init_app(app)
    admin_people.init_app(app)
    return app
