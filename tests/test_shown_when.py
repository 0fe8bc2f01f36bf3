"""The form keyword x-shownWhen (issue 21, the form editor): a field shown only while other fields of the form have a
value is neither required nor stored while it is hidden; the renderer marks it for the page to hide; deploy refuses
a malformed condition on the field concerned."""
from __future__ import annotations

import json
from uuid import UUID

import pytest

from engine.core import people
from engine.core.errors import DataValidationError
from engine.definitions import bundles
from engine.definitions.form_checks import check_forms
from engine.definitions.forms import FormCache, hidden_fields, quick_check, visible
from engine.runtime import cases

from .complaint_steps import register, review, task_named, user
from .conftest import ROOT, bundle_with
from .helpers import zh

FIRM_FORM = {"type": "object", "required": ["kind", "contact"], "properties": {
    "kind": {"type": "string", "enum": ["lawyer", "firm"]},
    "contact": {"type": "string", "title": "律所联系人", "minLength": 2, "x-shownWhen": {"kind": "firm"}},
    "tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b", "c"]}},
    "note": {"type": "string", "title": "备注", "x-shownWhen": {"tags": ["b", "c"], "kind": "firm"}}},
    "additionalProperties": False}


def check(data, form=FIRM_FORM):
    FormCache().check(1, "firm", lambda: json.dumps(form).encode(), data)


def test_a_hidden_field_is_not_required_and_what_was_sent_for_it_is_not_checked():
    check({"kind": "lawyer"})
    check({"kind": "lawyer", "contact": "x"})                  # too short, but hidden: not checked
    with pytest.raises(DataValidationError) as refused:
        check({"kind": "firm"})
    assert [(e.field, zh(e)) for e in refused.value.errors] == [("contact", "律所联系人为必填项")]
    check({"kind": "firm", "contact": "张三"})
    assert quick_check(FIRM_FORM) is None                       # the full validator decides


def test_a_field_is_shown_when_every_condition_holds_one_of_its_values():
    assert hidden_fields(FIRM_FORM, {"kind": "firm", "tags": ["a"]}) == {"note"}
    assert hidden_fields(FIRM_FORM, {"kind": "firm", "tags": ["a", "c"]}) == set()
    assert hidden_fields(FIRM_FORM, {"kind": "lawyer", "tags": ["c"]}) == {"contact", "note"}
    assert hidden_fields(FIRM_FORM, {}) == {"contact", "note"}
    assert visible(FIRM_FORM, {"kind": "lawyer", "contact": "张三", "tags": []}) == {"kind": "lawyer", "tags": []}
    assert visible({"type": "object"}, {"a": 1}) == {"a": 1}


def test_a_required_when_rule_does_not_demand_a_hidden_field():
    form = {**FIRM_FORM, "required": ["kind"], "allOf": [
        {"if": {"properties": {"kind": {"const": "firm"}}, "required": ["kind"]}, "then": {"required": ["note"]}}]}
    with pytest.raises(DataValidationError) as refused:
        check({"kind": "firm", "tags": ["b"]}, form)
    assert [e.field for e in refused.value.errors] == ["note"]
    check({"kind": "firm", "tags": ["a"]}, form)                # note is hidden: its rule does not apply


@pytest.mark.parametrize("rule, where", [
    ({"nowhere": "firm"}, "properties/contact"), ({"contact": "firm"}, "properties/contact"),
    ("kind=firm", "properties/contact"), ({}, "properties/contact"), ({"kind": []}, "properties/contact"),
    ({"kind": {"const": "firm"}}, "properties/contact")])
def test_deploy_refuses_a_malformed_condition_on_its_field(rule, where):
    form = json.loads(json.dumps(FIRM_FORM))
    form["properties"]["contact"]["x-shownWhen"] = rule
    problems = []
    check_forms({"forms/x/firm.schema.json": json.dumps(form).encode()}, problems)
    assert [(p.element, str(p.message).split(" ")[0]) for p in problems] == [(where, "x-shownWhen")]


def test_deploy_refuses_the_condition_below_the_top_level():
    form = {"type": "object", "properties": {"rows": {"type": "array", "items": {"type": "object", "properties": {
        "a": {"type": "string"}, "b": {"type": "string", "x-shownWhen": {"a": "x"}}}}}}}
    problems = []
    check_forms({"forms/x/rows.schema.json": json.dumps(form).encode()}, problems)
    assert [p.element for p in problems] == ["properties/rows/items/properties/b"]
    assert "top-level" in str(problems[0].message)


def test_deploy_accepts_well_formed_conditions():
    problems = []
    check_forms({"forms/x/firm.schema.json": json.dumps(FIRM_FORM).encode()}, problems)
    assert problems == []


def preliminary_with_firm_contact() -> bytes:
    form = json.loads((ROOT / "forms/complaint/preliminary.schema.json").read_text(encoding="utf-8"))
    form["properties"]["respondent_type"] = {"type": "string", "x-fromCase": True, "readOnly": True}
    form["properties"]["firm_contact"] = {"type": "string", "title": "律所联系人",
                                          "x-shownWhen": {"respondent_type": "firm"}}
    form["required"].append("firm_contact")
    return json.dumps(form, ensure_ascii=False).encode()


def stored(engine, session, case_id, task) -> dict:
    workflow = engine.load_workflow(session, cases.get_case(session, case_id))
    return workflow.get_task_from_id(UUID(task.task_uuid)).data


def test_a_task_stores_a_field_only_while_its_condition_holds(engine, session, complaint_setup):
    files = bundle_with()
    files["forms/complaint/preliminary.schema.json"] = preliminary_with_firm_contact()
    bundles.deploy(session, files, engine=engine)
    lawyer = register(engine, session)                                  # respondent L-0001, a lawyer
    task = task_named(session, lawyer.id, "初审")
    cases.complete_task(engine, session, task.id, review("accept", firm_contact="不该保存"), user=user(session, "chen"))
    assert "firm_contact" not in stored(engine, session, lawyer.id, task)
    firm = register(engine, session, respondent_id="F-0001")
    task = task_named(session, firm.id, "初审")
    with pytest.raises(DataValidationError) as refused:
        cases.complete_task(engine, session, task.id, review("accept"), user=user(session, "chen"))
    assert [(e.field, zh(e)) for e in refused.value.errors] == [("firm_contact", "律所联系人为必填项")]
    session.rollback()
    cases.complete_task(engine, session, task.id, review("accept", firm_contact="周主任"), user=user(session, "chen"))
    assert stored(engine, session, firm.id, task)["firm_contact"] == "周主任"


def test_the_portal_keeps_no_field_its_form_hides(engine, session, complaint_setup):
    from engine.work import portal
    from engine.work.casework import case_data

    files = bundle_with()
    form = json.loads(files["forms/complaint/portal.schema.json"])
    form["properties"]["org_contact"] = {"type": "string", "title": "单位联系人",
                                         "x-shownWhen": {"complainant_type": "organization"}}
    files["forms/complaint/portal.schema.json"] = json.dumps(form, ensure_ascii=False).encode()
    bundles.deploy(session, files, engine=engine)
    sent = {"complainant_name": "刘某", "complainant_type": "person", "complainant_phone": "13800000009",
            "respondent_id": "L-0001", "facts": "律师收取代理费后未出庭。", "requests": "查处",
            "org_contact": "不该保存"}
    people.organization(session, "county-a").kind = "bureau"            # the portal addresses justice bureaus
    case, _code = portal.submit(engine, session, "lawyer_complaint", sent, "county-a")
    data = case_data(engine, session, case)
    assert data["complainant_name"] == "刘某" and "org_contact" not in data
