"""Reports as data: a bundle file `forms/**/*.report.json` names a process, how its cases are grouped (a reportable
field, `@org`, `@month` or `@status`), fixed filters and the measures shown (`count`, `rate` of a condition over a
base, `on_time` and `duration` of the process's tasks). Deploy checks each one against the JSON Schema below and,
once the processes are parsed, for what a schema cannot say: a process not in the bundle, a field the process does
not report, a task it does not have, a measure named twice, a condition no case can meet, and a rate whose base
(the denominator) no case can meet, so that it would be zero in every period. Each problem names the file, the JSON
pointer and the line. A report marked `"public": true` is shown on the public portal (公开数据), only its aggregate
figures, so it may group only by organisation, month, status or a field whose values the forms enumerate or the process labels
(`valueLabels`), never a free-text field such as a name. A `sum`, `mean` or `ratio` reads a numeric reportable `field`
(`field.key`: one key of an object field such as a score sheet's subtotals; a ratio divides by the sum of `over`),
or, for `sum` and `mean`, the time spent in `tasks`; a condition `{"has": …}` asks a list field (e.g.
`veto_items`) for one of the values. A report grouped by `@org` may name one of its rates as `orgTree`: the 统计
page then draws the organisation tree coloured by it. An on-time rate counts each step, or with `"per": "case"`
each case once (on time when none of its steps was late)."""
from __future__ import annotations

import ast

from jsonschema import Draft202012Validator

from ..core.errors import Problem
from ..core.messages import Msg
from ..core.vocabulary import REPORT_FILE, REPORTABLE_PROPERTY, VALUE_LABELS_PROPERTY
from ..sandbox import Sandbox
from .code_checks import compile_problem
from .json_files import Locator, keyed_definitions, parse_definition, schema_problems

KINDS = ("count", "rate", "on_time", "duration", "overdue", "sum", "mean", "ratio")
GROUPINGS = ("@org", "@month", "@status")
STATUSES = ("running", "suspended", "completed", "terminated", "error")
CHARTS = ("bar", "line", "stacked", "pie")
TREE_KINDS = ("rate", "on_time", "ratio")     # what an organisation chart (`orgTree`) may colour its units by
_TEXT = {"type": "string", "minLength": 1, "maxLength": 200}
_NAME = {"type": "string", "pattern": "^@?[a-z][a-z0-9_]{0,62}$"}
_SCALAR = {"type": ["string", "integer", "boolean"]}
_VALUES = {"anyOf": [_SCALAR, {"type": "array", "maxItems": 100, "items": _SCALAR}]}
_NOT = {"type": "object", "required": ["not"], "additionalProperties": False, "properties": {"not": _VALUES}}
_HAS = {"type": "object", "required": ["has"], "additionalProperties": False, "properties": {"has": _VALUES}}
CONDITION = {"type": "object", "maxProperties": 20, "propertyNames": _NAME,
             "additionalProperties": {"anyOf": [_VALUES, _NOT, _HAS]}}
_FIELD = {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,62}([.][A-Za-z0-9_-]{1,64})?$"}
_TASKS = {"type": "array", "minItems": 1, "maxItems": 50, "items": _TEXT}
_MEASURE = {
    "type": "object", "required": ["name", "label", "kind"], "additionalProperties": False,
    "properties": {"name": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,62}$"}, "label": _TEXT,
                   "kind": {"enum": list(KINDS)}, "where": CONDITION, "base": CONDITION, "tasks": _TASKS,
                   "percentiles": {"type": "array", "minItems": 1, "maxItems": 5,
                                   "items": {"type": "integer", "minimum": 1, "maximum": 100}},
                   "unit": {"enum": ["days", "hours"]}, "description": {"type": "string"},
                   "field": _FIELD, "over": _FIELD, "per": {"enum": ["step", "case"]}},
    "allOf": [{"if": {"properties": {"kind": {"const": "rate"}}}, "then": {"required": ["where", "base"]}},
              {"if": {"properties": {"kind": {"enum": ["on_time", "duration", "overdue"]}}},
               "then": {"required": ["tasks"]}},
              {"if": {"properties": {"kind": {"const": "duration"}}}, "then": {"required": ["percentiles"]}},
              {"if": {"properties": {"kind": {"enum": ["sum", "mean"]}}},
               "then": {"oneOf": [{"required": ["field"]}, {"required": ["tasks"]}]}},
              {"if": {"properties": {"kind": {"const": "ratio"}}}, "then": {"required": ["field", "over"]}},
              {"if": {"required": ["per"]}, "then": {"properties": {"kind": {"const": "on_time"}}}}],
}
REPORT_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object", "additionalProperties": False, "required": ["key", "title", "process", "groupBy", "measures"],
    "properties": {
        "key": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,62}$"}, "title": _TEXT,
        "description": {"type": "string"}, "process": _TEXT, "groupBy": _NAME, "groupLabel": _TEXT,
        "filters": CONDITION, "chart": {"enum": list(CHARTS)},
        "roles": {"type": "array", "items": _TEXT},
        "valueLabels": {"type": "object", "additionalProperties": _TEXT},
        "order": {"type": "integer"},
        "public": {"type": "boolean"},
        "orgTree": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,62}$"},
        "measures": {"type": "array", "minItems": 1, "maxItems": 20, "items": _MEASURE},
        "ranking": {"type": "object", "required": ["formula"], "additionalProperties": False,
                    "properties": {"label": _TEXT, "formula": {"type": "string", "minLength": 1, "maxLength": 2000},
                                   "order": {"enum": ["desc", "asc"]}, "description": {"type": "string"}}},
    },
}
# What a ranking formula may call besides the report's measures.
FORMULA_FUNCTIONS = frozenset({"min", "max", "abs", "round"})
_VALIDATOR = Draft202012Validator(REPORT_SCHEMA)
_FORMULA_SANDBOX = Sandbox()          # no helpers: a formula sees only the row's figures


def is_report_path(path: str) -> bool:
    """Whether a bundle file is a report definition."""
    return path.startswith("forms/") and path.rsplit("/", 1)[-1].endswith("." + REPORT_FILE)


def read_report(path: str, content: bytes) -> tuple[dict | None, list[Problem]]:
    """A report file parsed and checked against its schema: (the report, []) or (None, its problems)."""
    report, text, problems = parse_definition(path, content, "reportdef")
    if problems:
        return None, problems
    problems = schema_problems(_VALIDATOR, report, Locator(path, text), "reportdef")
    return (None if problems else report), problems


def check_reports(files: dict[str, bytes], problems: list[Problem]) -> dict[str, dict]:
    """The bundle's reports by path, each checked against its schema; two files declaring one key are a problem."""
    return keyed_definitions(files, problems, is_report_path, read_report, "reportdef")


def report_problems(reports: dict[str, dict], files: dict[str, bytes], properties: dict[str, dict],
                    tasks: dict[str, set[str]], choices: dict[str, set[str]]) -> list[Problem]:
    """What schema-valid reports still get wrong, given the bundle's processes (`properties`, their task ids in
    `tasks`) and the values a form allows each field (`choices`), located in each file."""
    problems = []
    for path, report in reports.items():
        locate = Locator(path, files[path].decode("utf-8-sig"))
        problems += [locate(where, message, name) for where, message, name in
                     semantic_problems(report, properties, tasks, choices)]
    return problems


def semantic_problems(report: dict, properties: dict[str, dict], tasks: dict[str, set[str]],
                      choices: dict[str, set[str]]) -> list[tuple[str, Msg, str | None]]:
    """A report's problems beyond its schema, as (JSON pointer, message, the name it concerns)."""
    process = report["process"]
    if process not in properties:
        return [("/process", Msg("reportdef.no_process", process=process), process)]
    fields = {f.strip() for f in properties[process].get(REPORTABLE_PROPERTY, "").split(",") if f.strip()}
    found = []
    group = report["groupBy"]
    if group not in GROUPINGS and group not in fields:
        found.append(("/groupBy", Msg("reportdef.unknown_field", field=group, process=process), group))
    found += _condition_problems("/filters", report.get("filters", {}), fields, process, choices, False)
    names = set()
    for n, measure in enumerate(report["measures"]):
        at = f"/measures/{n}"
        if measure["name"] in names:
            found.append((f"{at}/name", Msg("reportdef.duplicate_measure", name=measure["name"]), measure["name"]))
        names.add(measure["name"])
        found += _condition_problems(f"{at}/where", measure.get("where", {}), fields, process, choices, False)
        found += _condition_problems(f"{at}/base", measure.get("base", {}), fields, process, choices, True)
        for key in ("field", "over"):
            name = measure.get(key, "").split(".", 1)[0]
            if name and name not in fields:
                found.append((f"{at}/{key}", Msg("reportdef.unknown_field", field=name, process=process), name))
        for task in measure.get("tasks", []):
            if task not in tasks.get(process, set()):
                found.append((f"{at}/tasks", Msg("reportdef.unknown_task", task=task, process=process), task))
    if "ranking" in report:
        found += _formula_problems(report["ranking"]["formula"], names)
    if "orgTree" in report:
        tree = next((m for m in report["measures"] if m["name"] == report["orgTree"]), None)
        if group != "@org" or tree is None or tree["kind"] not in TREE_KINDS:
            found.append(("/orgTree", Msg("reportdef.tree_measure", name=report["orgTree"]), report["orgTree"]))
    labelled = {e.split("=", 1)[0].strip() for e in properties[process].get(VALUE_LABELS_PROPERTY, "").split(",")
                if "=" in e}
    if report.get("public") and group not in GROUPINGS and group in fields and group not in choices \
            and group not in labelled:
        found.append(("/groupBy", Msg("reportdef.public_group", field=group), group))
    return found


def _formula_problems(formula: str, measures: set[str]) -> list[tuple[str, Msg, str | None]]:
    """A ranking formula that does not compile in the sandbox, or names what is neither a measure nor one of the
    few functions it may call."""
    problem = compile_problem(_FORMULA_SANDBOX, formula, "eval")
    if problem is not None:
        return [("/ranking/formula", Msg("reportdef.bad_formula", detail=problem), None)]
    unknown = sorted({node.id for node in ast.walk(ast.parse(formula.strip(), mode="eval"))
                      if isinstance(node, ast.Name)} - measures - FORMULA_FUNCTIONS)
    return [("/ranking/formula", Msg("reportdef.formula_unknown_name", name=name), name) for name in unknown]


def _condition_problems(where: str, condition: dict, fields: set[str], process: str, choices: dict[str, set[str]],
                        base: bool) -> list[tuple[str, Msg, str | None]]:
    """Unknown fields, and values no case can hold (in a rate's base: a denominator that is always zero)."""
    found = []
    for name, wanted in condition.items():
        if name != "@status" and name not in fields:
            found.append((f"{where}/{name}", Msg("reportdef.unknown_field", field=name, process=process), name))
            continue
        if isinstance(wanted, dict) and "has" in wanted:       # a list field: its items' choices (`items.enum`)
            if wanted["has"] in ([], ""):
                code = "reportdef.zero_base" if base else "reportdef.never_holds"
                found.append((f"{where}/{name}", Msg(code, field=name, values="[]"), name))
                continue
        negated = isinstance(wanted, dict) and "not" in wanted
        values = wanted["not"] if negated else wanted["has"] if isinstance(wanted, dict) else wanted
        values = values if isinstance(values, list) else [values]
        allowed = set(STATUSES) if name == "@status" else choices.get(name)
        impossible = [] if negated or values else ["[]"]
        if allowed is not None and not negated:
            impossible += [str(v) for v in values if not isinstance(v, bool) and str(v) not in allowed]
        if impossible and (not values or len(impossible) == len(values)):
            code = "reportdef.zero_base" if base else "reportdef.never_holds"
            found.append((f"{where}/{name}", Msg(code, field=name, values=", ".join(impossible)), name))
        elif impossible:
            found.append((f"{where}/{name}", Msg("reportdef.unknown_value", field=name,
                                                 values=", ".join(impossible)), name))
    return found


def form_choices(forms: dict[str, dict], files: dict[str, bytes]) -> dict[str, set[str]]:
    """The values each field name may take, from every `enum` of the bundle's forms (as text, as reports compare);
    none when a form could not be read (its own problem says why), so reports are not blamed for its choices."""
    if any(p.startswith("forms/") and p.endswith(".schema.json") and p not in forms for p in files):
        return {}
    found: dict[str, set[str]] = {}
    for schema in forms.values():
        _collect_choices(schema, found)
    return found


def _collect_choices(schema, found: dict[str, set[str]]) -> None:
    if not isinstance(schema, dict):
        return
    for name, prop in (schema.get("properties") or {}).items():
        if not isinstance(prop, dict):
            continue
        items = prop.get("items") if isinstance(prop.get("items"), dict) else {}
        options = prop.get("enum") or items.get("enum")
        if isinstance(options, list):
            found.setdefault(name, set()).update(str(v) for v in options if not isinstance(v, bool))
        _collect_choices(prop, found)
        _collect_choices(items, found)
