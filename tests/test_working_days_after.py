"""The form keyword x-workingDaysAfter: a date of a form at least n working days after another date of it (e.g. a
hearing at least 7 working days after its notice is served, 《中华人民共和国行政处罚法》第六十四条、第八十五条)."""
from __future__ import annotations

import json

import pytest

from engine.core.errors import DataValidationError
from engine.definitions.form_checks import check_forms
from engine.definitions.forms import FormCache, quick_check

from .helpers import zh

GAP = {"type": "object", "properties": {
    "served_on": {"type": "string", "format": "date", "title": "送达日期"},
    "hearing_date": {"type": "string", "format": "date", "title": "听证日期"}},
    "x-workingDaysAfter": [{"field": "hearing_date", "after": "served_on", "workingDays": 7}]}


def check(data):
    FormCache().check(1, "gap", lambda: json.dumps(GAP).encode(), data)


def test_a_date_earlier_than_the_nth_working_day_after_another_is_refused_on_its_field():
    check({"served_on": "2025-11-03", "hearing_date": "2025-11-12"})       # Monday: 4 … 7, 10, 11, 12
    with pytest.raises(DataValidationError) as refused:
        check({"served_on": "2025-11-03", "hearing_date": "2025-11-11"})
    assert [(e.field, e.rule, zh(e)) for e in refused.value.errors] == [
        ("hearing_date", "x-workingDaysAfter", "须在送达日期之后第 7 个工作日或以后（最早为 2025-11-12）")]


def test_holidays_and_make_up_days_count_as_the_calendar_says():
    # Friday 2025-09-26: 28 (a make-up Sunday), 29, 30, (10-01 … 08 National Day), 09, 10, 11 (a make-up
    # Saturday), 13
    check({"served_on": "2025-09-26", "hearing_date": "2025-10-13"})
    with pytest.raises(DataValidationError):
        check({"served_on": "2025-09-26", "hearing_date": "2025-10-11"})


def test_a_missing_date_is_left_to_required_and_the_form_gets_no_quick_check():
    check({"hearing_date": "2025-11-04"})
    check({"served_on": "2025-11-03"})
    assert quick_check({"type": "object", "properties": {}, "x-workingDaysAfter": []}) is None


@pytest.mark.parametrize("rules", [
    "7", [{"field": "hearing_date", "after": "served_on"}], [{"field": "nowhere", "after": "served_on", "workingDays": 7}],
    [{"field": "hearing_date", "after": "served_on", "workingDays": -1}],
    [{"field": "hearing_date", "after": "served_on", "workingDays": True}]])
def test_deploy_refuses_a_malformed_rule_naming_the_keyword(rules):
    problems = []
    form = {**GAP, "x-workingDaysAfter": rules}
    check_forms({"forms/x/gap.schema.json": json.dumps(form).encode()}, problems)
    assert [str(p.message) for p in problems] == [
        "x-workingDaysAfter ((root)) must be a list of objects with field, after and workingDays naming two fields "
        "of the same object and a whole number of working days"]


def test_deploy_accepts_a_well_formed_rule():
    problems = []
    check_forms({"forms/x/gap.schema.json": json.dumps(GAP).encode()}, problems)
    assert problems == []
