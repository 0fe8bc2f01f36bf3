"""Engine errors become HTTP answers in one place: the same error is the same status on the pages (raised out of a
view, or refused by a view that shows the page again) and on the API, and the policy editor's JSON refusals have
the API's problem shape."""
from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

import pytest
from flask import g

from engine.core import (
    BundleInvalid, CaseFailed, ConflictError, DataValidationError, FieldError, InvalidState, NotAllowed, NotFound,
    SandboxError,
)
from web import refusal
from web.auth import login_required
from web.refusal import refuse

from .web_helpers import login, token_for

ERRORS = {
    "not_found": lambda: NotFound("不存在"), "not_allowed": lambda: NotAllowed("无权"),
    "conflict": lambda: ConflictError("冲突"), "invalid_state": lambda: InvalidState("状态不对"),
    "invalid_data": lambda: DataValidationError("数据有误", [FieldError("title", "必填", "required")]),
    "case_failed": lambda: CaseFailed("流程图出错"), "bundle_invalid": lambda: BundleInvalid([]),
    "sandbox_error": lambda: SandboxError("表达式出错"),
}
EXPECTED = {"not_found": 404, "not_allowed": 403, "conflict": 409, "invalid_state": 409, "invalid_data": 422,
            "case_failed": 422, "bundle_invalid": 422, "sandbox_error": 400}
PROBLEM_KEYS = {"type", "title", "status", "detail", "code"}
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def raising_app(app):
    """The app with three test routes: one raising an engine error on a page, one on the API, and a page that
    refuses it with the pages' refusal helper and shows itself again."""
    def raise_it(code: str):
        raise ERRORS[code]()

    def refuse_it(code: str):
        status = refuse(ERRORS[code]())
        return f"refused {g.user.username}", status

    app.add_url_rule("/test-raise/<code>", "test_raise", raise_it)
    app.add_url_rule("/api/v1/test-raise/<code>", "test_api_raise", raise_it)
    app.add_url_rule("/test-refuse/<code>", "test_refuse", login_required(refuse_it))
    return app


@pytest.mark.parametrize("code", sorted(ERRORS))
def test_an_engine_error_is_the_same_status_on_pages_and_api(raising_app, client, code):
    login(client, "zhang")
    page = client.get(f"/test-raise/{code}")
    refused = client.get(f"/test-refuse/{code}")
    api = client.get(f"/api/v1/test-raise/{code}", headers=token_for(raising_app, "zhang"))
    assert page.status_code == refused.status_code == api.status_code == EXPECTED[code]
    assert api.mimetype == "application/problem+json" and api.get_json()["code"] == code
    assert "text/html" in page.content_type


def test_a_policy_save_is_refused_in_the_apis_problem_shape(app, client):
    login(client, "admin")
    page = client.get("/policy/")
    token = page.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    saved = client.put("/policy/drafts/99999/files/processes/x.bpmn", data=b"<x/>", headers={"X-CSRF-Token": token})
    api = client.get("/api/v1/cases/99999", headers=token_for(app, "admin"))
    assert saved.status_code == api.status_code == 404
    assert saved.mimetype == api.mimetype == "application/problem+json"
    assert set(saved.get_json()) == set(api.get_json()) == PROBLEM_KEYS
    assert saved.get_json()["code"] == api.get_json()["code"] == "not_found"


# Where web/ may roll a transaction back by hand, by module and function: the refusal helpers and the error
# handlers (the one rule: whoever answers a refusal), the request's own rollback, and the few places that undo a
# step on purpose and go on (each migrated case in a transaction of its own, a failed code that must still count,
# a scheduled run that continues with the next organisation, the calendar read at start-up).
ROLLBACKS = {
    ("web/database.py", "rollback"): 1, ("web/refusal.py", "refuse"): 1, ("web/errors.py", "_engine_error"): 1,
    ("web/api/problems.py", "json_refusal"): 1, ("web/command_errors.py", "refusal_exits"): 1,
    ("web/policy.py", "migrate"): 1, ("web/api/rules.py", "Migrations.post"): 1,
    ("web/monthly.py", "build_monthly"): 1, ("web/workflow.py", "_load_calendar"): 1,
    ("web/totp.py", "ask_code"): 1, ("web/totp.py", "_check_code"): 1, ("web/totp.py", "enrol"): 1,
    ("web/totp.py", "turn_off"): 1,
}
ENGINE_ERRORS = {"EngineError", "DataValidationError", "ImportRefused", "NotAllowed", "NotFound", "ConflictError",
                 "InvalidState", "CaseFailed", "BundleInvalid", "SandboxError"}


def _calls_by_function(tree, wanted):
    """(enclosing def or class path, call node) for each call `wanted(call)` accepts."""
    found = []

    def walk(node, names):
        for child in ast.iter_child_nodes(node):
            inner = names + [child.name] if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) \
                else names
            if isinstance(child, ast.Call) and wanted(child):
                found.append((".".join(names), child))
            walk(child, inner)
    walk(tree, [])
    return found


def _web_modules():
    return sorted((ROOT / "web").rglob("*.py"))


def _is_rollback(call) -> bool:
    func = call.func
    return (isinstance(func, ast.Attribute) and func.attr == "rollback") or \
        (isinstance(func, ast.Name) and func.id == "rollback")


def test_only_the_refusal_helpers_and_the_listed_places_roll_back_in_the_web():
    found = Counter()
    for path in _web_modules():
        for where, _call in _calls_by_function(ast.parse(path.read_text(encoding="utf-8")), _is_rollback):
            found[(path.relative_to(ROOT).as_posix(), where)] += 1
    assert dict(found) == ROLLBACKS


def test_a_view_refusing_an_engine_error_takes_its_status_from_the_one_mapping():
    """No `except <engine error>:` block in web/ writes a refusal's status (400, 409, 422) of its own: refuse and
    status_of give it. (`abort(404)` for a NotFound is the mapping's own answer; the monthly ledger's Word summary
    answers 422 for a template that failed, as its API documents.)"""
    written = []
    for path in _web_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]:
            for node in ast.walk(function):
                if not isinstance(node, ast.ExceptHandler) or node.type is None:
                    continue
                if not {n.id for n in ast.walk(node.type) if isinstance(n, ast.Name)} & ENGINE_ERRORS:
                    continue
                written += {f"{path.relative_to(ROOT).as_posix()}:{function.name}" for stmt in node.body
                            for c in ast.walk(stmt) if isinstance(c, ast.Constant) and c.value in (400, 409, 422)}
    assert sorted(set(written)) == ["web/monthly.py:summary"]


REFUSED_FORMS = {
    "/admin/orgs": {"code": "", "name": ""}, "/admin/users": {"username": "", "display_name": "", "org": ""},
    "/admin/roles": {"code": "", "name": ""}, "/admin/calendar/preview": {"year": "x"},
}


@pytest.mark.parametrize("path", sorted(REFUSED_FORMS))
def test_an_admin_form_refused_answers_the_status_the_mapping_gives(app, client, monkeypatch, path):
    monkeypatch.setitem(refusal.STATUS, DataValidationError, 418)      # a status only the mapping could give
    login(client, "admin")
    page = path.removesuffix("/preview")
    token = client.get(page).get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    answered = client.post(path, data={"csrf_token": token, **REFUSED_FORMS[path]})
    assert answered.status_code == 418
