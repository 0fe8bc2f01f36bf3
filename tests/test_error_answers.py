"""Engine errors become HTTP answers in one place: the same error is the same status on the pages (raised out of a
view, or refused by a view that shows the page again) and on the API, and the policy editor's JSON refusals have
the API's problem shape."""
from __future__ import annotations

import pytest
from flask import g

from engine.core import (
    BundleInvalid, CaseFailed, ConflictError, DataValidationError, FieldError, InvalidState, NotAllowed, NotFound,
    SandboxError,
)
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
