"""The form keyword x-workingDaysAfter: a date of a form no earlier than the last day of a limit of the form's limits
table counted from another date of it (e.g. a hearing at least 7 working days after its notice is served,
《中华人民共和国行政处罚法》第六十四条、第八十五条), or, in older forms, n working days after it."""
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
    [{"field": "hearing_date", "after": "served_on", "workingDays": True}],
    [{"field": "hearing_date", "after": "served_on", "limit": 7}],
    [{"field": "hearing_date", "after": "served_on", "limit": "hearing_notice", "workingDays": 7}]])
def test_deploy_refuses_a_malformed_rule_naming_the_keyword(rules):
    problems = []
    form = {**GAP, "x-workingDaysAfter": rules}
    check_forms({"forms/x/gap.schema.json": json.dumps(form).encode()}, problems)
    assert [str(p.message) for p in problems] == [
        "x-workingDaysAfter ((root)) must be a list of objects with field, after and limit (a row of the limits "
        "table) or workingDays (a whole number of working days), field and after naming two fields of the same "
        "object"]


def test_deploy_accepts_a_well_formed_rule():
    problems = []
    check_forms({"forms/x/gap.schema.json": json.dumps(GAP).encode()}, problems)
    assert problems == []


# --- a rule naming a row of the limits table beside the form (issue 21: the value is one cell of the table)
NAMED = {**GAP, "x-workingDaysAfter": [{"field": "hearing_date", "after": "served_on", "limit": "hearing_notice"}]}
UNITS = {"working_days": "个工作日", "days": "日"}


def rows(value=7, unit="working_days", rolls_over=False):
    return {"hearing_notice": {"name": "hearing_notice", "label": "听证通知书送达", "value": value, "unit": unit,
                               "rolls_over": rolls_over, "basis": "本地设定", "unit_text": UNITS[unit]}}


def check_named(data, table, cache=None):
    (cache or FormCache()).check(1, "forms/x/gap.schema.json", lambda: json.dumps(NAMED).encode(), data,
                                 (lambda: table) if table is not None else None)


def test_a_rule_naming_a_row_counts_the_rows_working_days():
    check_named({"served_on": "2025-11-03", "hearing_date": "2025-11-12"}, rows())
    with pytest.raises(DataValidationError) as refused:
        check_named({"served_on": "2025-11-03", "hearing_date": "2025-11-11"}, rows())
    assert [(e.field, e.rule, zh(e)) for e in refused.value.errors] == [
        ("hearing_date", "x-workingDaysAfter", "须在送达日期之后第 7 个工作日或以后（最早为 2025-11-12）")]


def test_changing_the_row_changes_the_rule():
    with pytest.raises(DataValidationError):
        check_named({"served_on": "2025-11-03", "hearing_date": "2025-11-12"}, rows(value=8))
    check_named({"served_on": "2025-11-03", "hearing_date": "2025-11-13"}, rows(value=8))


def test_a_row_in_days_counts_calendar_days_and_rolls_over_as_the_row_says():
    # 2025-09-26 + 7 days = Friday 10-03, in the National Day holiday: rolled over to Thursday 10-09 (10-11 is a
    # make-up Saturday, after it); not rolled over it stays 10-03
    with pytest.raises(DataValidationError) as refused:
        check_named({"served_on": "2025-09-26", "hearing_date": "2025-10-08"}, rows(7, "days", rolls_over=True))
    assert [zh(e) for e in refused.value.errors] == ["须在自送达日期起算 7日 的最后一日或以后（最早为 2025-10-09）"]
    check_named({"served_on": "2025-09-26", "hearing_date": "2025-10-03"}, rows(7, "days", rolls_over=False))


def test_a_form_checked_without_the_row_it_names_refuses_rather_than_passes():
    cache = FormCache()
    with pytest.raises(DataValidationError) as refused:
        check_named({"served_on": "2025-11-03", "hearing_date": "2025-12-30"}, None, cache)
    assert [(e.field, zh(e)) for e in refused.value.errors] == [
        ("hearing_date", "x-workingDaysAfter 引用的期限 hearing_notice 不在表单的期限表中，请联系流程管理员")]
    check_named({"served_on": "2025-11-03", "hearing_date": "2025-12-30"}, rows(), cache)    # not kept unread


def test_deploy_accepts_a_rule_naming_a_row_and_refuses_one_naming_no_row_with_file_and_json_path():
    from engine.definitions.limit_references import reference_problems
    from engine.definitions.limit_tables import table_bytes

    form = json.dumps(NAMED, ensure_ascii=False, indent=2)
    problems = []
    check_forms({"forms/x/gap.schema.json": form.encode()}, problems)
    assert problems == []
    table = {"units": UNITS, "limits": [{"name": "hearing_notice", "label": "听证通知书送达", "value": 7,
                                         "unit": "working_days", "basis": "本地设定"}]}
    files = {"forms/x/gap.schema.json": form.encode(), "forms/x/limits.json": table_bytes(table)}
    assert reference_problems(files, {"forms/x/limits.json": table}, {}) == []
    table["limits"][0]["name"] = "hearing_served"
    found = reference_problems(files, {"forms/x/limits.json": table}, {})
    line = form[:form.index('"hearing_notice"')].count("\n") + 1
    assert [(p.file, p.element, p.line, p.msg.code, p.msg.params["name"]) for p in found] == [
        ("forms/x/gap.schema.json", "/x-workingDaysAfter/0/limit", line, "limits.unknown_name", "hearing_notice")]
