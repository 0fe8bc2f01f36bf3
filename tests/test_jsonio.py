"""The app's JSON provider (web/jsonio.py): Flask's values and rules, Chinese as it is, fallbacks where orjson refuses."""
from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from flask import Flask, render_template_string
from flask.json.provider import DefaultJSONProvider
from markupsafe import Markup

from web.jsonio import JSONProvider

from .web_helpers import token_for


@dataclasses.dataclass
class Point:
    x: int
    label: str


@pytest.fixture
def bare():
    """A plain Flask app with both providers: Flask's own and ours."""
    app = Flask(__name__)
    return app, DefaultJSONProvider(app), JSONProvider(app)


VALUES = {"投诉人": "张三", "b": [1, 2.5, None, True], "a": {"z": 1, "y": {"中": "文"}}, "3": "text key",
          "when": datetime(2025, 10, 13, 9, 30, tzinfo=timezone.utc), "day": date(2025, 10, 13),
          "id": uuid.UUID("12345678-1234-5678-1234-567812345678"), "money": Decimal("12.50"),
          "point": Point(1, "甲"), "markup": Markup("<b>粗</b>"), "ctrl": "a\nb\t\"c\"\\\x01"}


def test_writes_what_flasks_provider_writes_with_chinese_unescaped(bare):
    _, flask_json, ours = bare
    expected = flask_json.dumps(VALUES, ensure_ascii=False, separators=(",", ":"))
    assert ours.dumps(VALUES) == expected
    assert ours.dumps(VALUES, separators=(",", ":")) == expected
    assert "张三" in ours.dumps(VALUES) and "\\u" not in ours.dumps({"k": "投诉"})
    assert json.loads(ours.dumps(VALUES))["when"] == "Mon, 13 Oct 2025 09:30:00 GMT"
    assert ours.dumps({3: "c", 1: "a"}) == flask_json.dumps({3: "c", 1: "a"}, separators=(",", ":")) \
        == '{"1":"a","3":"c"}'


def test_what_orjson_refuses_goes_to_the_json_module(bare):
    _, _, ours = bare
    huge = {"n": 2 ** 70 + 1}          # orjson would read it as the float 2 ** 70
    assert ours.dumps(huge) == '{"n":1180591620717411303425}'
    assert ours.loads('{"n": 1180591620717411303425}') == huge
    assert ours.loads('{"lone": "\\ud800"}') == {"lone": "\ud800"}
    assert ours.dumps({"lone": "\ud800"}) == '{"lone":"\\ud800"}'
    with pytest.raises(TypeError, match="not JSON serializable"):
        ours.dumps({"x": object()})
    with pytest.raises(json.JSONDecodeError):
        ours.loads("{not json")


def test_other_formatting_is_the_json_modules(bare):
    _, flask_json, ours = bare
    assert ours.dumps({"b": 1, "a": "中"}, indent=2) == flask_json.dumps({"b": 1, "a": "中"}, indent=2)
    assert ours.dumps({"b": 1, "a": 2}, sort_keys=False) == '{"b": 1, "a": 2}'


def test_responses_and_templates(bare):
    app, _, ours = bare
    app.json = ours
    with app.test_request_context():
        response = app.json.response({"名称": "投诉", "n": 1})
        assert response.mimetype == "application/json"
        assert response.get_data() == '{"n":1,"名称":"投诉"}\n'.encode()
        # tojson in a template stays safe inside <script>
        rendered = render_template_string("{{ v|tojson }}", v={"s": "</script><b>&'"})
        assert "<" not in rendered and "&" not in rendered.replace("&#", "") and "'" not in rendered
        assert json.loads(rendered) == {"s": "</script><b>&'"}
    app.debug = True
    with app.test_request_context():
        assert app.json.response({"a": 1}).get_data() == b'{\n  "a": 1\n}\n'


def test_the_api_answers_chinese_as_it_is(app, client):
    headers = token_for(app, "zhang")
    answer = client.get("/api/v1/processes", headers=headers)
    assert answer.status_code == 200
    assert "律师执业投诉处理".encode() in answer.get_data()
    problem = client.get("/api/v1/tasks/999999", headers=headers)
    assert problem.status_code == 404 and problem.mimetype == "application/problem+json"
    assert "不存在".encode() in problem.get_data()
    # and reads a request body through the same provider
    wrong = client.post("/api/v1/cases", headers=headers, data='{"process": "nope", "org": "county-b"}',
                        content_type="application/json")
    assert wrong.status_code == 422 and {e["field"] for e in wrong.get_json()["errors"]} == {"process", "org"}
