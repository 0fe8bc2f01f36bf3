"""The form keywords x-message (what a broken rule says) and x-fromCase (a field the case fills in, so a form's rules
can read case data)."""
from __future__ import annotations

import json

import pytest

from engine.core.errors import DataValidationError
from engine.definitions.form_checks import check_forms
from engine.definitions.forms import FormCache, case_sources, prefill_sources, with_case_values

from .helpers import zh

CAPPED = {"type": "object", "properties": {
    "party": {"type": "string", "enum": ["lawyer", "firm"], "x-fromCase": "respondent_type"},
    "fine": {"type": "integer", "title": "罚款", "maximum": 100000},
    "sanctions": {"type": "array", "items": {"type": "string"}}},
    "allOf": [{"if": {"properties": {"party": {"const": "lawyer"}}, "required": ["party"]},
               "then": {"properties": {"fine": {"maximum": 5000, "x-message": "对律师罚款不超过五千元"},
                                       "sanctions": {"items": {"not": {"const": "firm_rectification"},
                                                               "x-message": "停业整顿只适用于律师事务所"}}}}}]}


def check(data):
    FormCache().check(1, "capped", lambda: json.dumps(CAPPED).encode(), data)


def test_a_broken_rule_says_what_the_form_says_and_only_there():
    with pytest.raises(DataValidationError) as refused:
        check({"party": "lawyer", "fine": 6000, "sanctions": ["warning", "firm_rectification"]})
    assert sorted((e.field, e.rule, zh(e)) for e in refused.value.errors) == [
        ("fine", "maximum", "对律师罚款不超过五千元"), ("sanctions.1", "not", "停业整顿只适用于律师事务所")]
    with pytest.raises(DataValidationError) as refused:
        check({"party": "firm", "fine": 200000})
    assert [(e.field, zh(e)) for e in refused.value.errors] == [("fine", "不能大于 100000")]
    check({"party": "firm", "fine": 60000, "sanctions": ["firm_rectification"]})


def test_fields_from_the_case_replace_what_was_sent_and_open_the_form():
    assert case_sources(CAPPED) == {"party": "respondent_type"}
    assert prefill_sources(CAPPED) == {"party": "respondent_type"}          # the page opens with the case's value
    assert with_case_values({"party": "respondent_type"}, {"party": "firm", "fine": 1},
                            {"respondent_type": "lawyer"}) == {"fine": 1, "party": "lawyer"}
    assert with_case_values({"party": "respondent_type"}, {"party": "firm", "fine": 1}, {}) == {"fine": 1}


def test_deploy_keeps_x_from_case_on_top_level_fields():
    nested = {"type": "object", "properties": {"group": {"type": "object", "properties": {
        "party": {"type": "string", "x-fromCase": "respondent_type"}}}, "empty": {"type": "string", "x-fromCase": ""}}}
    problems = []
    check_forms({"forms/x/nested.schema.json": json.dumps(nested, indent=1).encode()}, problems)
    assert [(p.element, "x-fromCase" in zh(p.message)) for p in problems] == [
        ("properties/group/properties/party", True), ("properties/empty", True)]
