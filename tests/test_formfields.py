"""JSON Schema → form widgets and posted form → typed data (no database needed)."""
from __future__ import annotations

from werkzeug.datastructures import MultiDict

from web import formfields

SCHEMA = {
    "type": "object", "required": ["kind", "facts"],
    "properties": {
        "kind": {"type": "string", "title": "类别", "enum": ["a", "b", "c", "d"], "enumNames": ["甲", "乙", "丙", "丁"]},
        "mode": {"type": "string", "enum": ["x", "y"]},
        "facts": {"type": "string", "title": "事实"},
        "phone": {"type": "string", "pattern": "^[0-9]+$"},
        "count": {"type": "integer", "minimum": 1},
        "ratio": {"type": "number"},
        "on": {"type": "string", "format": "date"},
        "flag": {"type": "boolean"},
        "grounds": {"type": "array", "items": {"type": "string", "enum": ["g1", "g2"]}},
        "evidence": {"type": "array", "items": {"type": "string"}},
        "parties": {"type": "array", "items": {"type": "object", "properties": {
            "name": {"type": "string", "maxLength": 50}, "age": {"type": "integer"}}}},
        "files": {"type": "array", "x-widget": "files"},
    },
}


def widgets(fields):
    return {f.key: f.widget for f in fields}


def test_each_schema_type_gets_its_widget():
    fields = formfields.build(SCHEMA, {"parties": [{"name": "甲"}]}, {"parties.0.name": "太长"}, {})
    assert widgets(fields) == {
        "kind": "select", "mode": "radio", "facts": "textarea", "phone": "text", "count": "number",
        "ratio": "number", "on": "date", "flag": "yesno", "grounds": "checkboxes", "evidence": "list",
        "parties": "group", "files": "files"}
    kind = fields[0]
    assert kind.required and kind.options == [("a", "甲"), ("b", "乙"), ("c", "丙"), ("d", "丁")]
    parties = next(f for f in fields if f.key == "parties")
    assert parties.rows[0][0].name == "parties[0].name" and parties.rows[0][0].error == "太长"
    assert parties.template[0].name == "parties[__index__].name"
    assert next(f for f in fields if f.key == "count").attrs == {"min": 1}


def test_posted_form_becomes_typed_data_and_empty_inputs_are_left_out():
    form = MultiDict([("kind", "b"), ("facts", "  有事实  "), ("phone", ""), ("count", "3"), ("ratio", "0.5"),
                      ("flag", "false"), ("grounds", "g1"), ("grounds", "g2"), ("evidence", "收据"),
                      ("evidence", " "), ("parties[1].name", "乙"), ("parties[0].name", "甲"),
                      ("parties[0].age", "30"), ("parties[2].name", ""), ("files.keep", "7")])
    data = formfields.parse(SCHEMA, form, {"files": [{"attachment_id": 9, "filename": "新.pdf", "size": 1}],
                                           "files.previous": [{"attachment_id": 7, "filename": "旧.pdf", "size": 2}]})
    assert data == {
        "kind": "b", "facts": "  有事实  ", "count": 3, "ratio": 0.5, "flag": False, "grounds": ["g1", "g2"],
        "evidence": ["收据"], "parties": [{"name": "甲", "age": 30}, {"name": "乙"}],
        "files": [{"attachment_id": 7, "filename": "旧.pdf", "size": 2},
                  {"attachment_id": 9, "filename": "新.pdf", "size": 1}]}


def test_text_that_is_not_a_number_stays_text_for_the_schema_to_report():
    assert formfields.parse(SCHEMA, MultiDict([("count", "三"), ("flag", "maybe")])) == {"count": "三", "flag": "maybe"}
