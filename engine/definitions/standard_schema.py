"""The JSON Schema every scoring standard (`forms/**/standard.json`, `forms/**/*.standard.json`) must satisfy; the
checks JSON Schema cannot say (sums, bands, codes) are in `standards.py`."""
from __future__ import annotations

_TEXT = {"type": "string", "minLength": 1}
_NOTE = {"type": "string"}
_CODE = {"type": "string", "minLength": 1, "maxLength": 40}
_POINTS = {"type": "number", "minimum": 0}
_VALUE = {"type": ["string", "number", "boolean"]}

_DEDUCTION = {
    "type": "object", "required": ["kind", "points"], "additionalProperties": False,
    "properties": {"kind": {"enum": ["fixed", "per_occurrence", "per_share"]},
                   "points": {"type": "number", "exclusiveMinimum": 0},
                   "cap": {"type": "number", "exclusiveMinimum": 0},
                   "step": {"type": "number", "exclusiveMinimum": 0, "maximum": 100}, "unit": _NOTE, "label": _NOTE},
    # per_share: one occurrence per `step` percent of the rows found among the rows the rule covers
    "if": {"properties": {"kind": {"const": "per_share"}}}, "then": {"required": ["step"]},
    "else": {"not": {"required": ["step"]}},
}
_RULE_PARTS = {
    "match": {"type": "object", "minProperties": 1, "additionalProperties": _TEXT},
    "where": {"type": "array", "items": {
        "type": "object", "minProperties": 1,
        "additionalProperties": {"anyOf": [_VALUE, {"type": "array", "minItems": 1, "items": _VALUE}]}}},
    "period": {"type": "array", "minItems": 2, "maxItems": 2, "items": _TEXT},
}
PROCESS_RULE = {"type": "object", "required": ["process", "match"], "additionalProperties": False,
                "properties": {"process": _TEXT, **_RULE_PARTS}}
# A rule over a ledger's imported rows: `match` keys are row fields (`@org`: the row's organisation code).
LEDGER_RULE = {"type": "object", "required": ["ledger", "match"], "additionalProperties": False,
               "properties": {"ledger": _TEXT, **_RULE_PARTS}}
AUTO_RULE = {"type": "object", "if": {"required": ["ledger"]}, "then": LEDGER_RULE, "else": PROCESS_RULE}
_ITEM = {
    "type": "object", "required": ["code", "title", "points"], "additionalProperties": False,
    "properties": {"code": _CODE, "title": _TEXT, "points": _POINTS, "evidence": _NOTE,
                   "deduction": _DEDUCTION, "veto": {"type": "boolean"}, "auto": AUTO_RULE},
}
_DIMENSION = {
    "type": "object", "required": ["code", "title", "points", "items"], "additionalProperties": False,
    "properties": {"code": _CODE, "title": _TEXT, "points": _POINTS,
                   "items": {"type": "array", "minItems": 1, "items": _ITEM}},
}
_BONUS = {
    "type": "object", "required": ["code", "title", "points"], "additionalProperties": False,
    "properties": {"code": _CODE, "title": _TEXT, "points": {"type": "number", "exclusiveMinimum": 0},
                   "evidence": _NOTE},
}
_VETO = {
    "type": "object", "required": ["code", "title"], "additionalProperties": False,
    "properties": {"code": _CODE, "title": _TEXT, "evidence": _NOTE, "auto": AUTO_RULE},
}
_BAND = {
    "type": "object", "required": ["code", "label"], "additionalProperties": False,
    "properties": {"code": _CODE, "label": _TEXT, "min": {"type": "number"}, "max": {"type": "number"},
                   "passed": {"type": "boolean"}},
}

STANDARD_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object", "required": ["title", "scale", "dimensions", "bands"], "additionalProperties": False,
    "properties": {
        "title": _TEXT, "description": _NOTE, "basis": _NOTE,
        "scale": {"type": "number", "exclusiveMinimum": 0},
        "dimensions": {"type": "array", "minItems": 1, "items": _DIMENSION},
        "bonus": {"type": "array", "items": _BONUS},
        "vetoes": {"type": "array", "items": _VETO},
        "pass": {"type": "object", "additionalProperties": False,
                 "properties": {"min_total": {"type": "number"}, "no_veto": {"type": "boolean"}}},
        "bands": {"type": "array", "minItems": 1, "items": _BAND},
        "veto_band": _CODE,
    },
}
