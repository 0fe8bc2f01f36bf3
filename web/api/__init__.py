"""The JSON API under /api/v1: marshmallow schemas, a generated OpenAPI document, bearer tokens, problem+json."""
from __future__ import annotations

import re
import threading

import flask_smorest
from apispec import BasePlugin
from flask import Flask, abort, g, request
from flask.sessions import SecureCookieSessionInterface
from flask_smorest import Api
from marshmallow import missing
from webargs.flaskparser import FlaskParser, is_json_request

from ..tokens import user_for_token

PREFIX = "/api/v1"


class SchemaReusingParser(FlaskParser):
    """webargs' parser, loading with one instance of each schema class rather than a new one per request.

    A schema instance keeps no state between loads; making one per request cost more than the load itself.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._instances: dict[type, object] = {}
        self._lock = threading.Lock()

    def _raw_load_json(self, req):
        """The body as the request reads JSON (web/jsonio.py: refused values are field errors); none if empty."""
        if not is_json_request(req) or not req.get_data(cache=True):
            return missing
        return req.get_json(force=True)

    def _get_schema(self, argmap, req):
        if isinstance(argmap, type):
            schema = self._instances.get(argmap)
            if schema is None:
                with self._lock:
                    schema = self._instances.setdefault(argmap, super()._get_schema(argmap, req))
            return schema
        return super()._get_schema(argmap, req)


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint, with the schema-reusing parser."""

    ARGUMENTS_PARSER = SchemaReusingParser()


class ProblemApi(Api):
    """flask-smorest's Api, with errors answered as problem+json, and only under the API prefix."""

    def _register_error_handlers(self):
        """The app-wide handlers in `init_app` below decide by path; pages keep their HTML errors."""


class ProblemResponses(BasePlugin):
    """Documents the problem+json answers each operation can give, beside its success: 401 everywhere, 404 where
    the path names a row, 422 where it reads arguments, 403 and 409 where it changes something."""

    WHEN = {"401": "未认证：缺少或无效的访问令牌", "403": "无权执行此操作", "404": "不存在，或不在您的管辖范围内",
            "409": "冲突：已被他人处理，或当前状态不允许", "422": "请求数据校验未通过（errors 中逐字段说明）"}

    def operation_helper(self, path=None, operations=None, **kwargs):
        for method, operation in (operations or {}).items():
            codes = ["401"]
            if re.search(r"\{\w+\}", path or ""):
                codes.append("404")
            if method != "get" or operation.get("parameters"):
                codes.append("422")
            if method != "get":
                codes += ["403", "409"]
            responses = operation.setdefault("responses", {})
            for code in codes:
                responses.setdefault(code, {"description": self.WHEN[code], "content": {
                    "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}})


class PageSessions(SecureCookieSessionInterface):
    """Cookie sessions for the pages only: an API request (bearer token) neither reads nor writes the cookie."""

    def open_session(self, app, request):
        if is_api_path(request.path):
            return self.make_null_session(app)
        return super().open_session(app, request)


def init_app(app: Flask) -> None:
    """Mount the API and its OpenAPI document (/api/v1/openapi.json, viewer at /api/v1/docs)."""
    app.session_interface = PageSessions()
    app.config.update({
        "API_TITLE": "lawflow API", "API_VERSION": "v1", "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": PREFIX, "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs", "OPENAPI_SWAGGER_UI_URL": "/assets/swagger-ui-dist/",
        "API_SPEC_OPTIONS": {
            "security": [{"bearerAuth": []}],
            "info": {"description": "律师执业监管工作流系统的集成接口。请求头 `Authorization: Bearer <令牌>`；"
                                    "错误以 application/problem+json 返回，字段错误在 `errors` 中。"},
        },
    })
    api = ProblemApi(app, spec_kwargs={"extra_plugins": [ProblemResponses()]})
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    from .schemas import Problem

    api.spec.components.schema("Problem", schema=Problem)
    from . import cases, catalogue, draws, ledgers, stats, tasks

    for blueprint in (catalogue.blp, cases.blp, tasks.blp, draws.blp, ledgers.blp, stats.blp):
        api.register_blueprint(blueprint, url_prefix=PREFIX)
    from . import registries        # issue 21: 名录

    api.register_blueprint(registries.blp, url_prefix=PREFIX)
    from . import rules             # issue 21: rules kept in git, deployed by API

    api.register_blueprint(rules.blp, url_prefix=PREFIX)
    app.extensions["lawflow.api"] = api


def is_api_path(path: str) -> bool:
    """Whether a request path is the JSON API's."""
    return path.startswith(PREFIX + "/") or path == PREFIX


def is_api_request() -> bool:
    """Whether the current request is for the JSON API."""
    return is_api_path(request.path)


def authenticate() -> None:
    """Before every API view: the bearer token's user, or a 401 problem (the OpenAPI document stays open)."""
    if request.path in (f"{PREFIX}/openapi.json",) or request.path.startswith(f"{PREFIX}/docs"):
        return
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    user = user_for_token(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
    if user is None:
        abort(401, description="缺少或无效的访问令牌（Authorization: Bearer <令牌>）")
    g.user = user
