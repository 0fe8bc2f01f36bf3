"""Registries as data: a bundle file `forms/**/*.registry.json` declares a directory's fields (an entry's number,
the entry it belongs to, its marks and references), the headers its entries' key, name and organisation
take in a workbook, and the roles that may edit it. Deploy checks each one against the JSON Schema below and then
for what a schema cannot say (a field or header named twice, labels that do not match the values, a pattern RE2
cannot run); each problem names the file, the JSON pointer and the line."""
from __future__ import annotations

from jsonschema import Draft202012Validator

from ..core.errors import Problem
from ..core.messages import Msg
from ..core.vocabulary import REGISTRY_FILE
from .forms import compile_pattern
from .json_files import Locator, keyed_definitions, parse_definition, schema_problems

FIELD_TYPES = ("string", "enum", "integer", "boolean", "list")
_TEXT = {"type": "string", "minLength": 1, "maxLength": 200}
_NAME = {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,62}$"}
_FIELD = {
    "type": "object", "required": ["name", "header", "type"], "additionalProperties": False,
    "properties": {"name": _NAME, "header": _TEXT, "type": {"enum": list(FIELD_TYPES)},
                   "required": {"type": "boolean"}, "description": {"type": "string"},
                   "values": {"type": "array", "minItems": 1, "uniqueItems": True, "items": _TEXT},
                   "labels": {"type": "array", "minItems": 1, "uniqueItems": True, "items": _TEXT},
                   "pattern": {"type": "string", "minLength": 1, "maxLength": 200},
                   "patternMessage": _TEXT, "maxLength": {"type": "integer", "minimum": 1, "maximum": 1000},
                   # the value (each item of a list) must be the key of an entry of that directory, or an
                   # organisation's code
                   "directory": _NAME, "organization": {"type": "boolean"}},
    "allOf": [{"if": {"properties": {"type": {"const": "enum"}}}, "then": {"required": ["values"]}},
              {"if": {"properties": {"type": {"const": "boolean"}}},
               "then": {"required": ["values"], "properties": {"values": {"minItems": 2, "maxItems": 2}}}}],
}
REGISTRY_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object", "additionalProperties": False,
    "required": ["key", "title", "keyHeader", "nameHeader", "orgHeader", "editRoles", "fields"],
    "properties": {
        "key": _NAME, "title": _TEXT, "description": {"type": "string"},
        "keyHeader": _TEXT, "nameHeader": _TEXT, "orgHeader": _TEXT,
        "keyPattern": {"type": "string", "minLength": 1, "maxLength": 200}, "keyPatternMessage": _TEXT,
        "editRoles": {"type": "array", "minItems": 1, "items": _TEXT},
        "fields": {"type": "array", "maxItems": 100, "items": _FIELD},
    },
}
_VALIDATOR = Draft202012Validator(REGISTRY_SCHEMA)


def is_registry_path(path: str) -> bool:
    """Whether a bundle file is a registry definition."""
    return path.startswith("forms/") and path.rsplit("/", 1)[-1].endswith("." + REGISTRY_FILE)


def read_registry(path: str, content: bytes) -> tuple[dict | None, list[Problem]]:
    """A registry file parsed and checked: (the registry, []) or (None, its problems)."""
    registry, text, problems = parse_definition(path, content, "registrydef")
    if problems:
        return None, problems
    locate = Locator(path, text)
    problems = schema_problems(_VALIDATOR, registry, locate, "registrydef")
    if not problems:
        problems = [locate(where, message, value) for where, message, value in semantic_problems(registry)]
    return (None if problems else registry), problems


def semantic_problems(registry: dict) -> list[tuple[str, Msg, str | None]]:
    """What a schema-valid registry may still get wrong, as (JSON pointer, message, the name it concerns)."""
    found = []
    names = {"key", "name", "kind"}          # an entry as diagrams read it: {kind, key, name, …its data}
    headers = {registry["keyHeader"], registry["nameHeader"], registry["orgHeader"]}
    if len(headers) < 3:
        found.append(("/keyHeader", Msg("registrydef.duplicate_header", header=registry["keyHeader"]), None))
    if "keyPattern" in registry:
        found += _pattern_problem("/keyPattern", registry["keyPattern"])
    for n, field in enumerate(registry["fields"]):
        if field["name"] in names or field["header"] in headers:
            found.append((f"/fields/{n}", Msg("registrydef.duplicate_field", name=field["name"],
                                              header=field["header"]), field["name"]))
        names.add(field["name"])
        headers.add(field["header"])
        if "labels" in field and len(field["labels"]) != len(field.get("values", [])):
            found.append((f"/fields/{n}/labels", Msg("registrydef.labels", name=field["name"]), field["name"]))
        if ("directory" in field or field.get("organization")) and field["type"] not in ("string", "list"):
            found.append((f"/fields/{n}/type", Msg("registrydef.reference_type", name=field["name"]), field["name"]))
        if "pattern" in field:
            found += _pattern_problem(f"/fields/{n}/pattern", field["pattern"])
    return found


def _pattern_problem(where: str, pattern: str) -> list:
    try:
        compile_pattern(pattern)
    except ValueError as exc:
        return [(where, exc.args[0], None)]
    return []


def check_registries(files: dict[str, bytes], problems: list[Problem]) -> dict[str, dict]:
    """The bundle's registries by path, each checked (a registry with a problem is left out); two files declaring
    the same key are a problem."""
    return keyed_definitions(files, problems, is_registry_path, read_registry, "registrydef")
