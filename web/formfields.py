"""A task's JSON Schema as HTML form fields, and a posted HTML form back into typed JSON data.

The schema decides the widget: enumerations become choices, booleans 是/否, `format: date` a date picker,
arrays of enumerations check boxes, arrays of objects repeating groups, `x-widget: files` file uploads,
`x-directory` / `x-organization` a choice from that list, an object naming a standard (`x-standard`) a score
sheet (web/score_sheet.py). `x-widget` can ask for `textarea` or `radio`."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from engine.core import NOT_AFTER, NOT_BEFORE, TODAY, vocabulary

from . import score_sheet, standards
from .workflow import engine
from .engine_text import engine_text

LONG_TEXT = 200         # strings allowed to be longer than this get a text area
INT_RANGE = (-2 ** 63, 2 ** 64 - 1)       # what the JSON columns hold


@dataclass
class Field:
    """One widget of the rendered form."""

    name: str                       # the HTML name: `facts`, `parties[0].name`
    key: str                        # the property name
    label: str
    widget: str                     # text, textarea, number, date, datetime, select, radio, checkboxes, yesno,
    required: bool = False          #   list, group, files, hidden
    value: Any = None
    options: list[tuple[str, str]] = field(default_factory=list)
    help: str = ""
    hint: str = ""                  # the format a patterned field expects (`x-patternMessage`), said before it is filled
    attrs: dict = field(default_factory=dict)
    error: str = ""
    rows: list[list["Field"]] = field(default_factory=list)     # a group's filled rows
    template: list["Field"] = field(default_factory=list)       # a group's empty row, for "添加"
    sheet: score_sheet.Sheet | None = None                      # a score sheet's layout
    shown_when: dict | None = None          # a top-level field's `x-shownWhen`: shown only while the others match


def build(schema: dict, data: dict | None, errors: dict[str, str], choices: dict[str, list[tuple[str, str]]],
          prefix: str = "", sheets: dict[str, dict] | None = None) -> list[Field]:
    """The fields of an object schema, filled with data and errors (keyed by dotted field path); `sheets` gives
    each score-sheet field its standard and what `score_sheet.view` takes besides."""
    data = data or {}
    required = set(schema.get("required", []))
    return [_field(key, prop, data.get(key, prop.get("default")), key in required, errors, choices, prefix,
                   sheets or {})
            for key, prop in (schema.get("properties") or {}).items()]


def _field(key, prop, value, required, errors, choices, prefix, sheets) -> Field:
    name = f"{prefix}{key}"
    path = name.replace("[", ".").replace("]", "")
    item = prop.get("items") or {}
    widget = _widget(prop, item)
    made = Field(name=name, key=key, label=prop.get("title", key), widget=widget, required=required, value=value,
                 help=prop.get("description", ""), error=errors.get(path, ""), attrs=_attrs(prop))
    message = prop.get(vocabulary.PATTERN_MESSAGE)
    if prop.get("pattern") and isinstance(message, str) and message.strip():
        made.hint = message
        made.attrs["aria-describedby"] = f"hint-{name}"
    if "enum" in prop or "enum" in item:
        source = prop if "enum" in prop else item
        made.options = list(zip([str(v) for v in source["enum"]], [str(n) for n in source.get(
            "enumNames", source["enum"])]))
    elif prop.get("x-directory") or prop.get("x-organization"):
        made.options = [(value, engine_text(label)) for value, label in choices.get(key, [])]
    if not prefix and isinstance(prop.get(vocabulary.SHOWN_WHEN_KEYWORD), dict):
        made.shown_when = prop[vocabulary.SHOWN_WHEN_KEYWORD]
    if widget == "sheet" and key in sheets:
        context = dict(sheets[key])
        made.sheet = score_sheet.view(context.pop("standard"), value, errors, name, **context)
    if widget == "group":
        rows = value if isinstance(value, list) else []
        made.rows = [build(item, row, errors, choices, f"{name}[{i}].") for i, row in enumerate(rows)]
        made.template = build(item, {}, {}, choices, f"{name}[__index__].")
    return made


def _widget(prop: dict, item: dict) -> str:
    hint = prop.get("x-widget")
    kind = prop.get("type")
    if hint in ("files", "file"):
        return "files"
    if standards.is_sheet(prop):
        return "sheet"
    if kind == "boolean":
        return "yesno"
    if kind in ("integer", "number"):
        return "number"
    if kind == "array":
        if "enum" in item:
            return "checkboxes"
        return "group" if item.get("type") == "object" else "list"
    if "enum" in prop:
        return "radio" if hint == "radio" or (hint is None and len(prop["enum"]) <= 3) else "select"
    if prop.get("x-directory") or prop.get("x-organization"):
        return "select"
    if prop.get("format") == "date":
        return "date"
    if prop.get("format") == "date-time":
        return "datetime"
    if hint == "textarea" or (hint is None and not prop.get("pattern")
                              and prop.get("maxLength", LONG_TEXT + 1) > LONG_TEXT):
        return "textarea"
    return "text"


def _attrs(prop: dict) -> dict:
    out = {}
    for source, target in (("minimum", "min"), ("maximum", "max"), ("maxLength", "maxlength"),
                            ("minLength", "minlength")):
        if source in prop:
            out[target] = prop[source]
    if prop.get("type") == "number":
        out["step"] = "any"
    for keyword, target in ((NOT_AFTER, "max"), (NOT_BEFORE, "min")):     # the date picker offers only allowed days
        if prop.get(keyword) == TODAY and prop.get("format") == "date":
            out[target] = engine().today().isoformat()
    return out


# ---------------------------------------------------------------- posted form → data

def parse(schema: dict, form, uploaded: dict[str, list[dict]] | None = None, prefix: str = "") -> dict:
    """Typed data from a posted form (a MultiDict): empty inputs are left out so `required` can speak;
    text that is not a number stays text so the schema reports it on its field."""
    uploaded = uploaded or {}
    data: dict[str, Any] = {}
    for key, prop in (schema.get("properties") or {}).items():
        name = f"{prefix}{key}"
        item = prop.get("items") or {}
        widget = _widget(prop, item)
        if widget == "files":
            kept = [_json_int(v) for v in form.getlist(f"{name}.keep")]
            files = [f for f in uploaded.get(name, [])]
            previous = {a["attachment_id"]: a for a in uploaded.get(f"{name}.previous", [])}
            value = [previous[k] for k in kept if k in previous] + files
            if value:
                data[key] = value
        elif widget == "checkboxes":
            values = [v for v in form.getlist(name) if v != ""]
            if values or name in form:
                data[key] = [_scalar(item, v) for v in values]
        elif widget == "list":
            values = [v.strip() for v in form.getlist(name) if v.strip()]
            if values:
                data[key] = [_scalar(item, v) for v in values]
        elif widget == "sheet":
            sheet = score_sheet.parse(form, name, uploaded)
            if sheet:
                data[key] = sheet
        elif widget == "group":
            rows = []
            for index in sorted(_indices(form, name)):
                row = parse(item, form, uploaded, f"{name}[{index}].")
                if row:
                    rows.append(row)
            if rows:
                data[key] = rows
        else:
            raw = form.get(name, "")
            if raw.strip() != "":
                data[key] = _scalar(prop, raw)
    return data


def _indices(form, name: str) -> set[int]:
    found = set()
    start = f"{name}["
    for key in form.keys():
        if key.startswith(start):
            number = key[len(start):].split("]", 1)[0]
            if number.isdigit():
                found.add(int(number))
    return found


def _json_int(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def _scalar(prop: dict, raw: str):
    kind = prop.get("type")
    text = raw.strip() if kind != "string" or prop.get("format") else raw
    if kind == "boolean":
        return {"true": True, "false": False}.get(text, text)
    if kind in ("integer", "number"):
        return _number(text, kind)
    if prop.get("format") == "date-time" and len(text) == 16:        # datetime-local has no seconds or zone
        return f"{text}:00+08:00"
    return text


def _number(text: str, kind: str):
    """The number typed, or the text itself where it is none the data can hold (so the schema names the field):
    not a number, not finite (`1e999` reads as infinity), or an integer past 64 bits."""
    try:
        number = float(text) if kind == "number" and any(c in text for c in ".eE") else int(text)
    except ValueError:          # also what has more digits than Python reads
        return text
    if isinstance(number, float):
        return number if math.isfinite(number) else text
    return number if INT_RANGE[0] <= number <= INT_RANGE[1] else text


def error_map(errors) -> dict[str, str]:
    """Field errors keyed by dotted path (`parties.0.name`), as the engine reports them."""
    found: dict[str, str] = {}
    for error in errors:
        found.setdefault(error.field, engine_text(error))
    return found


def file_fields(schema: dict, prefix: str = "", form_keys=(), file_keys=()) -> list[str]:
    """HTML names of the file-upload fields at the top level of a schema, and of the evidence uploads of its
    score sheets that the posted form (its keys and its files' keys) carries."""
    names = []
    for key, prop in (schema.get("properties") or {}).items():
        widget = _widget(prop, prop.get("items") or {})
        if widget == "files":
            names.append(f"{prefix}{key}")
        elif widget == "sheet":
            names += score_sheet.evidence_fields(list(form_keys), list(file_keys), f"{prefix}{key}")
    return names
