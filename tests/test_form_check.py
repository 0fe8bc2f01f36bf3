"""The quick form check passes only what the JSON Schema validator accepts, on every shipped form it applies to."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from engine.core.errors import DataValidationError
from engine.definitions.forms import quick_check, FormCache
from .helpers import zh

ROOT = Path(__file__).resolve().parent.parent
FORMS = sorted((ROOT / "forms").glob("*/*.schema.json"))
QUICK_FORMS = [p for p in FORMS if quick_check(json.loads(p.read_text(encoding="utf-8"))) is not None]
ODD_VALUES = [None, True, False, 0, -1, 1, 1.0, 1.5, 10**6, "", "甲", "ab", "a" * 501, [], {}, ["x"], {"a": 1}]


def _validator(schema: dict) -> Draft202012Validator:
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _valid_value(field: dict):
    if "enum" in field:
        return field["enum"][0]
    if field["type"] == "string":
        return "甲" * max(field.get("minLength", 1), 1)
    if field["type"] == "boolean":
        return True
    return field.get("minimum", field.get("exclusiveMinimum", -1) + 1)


def _variants(schema: dict):
    """Valid data, then each field given odd values, each required field left out, and an unknown field added."""
    base = {name: _valid_value(field) for name, field in schema["properties"].items()}
    yield base
    for name, field in schema["properties"].items():
        edges = [field[k] + d for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
                 if k in field for d in (-1, 0, 1)]
        edges += ["甲" * (field[k] + d) for k in ("minLength", "maxLength") if k in field for d in (-1, 0, 1)]
        for value in ODD_VALUES + edges + ["not-a-choice"]:
            yield {**base, name: value}
    for name in schema.get("required", []):
        yield {k: v for k, v in base.items() if k != name}
    yield {**base, "unknown_field": "x"}
    yield []


@pytest.mark.parametrize("path", QUICK_FORMS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_quick_check_never_passes_what_the_validator_refuses(path):
    schema = json.loads(path.read_text(encoding="utf-8"))
    quick, validator = quick_check(schema), _validator(schema)
    variants = list(_variants(schema))
    for data in variants:
        if quick(data):
            assert validator.is_valid(data), data
    assert quick(variants[0]), "plainly valid data passes the quick check"


def test_the_sample_forms_have_a_quick_check():
    assert {"apply.schema.json", "review.schema.json"} <= {p.name for p in QUICK_FORMS}


def test_quick_check_follows_json_schema_on_types_choices_and_bounds():
    schema = {"type": "object", "required": ["n"], "additionalProperties": False, "properties": {
        "n": {"type": "integer", "minimum": 1, "exclusiveMaximum": 10},
        "x": {"type": "number", "maximum": 2.5},
        "s": {"type": "string", "minLength": 2, "maxLength": 3, "enum": ["ab", "abc", "abcd"]},
        "b": {"type": "boolean"}}}
    quick, validator = quick_check(schema), _validator(schema)
    for data in ({"n": 1}, {"n": 9.0}, {"n": 10}, {"n": 0}, {"n": True}, {"n": 2.5}, {"n": 2, "x": 2.5},
                 {"n": 2, "x": 3}, {"n": 2, "x": False}, {"n": 2, "s": "ab"}, {"n": 2, "s": "abcd"},
                 {"n": 2, "s": "zz"}, {"n": 2, "b": 1}, {"n": 2, "b": False}, {"n": 2, "other": 1}, {}):
        assert quick(data) == validator.is_valid(data), data


def test_forms_with_other_keywords_get_no_quick_check():
    assert quick_check({"type": "object", "properties": {"d": {"type": "string", "format": "date"}}}) is None
    assert quick_check({"type": "object", "properties": {"t": {"type": ["string", "null"]}}}) is None
    assert quick_check({"type": "object", "allOf": [], "properties": {}}) is None
    assert quick_check({"type": "object", "properties": {"n": {"type": "integer", "enum": [1, 2]}}}) is None


def test_a_refused_form_still_names_every_field():
    forms = FormCache()
    load = (ROOT / "forms/sample/apply.schema.json").read_bytes
    with pytest.raises(DataValidationError) as refused:
        forms.check(1, "forms/sample/apply.schema.json", load, {"title": "x", "urgent": "yes"})
    assert sorted(e.field for e in refused.value.errors) == ["reason", "title", "urgent"]


DATED = {"type": "object", "required": ["received_on"], "properties": {
    "received_on": {"type": "string", "format": "date", "x-notAfter": "today", "title": "收到日期"},
    "planned": {"type": "string", "format": "date", "x-notBefore": "today"},
    "note": {"type": "string", "x-notAfter": "today"}}}


def test_date_bounds_are_measured_from_the_engines_day():
    from datetime import date

    day = {"today": date(2025, 10, 13)}
    cache = FormCache(today=lambda: day["today"])
    load = lambda: json.dumps(DATED).encode()  # noqa: E731
    cache.check(1, "dated", load, {"received_on": "2025-10-13", "planned": "2025-10-13", "note": "not a date"})
    with pytest.raises(DataValidationError) as refused:
        cache.check(1, "dated", load, {"received_on": "2025-10-14", "planned": "2025-10-12"})
    assert {(e.field, zh(e)) for e in refused.value.errors} == {
        ("received_on", "不能晚于今天（2025-10-13）"), ("planned", "不能早于今天（2025-10-13）")}
    day["today"] = date(2025, 10, 14)                     # the same compiled form, a day later
    cache.check(1, "dated", load, {"received_on": "2025-10-14"})


def test_a_form_with_date_bounds_gets_no_quick_check():
    assert quick_check({"type": "object", "properties": {"note": {"type": "string", "x-notAfter": "today"}}}) is None
    assert quick_check({"type": "object", "properties": {"note": {"type": "string", "x-widget": "textarea"}}})
