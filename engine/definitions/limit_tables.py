"""Time limits as a table: `forms/<folder>/limits.json` holds the limits of the diagrams in `processes/<folder>/`,
one row each (name, label, value, unit, what starts it, whether a last day on a rest day rolls over, legal basis).
Diagrams call the limit helpers with a row's name, tasks name a row with the property `limit`, forms write
`{limit:name}` in their text and Word templates read `limits.name`: one cell changes every use. Deploy checks
each table (a unit it does not know, a negative value, a basis citing no source of the register, a name used
twice), each problem located by file and row; `limit_references` checks every name the other files use."""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import PurePosixPath

from jsonschema import Draft202012Validator

from ..core.errors import NotFound, Problem
from ..core.messages import Msg
from ..core.vocabulary import (
    LIMIT_BEFORE_HELPER, LIMIT_CLOCK_HELPER, LIMIT_DUE_HELPER, LIMIT_LAST_DAY_HELPER, LIMIT_PERIOD_HELPER,
    LIMIT_TEXT_HELPER, LIMIT_VALUE_HELPER, LIMITS_FILE,
)
from .json_files import Locator, parse_definition, schema_problems
from .limit_rows import MONTHS_IN, NAME_PATTERN, shift, value_text  # noqa: F401 - the table's surface

UNITS = ("working_days", "days", "hours", "months", "years")
REGISTER_PATH = "forms/legal_sources.json"
HELPERS = (LIMIT_DUE_HELPER, LIMIT_BEFORE_HELPER, LIMIT_VALUE_HELPER, LIMIT_CLOCK_HELPER, LIMIT_TEXT_HELPER,
           LIMIT_LAST_DAY_HELPER, LIMIT_PERIOD_HELPER)
# `{limit:name}`, or a sum of rows of one unit, `{limit:handling+extension.text}` (a derived period, e.g. the
# handling limit with its extension): each name is a row, the value is theirs added, the unit word the first's.
PLACEHOLDER = re.compile(r"\{limit:([A-Za-z0-9_]+(?:\+[A-Za-z0-9_]+)*)(\.text|\.unit)?\}")
_CITED = re.compile(r"\u300a([^\u300b]+)\u300b")     # a title in book-title marks
_TEXT = {"type": "string", "maxLength": 500}
_ROW = {
    "type": "object", "required": ["name", "label", "value", "unit", "basis"], "additionalProperties": False,
    "properties": {"name": {"type": "string", "pattern": NAME_PATTERN}, "label": {**_TEXT, "minLength": 1},
                   "value": {"type": "integer"}, "unit": {"type": "string"}, "starts": _TEXT,
                   "rolls_over": {"type": "boolean"}, "basis": {**_TEXT, "minLength": 1}, "note": _TEXT},
}
LIMITS_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object", "required": ["limits"], "additionalProperties": False,
    "properties": {"$comment": {"type": "string"}, "title": _TEXT,
                   "units": {"type": "object", "additionalProperties": {"type": "string", "maxLength": 20}},
                   "limits": {"type": "array", "maxItems": 500, "items": _ROW}},
}
_VALIDATOR = Draft202012Validator(LIMITS_SCHEMA)


def is_limits_path(path: str) -> bool:
    """Whether a bundle file is a limits table (`forms/<folder>/limits.json`)."""
    parts = path.split("/")
    return len(parts) >= 3 and parts[0] == "forms" and parts[-1] == LIMITS_FILE


@lru_cache(maxsize=1024)     # asked by every limit helper a step's expressions call; the answer never changes
def table_path(diagram_path: str) -> str:
    """The limits table of a diagram: `processes/<folder>/x.bpmn` → `forms/<folder>/limits.json`."""
    folder = PurePosixPath(diagram_path).parent.relative_to("processes") if diagram_path.startswith("processes/") \
        else PurePosixPath(".")
    return (PurePosixPath("forms") / folder / LIMITS_FILE).as_posix()


def rows_by_name(table: dict | None) -> dict[str, dict]:
    """A valid table's rows by name, each with the table's word for its unit (`unit_text`)."""
    units = (table or {}).get("units") or {}
    return {row["name"]: {**row, "unit_text": units.get(row["unit"], " " + row["unit"])}
            for row in (table or {}).get("limits", [])}


def rows_beside(files: dict[str, bytes], path: str) -> dict[str, dict]:
    """The rows by name of the limits table beside a file of `forms/` (a form, a report) among `files`; none when
    there is no table or it does not read as one (its own check says why)."""
    try:
        table = json.loads(files["/".join([*path.split("/")[:-1], LIMITS_FILE])].decode("utf-8-sig"))
    except (KeyError, UnicodeDecodeError, ValueError):
        return {}
    return rows_by_name(table) if _VALIDATOR.is_valid(table) else {}


def unit_clock(row: dict) -> str:
    """The unit `clock_remaining`/`clock_resume` take for a row: working, days (rolling) or calendar (what is left
    of a period of months or years is counted in days too)."""
    if row["unit"] == "working_days":
        return "working"
    return "days" if row.get("rolls_over") else "calendar"


def template_context(rows: dict[str, dict]) -> dict[str, dict]:
    """What a Word template reads as `limits.<name>` (rows by name): value, unit, text, label, starts, basis."""
    return {name: {"value": row["value"], "unit": row["unit"], "text": value_text(row), "label": row["label"],
                   "unit_text": row.get("unit_text", ""),
                   "starts": row.get("starts", ""), "basis": row["basis"], "rolls_over": bool(row.get("rolls_over"))}
            for name, row in rows.items()}


def fill_placeholders(value, rows: dict[str, dict]):
    """A form (or any JSON value) with `{limit:name}`, `{limit:name.text}` and `{limit:name.unit}` in its text
    replaced by the rows' values, and a `default` that is just `{limit:name}` by the row's value as a number (a
    deployment form's default follows the table); unknown names are left as written (deploy refuses them)."""
    if isinstance(value, str):
        if "{limit:" not in value:
            return value
        return PLACEHOLDER.sub(lambda m: _placeholder(m, rows), value)
    if isinstance(value, dict):
        return {k: _default(v, rows) if k == "default" else fill_placeholders(v, rows) for k, v in value.items()}
    if isinstance(value, list):
        return [fill_placeholders(v, rows) for v in value]
    return value


def _default(value, rows: dict[str, dict]):
    match = PLACEHOLDER.fullmatch(value) if isinstance(value, str) else None
    row = placeholder_row(match.group(1), rows) if match and not match.group(2) else None
    if row is not None:
        return row["value"]
    return fill_placeholders(value, rows)


def placeholder_names(written: str) -> list[str]:
    """The row names a placeholder's name part holds (`handling+extension` → both)."""
    return written.split("+")


def placeholder_row(written: str, rows: dict[str, dict]) -> dict | None:
    """The row a placeholder's name part stands for: a row, or for a sum the first row with the values added;
    None when a name is not a row or the rows of a sum differ in unit (deploy refuses both)."""
    found = [rows.get(name) for name in placeholder_names(written)]
    if any(row is None for row in found) or len({row["unit"] for row in found}) > 1:
        return None
    return {**found[0], "value": sum(int(row["value"]) for row in found)}


def _placeholder(match, rows: dict[str, dict]) -> str:
    row = placeholder_row(match.group(1), rows)
    if row is None:
        return match.group(0)
    if match.group(2) == ".unit":
        return row.get("unit_text", "").strip()
    return value_text(row) if match.group(2) else str(row["value"])


def table_beside(form_path: str) -> str:
    """The limits table beside a file of `forms/` (a form, a report, a template)."""
    return "/".join([*form_path.split("/")[:-1], LIMITS_FILE])


def bundle_rows(cache: dict, session, bundle_id: int, diagram_path: str, *,
                table: str | None = None) -> tuple[str, dict[str, dict]]:
    """The limits table of a diagram (or the `table` path given) in a bundle version, and its rows by name (none
    when the bundle has no table), kept in `cache` (bundle versions never change)."""
    from .bundles import bundle_file       # bundles imports validation, which imports this module
    path = table or table_path(diagram_path)
    rows = cache.get((bundle_id, path))
    if rows is None:
        try:
            rows = rows_by_name(json.loads(bundle_file(session, bundle_id, path).decode("utf-8-sig")))
        except NotFound:
            rows = {}
        cache[(bundle_id, path)] = rows
    return path, rows


# --- checks ------------------------------------------------------------------------------------------------------

def read_table(path: str, content: bytes, register: dict | None) -> tuple[dict | None, list[Problem]]:
    """A limits table parsed and checked, or None with its problems, each naming the row (`/limits/3/unit`)."""
    data, text, problems = parse_definition(path, content, "limits")
    if problems:
        return None, problems
    locate = Locator(path, text)
    problems = schema_problems(_VALIDATOR, data, locate, "limits")
    if problems:
        return None, problems
    if register is None and data["limits"]:     # the bases cannot be checked: say so once, not once a row
        problems.append(locate("/limits", Msg("limits.register_missing", register=REGISTER_PATH), ""))
    local, titles = _register(register)
    seen: dict[str, int] = {}
    for index, row in enumerate(data["limits"]):
        where = f"/limits/{index}"
        if row["name"] in seen:
            problems.append(locate(f"{where}/name", Msg("limits.duplicate", name=row["name"], row=index + 1,
                                                        other=seen[row["name"]] + 1), row["name"]))
        seen.setdefault(row["name"], index)
        if row["unit"] not in UNITS:
            problems.append(locate(f"{where}/unit", Msg("limits.unit", name=row["name"], row=index + 1,
                                                        unit=row["unit"], units=", ".join(UNITS)), row["name"]))
        if row["value"] < 0:
            problems.append(locate(f"{where}/value", Msg("limits.negative", name=row["name"], row=index + 1,
                                                         value=row["value"]), row["name"]))
        problems += [locate(f"{where}/basis", message, row["name"]) for message in basis_problems(
            row["basis"], local, titles, name=row["name"], row=index + 1) if register is not None]
    return (None if problems else data), problems


def basis_problems(basis: str, local: str, titles: set[str], **where) -> list[Msg]:
    """Why a basis is not one: it must say `local` or cite a title of the register, and cite no other title."""
    cited = _CITED.findall(basis)
    unknown = [title for title in cited if _normal(title) not in titles]
    if unknown:
        return [Msg("limits.basis_unknown", title=unknown[0], **where)]
    if not cited and not (local and local in basis):
        return [Msg("limits.basis_missing", local=local, **where)]
    return []


def _register(register: dict | None) -> tuple[str, set[str]]:
    register = register if isinstance(register, dict) else {}
    sources = register.get("sources") if isinstance(register.get("sources"), list) else []
    titles = {_normal(s["title"]) for s in sources if isinstance(s, dict) and isinstance(s.get("title"), str)}
    return str(register.get("local") or ""), titles


def _normal(title: str) -> str:
    """Full-width and half-width brackets alike, no spaces."""
    return title.replace(chr(0xFF08), "(").replace(chr(0xFF09), ")").replace(" ", "").strip()


def check_limit_tables(files: dict[str, bytes], problems: list[Problem]) -> dict[str, dict]:
    """The bundle's limits tables by path, each checked; a table with a problem is left out (and the names its
    diagrams use are then not checked against it)."""
    try:
        register = json.loads(files[REGISTER_PATH].decode("utf-8-sig")) if REGISTER_PATH in files else None
    except (UnicodeDecodeError, ValueError):
        register = None
    found = {}
    for path in sorted(p for p in files if is_limits_path(p)):
        table, own = read_table(path, files[path], register)
        problems.extend(own)
        if table is not None:
            found[path] = table
    return found


def table_from_cells(existing: dict | None, cells: list[dict]) -> dict:
    """A limits table from the cells of the table editor (each row's cells as text; a value that is not a whole
    number stays text so that the check names its cell), keeping the rest of the existing table."""
    table = {k: v for k, v in (existing or {}).items() if k != "limits"} if isinstance(existing, dict) else {}
    rows = []
    for cell in cells:
        if not any(str(cell.get(k) or "").strip() for k in ("name", "label", "value", "basis")):
            continue                # an empty added row
        raw = str(cell.get("value") or "").strip()
        value = int(raw) if re.fullmatch(r"-?\d{1,9}", raw) else raw
        row = {"name": str(cell.get("name") or "").strip(), "label": str(cell.get("label") or "").strip(),
               "value": value, "unit": str(cell.get("unit") or "").strip(),
               "starts": str(cell.get("starts") or "").strip(), "rolls_over": bool(cell.get("rolls_over")),
               "basis": str(cell.get("basis") or "").strip()}
        if cell.get("note"):
            row["note"] = str(cell["note"])
        rows.append(row)
    table["limits"] = rows
    return table


def table_bytes(table: dict) -> bytes:
    """A limits table as stored: one row a line, so the file's own diff reads row by row too."""
    head = {k: v for k, v in table.items() if k != "limits"}
    lines = ["{"] + [f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}," for k, v in head.items()]
    rows = [f"    {json.dumps(row, ensure_ascii=False)}" for row in table.get("limits", [])]
    lines += ['  "limits": [', ",\n".join(rows), "  ]", "}"] if rows else ['  "limits": []', "}"]
    return ("\n".join(line for line in lines if line) + "\n").encode()


def markdown(table: dict) -> str:
    """A limits table as the README shows it (`python -m engine.definitions.limit_tables forms/x/limits.json`)."""
    lines = ["| name | limit | value | unit | starts | rolls over | basis |", "|---|---|---|---|---|---|---|"]
    lines += [f"| `{r['name']}` | {r['label']} | {r['value']} | {r['unit']} | {r.get('starts', '')} | "
              f"{'yes' if r.get('rolls_over') else 'no'} | {r['basis']} |" for r in table.get("limits", [])]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import sys

    with open(sys.argv[1], encoding="utf-8-sig") as source:
        print(markdown(json.load(source)), end="")
