"""Task forms: JSON Schema validation with one message per invalid field, in Chinese."""
from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from datetime import date
from typing import Any

import re2
from jsonschema import Draft202012Validator, FormatChecker, validators
from jsonschema.exceptions import ValidationError
from referencing import Registry
from referencing.exceptions import NoSuchResource, Unresolvable

from ..core.errors import DataValidationError, FieldError
from ..core.messages import Msg
from ..core.vocabulary import (FROM_CASE_KEYWORD, NOT_AFTER, NOT_BEFORE, PATTERN_MESSAGE, PREFILL,
                               RULE_MESSAGE_KEYWORD, SHOWN_WHEN_KEYWORD, WORKING_DAYS_AFTER_KEYWORD)
from ..time.workdays import WorkCalendar
from .form_dates import date_bound, field_title, limit_rule_names, working_days_after

_TYPES = ("string", "number", "integer", "boolean", "array", "object", "null")
_LIMITED = ("minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minItems",
            "maxItems", "format", "multipleOf")


def _message(error: ValidationError) -> Msg | str:
    v, value = error.validator, error.validator_value
    if v == "pattern" and isinstance(error.schema, dict) and isinstance(error.schema.get(PATTERN_MESSAGE), str):
        return error.schema[PATTERN_MESSAGE]         # what the form says the format is, e.g. an ID number's
    if v not in ("required", "additionalProperties") and isinstance(error.schema, dict) \
            and isinstance(error.schema.get(RULE_MESSAGE_KEYWORD), str):
        return error.schema[RULE_MESSAGE_KEYWORD]    # what the form says the rule is, e.g. an article's cap
    if v == "type":
        kinds = value if isinstance(value, list) else [value]
        return Msg("form.type", kinds=_either([Msg(f"kind.{k}") if k in _TYPES else k for k in kinds]))
    if isinstance(getattr(error, "msg", None), Msg):
        return error.msg                                # a lawflow keyword's own message (the date bounds)
    if v in _LIMITED:
        return Msg(f"form.{v}", value=value)
    if v in ("enum", "const", "pattern", "uniqueItems"):
        return Msg(f"form.{v}")
    return error.message


def _either(kinds: list) -> Msg | str:
    """`a或b或c`, each kind named in the reader's language."""
    found = kinds[-1]
    for kind in reversed(kinds[:-1]):
        found = Msg("form.or", first=kind, second=found)
    return found


def field_errors(validator: Draft202012Validator, data: dict) -> list[FieldError]:
    """Every field error of `data`, with a dotted field path and a Chinese message."""
    errors: list[FieldError] = []
    hidden = hidden_fields(validator.schema, data)
    data = visible(validator.schema, data)          # a hidden field is neither checked nor required
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path))):
        path = ".".join(str(p) for p in error.absolute_path)
        if error.validator == "required":
            for name in error.validator_value:
                if path == "" and name in hidden:
                    continue
                if isinstance(error.instance, dict) and name not in error.instance:
                    title = field_title(error.schema, name) or _title_at(validator.schema, error.absolute_path, name)
                    errors.append(FieldError(_join(path, name), Msg("form.required", title=title), "required"))
        elif error.validator == "additionalProperties" and isinstance(error.instance, dict):
            allowed = set(error.schema.get("properties", {}))
            for name in sorted(set(error.instance) - allowed):
                errors.append(FieldError(_join(path, name), Msg("form.unknown_field"), "additionalProperties"))
        else:
            errors.append(FieldError(path, _message(error), str(error.validator)))       # "": the whole form
    unique = {(e.field, e.message): e for e in reversed(errors)}     # a rule met twice (e.g. in allOf) is one error
    return [e for e in errors if unique.get((e.field, e.message)) is e]


def _title_at(root: dict, path, name: str) -> str:
    """The title of a field by where it is in the form: a rule of `if`/`then` or `allOf` requires a field that its
    own schema does not describe, so the error names it by the form's properties (else by its name)."""
    schema = root
    for step in path:
        schema = (schema.get("items") if isinstance(step, int) else (schema.get("properties") or {}).get(step)) \
            if isinstance(schema, dict) else None
    return field_title(schema, name) or name if isinstance(schema, dict) else name


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


# Date fields that cannot lie in the future (the day something was received) or the past (a planned date): the value
# is "today", the engine's day when the form is checked.
DATE_BOUNDS = (NOT_AFTER, NOT_BEFORE)
_CHECKED_KEYWORDS = (*DATE_BOUNDS, WORKING_DAYS_AFTER_KEYWORD,    # lawflow keywords that refuse data (the quick check cannot)
                     SHOWN_WHEN_KEYWORD)


def form_validator_class(today: Callable[[], date], calendar: WorkCalendar | None = None,
                         rows: dict[str, dict] | None = None):
    """Draft 2020-12 with the date bounds, measured against `today()`, the gaps between two dates of a form (on
    `calendar`, a gap naming a limit by the `rows` of the form's limits table), and `pattern` run by a
    linear-time engine."""
    return validators.extend(Draft202012Validator, {NOT_AFTER: date_bound(True, today),
                                                    NOT_BEFORE: date_bound(False, today), "pattern": _pattern,
                                                    WORKING_DAYS_AFTER_KEYWORD: working_days_after(
                                                        calendar or WorkCalendar(), rows or {})})


# --- patterns: a form's `pattern` runs in RE2, whose time is linear in the text, so a pattern such as (a+)+$
# cannot backtrack for minutes on a value someone submits (Python's `re` would). RE2 has no backreferences or
# lookaround; validation refuses a pattern it cannot compile. `\uXXXX` (JSON Schema's ECMA-262 escape) is read as
# RE2's `\x{XXXX}`.
_ESCAPE = re.compile(r"\\(u([0-9A-Fa-f]{4})|.)", re.DOTALL)
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False          # a refused pattern is reported to the author, not logged by RE2


@functools.lru_cache(maxsize=1024)
def compile_pattern(pattern: str):
    """A form pattern compiled by RE2; ValueError (carrying an engine message) when RE2 cannot run it."""
    translated = _ESCAPE.sub(lambda m: f"\\x{{{m.group(2)}}}" if m.group(2) else m.group(0), pattern)
    try:
        return re2.compile(translated, _RE2_OPTIONS)
    except re2.error as exc:
        detail = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        shown = pattern if len(pattern) <= 80 else pattern[:80] + "…"
        raise ValueError(Msg("form.pattern_unusable", pattern=repr(shown), detail=detail)) from None


def _pattern(validator, pattern, instance, schema):
    """The `pattern` keyword, searched by RE2 instead of Python's backtracking `re`."""
    if not validator.is_type(instance, "string"):
        return
    try:
        matches = compile_pattern(pattern).search(instance) is not None
    except ValueError as exc:               # a form stored before patterns were checked: refuse, never backtrack
        yield ValidationError(str(exc))
        return
    if not matches:
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _formats(regex: Callable[[str], bool]) -> FormatChecker:
    """jsonschema's format checks with `regex` replaced: Python's `re` would compile a value (or a form's pattern)
    recursively, and a few thousand nested groups exhaust the stack."""
    checker = FormatChecker()
    checker.checkers = {**Draft202012Validator.FORMAT_CHECKER.checkers, "regex": (regex, ValueError)}
    return checker


DATA_FORMATS = _formats(lambda value: not isinstance(value, str) or compile_pattern(value) is not None)
SCHEMA_FORMATS = _formats(lambda value: True)      # checking a form: patterns are compiled by schema_problems


# --- $ref: a form is data from a bundle, so a reference never makes the server fetch a URL or read a file.
def _refuse(uri: str):
    """Retrieval for form references: none (jsonschema's default would fetch the URL)."""
    raise NoSuchResource(ref=uri)


NO_FETCH = Registry(retrieve=_refuse)       # every form validator resolves references in this registry only


class FormCache:
    """Compiled validators per bundle version and form path; `today` is the day date bounds are measured from."""

    def __init__(self, today: Callable[[], date] = date.today, calendar: WorkCalendar | None = None) -> None:
        self._validators: dict[tuple[int, str], tuple[Draft202012Validator, Callable[[Any], bool] | None]] = {}
        self._today, self._calendar = today, calendar
        self._validator_class = form_validator_class(today, calendar)

    def _compiled(self, bundle_id: int, path: str, load, limits=None) -> tuple:
        key = (bundle_id, path)
        compiled = self._validators.get(key)
        if compiled is None:
            schema = json.loads(load())
            named = bool(limit_rule_names(schema))      # a rule names a row of the form's limits table
            validator_class = self._validator_class
            if named and limits is not None:
                validator_class = form_validator_class(self._today, self._calendar, limits())
            compiled = (validator_class(schema, format_checker=DATA_FORMATS, registry=NO_FETCH), quick_check(schema))
            if not named or limits is not None:         # one read without the table its rules need is not kept
                self._validators[key] = compiled
        return compiled

    def validator(self, bundle_id: int, path: str, load, limits=None) -> Draft202012Validator:
        """The validator of a form of a bundle; `load()` returns its bytes and `limits()` the rows by name of the
        limits table beside it, on a cache miss."""
        return self._compiled(bundle_id, path, load, limits)[0]

    def check(self, bundle_id: int, path: str, load, data: dict, limits=None, **context) -> None:
        """Raise DataValidationError listing every invalid field; return quietly when valid."""
        validator, quick = self._compiled(bundle_id, path, load, limits)
        if quick is not None and quick(data):
            return
        try:
            errors = field_errors(validator, data)
        except (Unresolvable, RecursionError) as exc:     # a form stored before references and depth were checked
            reason = Msg("form.outside_reference") if isinstance(exc, Unresolvable) else Msg("form.too_deep")
            errors = [FieldError("", Msg("form.cannot_check", reason=reason), "schema")]
        if errors:
            raise DataValidationError(Msg("form.fix_count", count=len(errors)), errors, **context)


# A form made only of these keywords gets a quick check that passes what is plainly valid; anything it does not
# pass, and every other form, goes through the JSON Schema validator, which also names the errors. Most task
# forms are flat lists of typed fields, and the generic validator costs a few times the rest of the check.
_ANNOTATIONS = frozenset({"$schema", "$id", "$comment", "title", "description", "default", "examples", "readOnly",
                          "writeOnly", "deprecated", "enumNames"})
_FORM_KEYWORDS = frozenset({"type", "properties", "required", "additionalProperties"})
_FIELD_KEYWORDS = frozenset({"type", "enum", "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum",
                             "exclusiveMaximum"})
_TYPE_TESTS: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer()),
}
_LENGTHS: dict[str, Callable[[Any, Any], bool]] = {
    "minLength": lambda v, n: len(v) >= n, "maxLength": lambda v, n: len(v) <= n,
}
_LIMITS: dict[str, Callable[[Any, Any], bool]] = {
    "minimum": lambda v, n: v >= n, "maximum": lambda v, n: v <= n,
    "exclusiveMinimum": lambda v, n: v > n, "exclusiveMaximum": lambda v, n: v < n,
}
_BOUNDS_OF_TYPE = {"string": _LENGTHS, "number": _LIMITS, "integer": _LIMITS, "boolean": {}}   # the rest ignore them


def _keywords_within(schema: dict, allowed: frozenset) -> bool:
    return all(k in allowed or k in _ANNOTATIONS or (k.startswith(("x-", "ui:")) and k not in _CHECKED_KEYWORDS)
               for k in schema)


def quick_check(schema) -> Callable[[Any], bool] | None:
    """For a flat form of typed fields, a test that is true only of data the full validator accepts; else None."""
    if not isinstance(schema, dict) or not _keywords_within(schema, _FORM_KEYWORDS) or schema.get("type") != "object":
        return None
    properties, required = schema.get("properties", {}), schema.get("required", [])
    others_allowed = schema.get("additionalProperties", True)
    if not isinstance(properties, dict) or not isinstance(required, list) or not isinstance(others_allowed, bool):
        return None
    fields = {name: _field_check(sub) for name, sub in properties.items()}
    if None in fields.values():
        return None

    def check(data) -> bool:
        if not isinstance(data, dict) or not all(name in data for name in required):
            return False
        for name, value in data.items():
            test = fields.get(name)
            if test is None:
                if not others_allowed:
                    return False
            elif not test(value):
                return False
        return True

    return check


def _field_check(schema) -> Callable[[Any], bool] | None:
    """A field's test when it only has a single simple type, string choices and bounds; else None."""
    if not isinstance(schema, dict) or not _keywords_within(schema, _FIELD_KEYWORDS):
        return None
    kind = _TYPE_TESTS.get(schema["type"]) if isinstance(schema.get("type"), str) else None
    choices = schema.get("enum")
    if kind is None or choices is not None and not (isinstance(choices, list)
                                                    and all(isinstance(c, str) for c in choices)):
        return None
    applicable = _BOUNDS_OF_TYPE[schema["type"]]
    bounds = [(applicable[k], schema[k]) for k in applicable if k in schema]
    if any(isinstance(n, bool) or not isinstance(n, (int, float)) for _, n in bounds):
        return None
    allowed = frozenset(choices) if choices is not None else None
    return lambda v: kind(v) and (allowed is None or v in allowed) and all(ok(v, n) for ok, n in bounds)


# Where a field's first value comes from. A form shows what the case already knows only in the fields that say so:
# `"x-prefill": "<case data name>"`, or `true` for the field's own name. Every other field starts empty, however
# the case's data names its keys: an earlier task's answer that shares a field's name (an approval's decision, a
# previous round's grounds) is never put into another form as if this one's reader had given it.


def prefill_sources(schema, keywords=(PREFILL, FROM_CASE_KEYWORD)) -> dict[str, str]:
    """Each top-level field of a form that declares where it is prefilled from: field name -> case data name
    (`x-prefill`, and `x-fromCase`, whose fields open with the case's value too)."""
    properties = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(properties, dict):
        return {}
    sources = {}
    for name, field in properties.items():
        source = next((field[k] for k in keywords if k in field), None) if isinstance(field, dict) else None
        if source is True:
            sources[name] = name
        elif isinstance(source, str) and source:
            sources[name] = source
    return sources


def case_sources(schema) -> dict[str, str]:
    """The top-level fields a form takes from the case (`x-fromCase`): field name -> case data name."""
    return prefill_sources(schema, (FROM_CASE_KEYWORD,))


def with_case_values(sources: dict[str, str], data: dict, known: dict) -> dict:
    """The submitted data with each `x-fromCase` field set to the case's value (removed when the case has none)."""
    values = {k: v for k, v in data.items() if k not in sources}
    values.update({name: known[source] for name, source in sources.items() if known.get(source) is not None})
    return values


def prefilled(schema, known: dict) -> dict:
    """A form's first data: the declared fields whose source the case knows, and nothing else."""
    return {name: known[source] for name, source in prefill_sources(schema).items()
            if known.get(source) is not None}


# Fields shown only when other fields have a value: `"x-shownWhen": {"respondent_type": "firm"}` on a top-level
# field. A hidden field is not required (whatever `required` or an `if`/`then` says) and what was sent for it is
# dropped, so a value typed before the condition changed is never stored.


def _meets(value, wanted) -> bool:
    choices = wanted if isinstance(wanted, list) else [wanted]
    if isinstance(value, list):             # a multiple choice meets the condition when it holds one of the values
        return any(v in choices for v in value)
    return value is not None and value in choices


def hidden_fields(schema, data) -> set[str]:
    """The top-level fields of a form that its `x-shownWhen` conditions hide, given the data."""
    properties = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(properties, dict) or not isinstance(data, dict):
        return set()
    return {name for name, field in properties.items()
            if isinstance(field, dict) and isinstance(field.get(SHOWN_WHEN_KEYWORD), dict)
            and not all(_meets(data.get(other), wanted) for other, wanted in field[SHOWN_WHEN_KEYWORD].items())}


def visible(schema, data):
    """The data without the fields its form hides (the data itself when none is hidden)."""
    hidden = hidden_fields(schema, data)
    return {k: v for k, v in data.items() if k not in hidden} if hidden else data
