"""Scoring standards as data: a bundle file (`forms/**/standard.json`, `forms/**/*.standard.json`) of dimensions,
items with their points and deduction rules, bonus items, vetoes, a pass rule and outcome bands. Deploy checks each
one against its JSON Schema and then for what a schema cannot say (sums, bands that cover every total, unique
codes); each problem names the file, the JSON pointer and, where it can, the line. Forms name a standard with
`x-standard`; deploy checks that the standard is in the bundle."""
from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator

from jsonschema import Draft202012Validator

from ..core.errors import Problem
from ..core.messages import Msg
from ..core.vocabulary import REPORTABLE_PROPERTY, STANDARD_COMPARE_KEYWORD, STANDARD_FILE, STANDARD_KEYWORD
from .json_files import parse_definition, schema_problems
from .standard_schema import STANDARD_SCHEMA

_VALIDATOR = Draft202012Validator(STANDARD_SCHEMA)


def is_standard_path(path: str) -> bool:
    """Whether a bundle file is a scoring standard."""
    name = path.rsplit("/", 1)[-1]
    return path.startswith("forms/") and (name == STANDARD_FILE or name.endswith("." + STANDARD_FILE))


def items(standard: dict) -> Iterator[tuple[dict, dict]]:
    """Every (dimension, item) of a standard, in order."""
    for dimension in standard.get("dimensions", []):
        for item in dimension.get("items", []):
            yield dimension, item


def bonus_max(standard: dict) -> float:
    """The most bonus points a sheet can add."""
    return sum(b["points"] for b in standard.get("bonus", []))


def read_standard(path: str, content: bytes) -> tuple[dict | None, list[Problem]]:
    """A standard file parsed and checked: (the standard, []) or (None or the standard, its problems)."""
    standard, text, problems = parse_definition(path, content, "standard")
    if problems:
        return None, problems
    locate = _Locator(path, text)
    problems = schema_problems(_VALIDATOR, standard, locate, "standard")
    if problems:
        return None, problems
    return standard, [locate(where, message, code) for where, message, code in semantic_problems(standard)]


def semantic_problems(standard: dict) -> list[tuple[str, Msg, str | None]]:
    """What a schema-valid standard may still get wrong, as (JSON pointer, message, the code it concerns)."""
    found = _code_problems(standard) + _points_problems(standard) + _band_problems(standard)
    codes = {band["code"] for band in standard["bands"]}
    if "veto_band" in standard and standard["veto_band"] not in codes:
        found.append(("/veto_band", Msg("standard.veto_band", band=standard["veto_band"]), standard["veto_band"]))
    top = standard["scale"] + bonus_max(standard)
    minimum = standard.get("pass", {}).get("min_total")
    if minimum is not None and not 0 <= minimum <= top:
        found.append(("/pass/min_total", Msg("standard.pass_range", value=minimum, high=top), None))
    return found


def _code_problems(standard: dict) -> list:
    seen: set[str] = set()
    found = []
    places = [(f"/dimensions/{d}", dim) for d, dim in enumerate(standard["dimensions"])]
    places += [(f"/dimensions/{d}/items/{i}", item) for d, dim in enumerate(standard["dimensions"])
               for i, item in enumerate(dim["items"])]
    for key in ("bonus", "vetoes", "bands"):
        places += [(f"/{key}/{n}", entry) for n, entry in enumerate(standard.get(key, []))]
    for where, entry in places:
        if entry["code"] in seen:
            found.append((where, Msg("standard.duplicate_code", code=entry["code"]), entry["code"]))
        seen.add(entry["code"])
    return found


def _points_problems(standard: dict) -> list:
    found = []
    total = 0
    for d, dim in enumerate(standard["dimensions"]):
        total += dim["points"]
        summed = 0
        for i, item in enumerate(dim["items"]):
            where, code, title, points = f"/dimensions/{d}/items/{i}", item["code"], item["title"], item["points"]
            summed += points
            if points > dim["points"]:
                found.append((where, Msg("standard.item_exceeds_dimension", item=code, title=title, points=points,
                                         dimension=dim["code"], limit=dim["points"]), code))
            found += _rule_problems(where, item)
        if not math.isclose(summed, dim["points"]):
            found.append((f"/dimensions/{d}", Msg("standard.items_sum", dimension=dim["code"], title=dim["title"],
                                                  total=summed, points=dim["points"]), dim["code"]))
    if not math.isclose(total, standard["scale"]):
        found.append(("/scale", Msg("standard.dimensions_sum", total=total, scale=standard["scale"]), None))
    return found


def _rule_problems(where: str, item: dict) -> list:
    rule, code, title, points = item.get("deduction"), item["code"], item["title"], item["points"]
    found = []
    if rule is not None and rule["points"] > points:
        found.append((f"{where}/deduction/points", Msg("standard.deduction_exceeds", item=code, title=title,
                                                       points=rule["points"], limit=points), code))
    if rule is not None and rule.get("cap", 0) > points:
        found.append((f"{where}/deduction/cap", Msg("standard.cap_exceeds", item=code, title=title,
                                                    cap=rule["cap"], limit=points), code))
    if rule is not None and rule["kind"] == "per_share" and "auto" in item and "ledger" not in item["auto"]:
        found.append((f"{where}/auto", Msg("standard.per_share_needs_ledger", item=code, title=title), code))
    if "auto" in item and rule is None:
        found.append((f"{where}/auto", Msg("standard.auto_needs_deduction", item=code, title=title), code))
    return found


def _band_problems(standard: dict) -> list:
    """Bands are half-open [min, max) and together cover 0 .. scale + bonus exactly once."""
    found = []
    bands = []
    for n, band in enumerate(standard["bands"]):
        low, high = band.get("min", -math.inf), band.get("max", math.inf)
        if low >= high:
            found.append((f"/bands/{n}", Msg("standard.band_empty", band=band["code"]), band["code"]))
        else:
            bands.append((low, high, n, band["code"]))
    if not bands:
        return found
    bands.sort()
    top = standard["scale"] + bonus_max(standard)
    if bands[0][0] > 0:
        found.append((f"/bands/{bands[0][2]}", Msg("standard.bands_start", band=bands[0][3], low=bands[0][0]),
                      bands[0][3]))
    reached, last = bands[0][1], bands[0]
    for band in bands[1:]:
        low, high, n, code = band
        if low > reached:
            found.append((f"/bands/{n}", Msg("standard.band_gap", low=reached, high=low), code))
        elif low < reached:
            found.append((f"/bands/{n}", Msg("standard.band_overlap", first=last[3], second=code), code))
        if high > reached:
            reached, last = high, band
    if reached <= top:
        found.append((f"/bands/{last[2]}", Msg("standard.bands_end", band=last[3], high=top), last[3]))
    return found


def band_for(standard: dict, total: float) -> dict | None:
    """The band a total falls in (bands are half-open [min, max))."""
    for band in standard["bands"]:
        if band.get("min", -math.inf) <= total < band.get("max", math.inf):
            return band
    return None


class _Locator:
    """Makes located problems: the file, the JSON pointer, and the line of the code or key concerned."""

    def __init__(self, path: str, text: str):
        self.path, self.text = path, text

    def __call__(self, where: str, message: Msg, code: str | None) -> Problem:
        return Problem(self.path, message, element=where or "/", line=self.line(where, code))

    def line(self, where: str, code: str | None) -> int | None:
        """The line of `"code": "<code>"` when a code is known (the n-th for the n-th duplicate), else of the
        last key named in the pointer."""
        needle = f'"{code}"' if code is not None else None
        if needle is None:
            keys = [part for part in where.split("/") if part and not part.isdigit()]
            needle = f'"{keys[-1]}"' if keys else None
        found = self.text.find(needle) if needle else -1
        if found < 0:
            return None
        if code is not None and where.startswith(("/dimensions", "/bonus", "/vetoes", "/bands")):
            found = self._nth(needle, where, found)
        return self.text.count("\n", 0, found) + 1

    def _nth(self, needle: str, where: str, first: int) -> int:
        """A duplicate code's own place: its pointer's position among entries that carry the same code."""
        found, at, want = first, first, self._ordinal(where, needle.strip('"'))
        for _ in range(want):
            at = self.text.find(needle, at + 1)
            if at < 0:
                break
            found = at
        return found

    def _ordinal(self, where: str, code: str) -> int:
        standard = json.loads(self.text)
        pointers = [f"/dimensions/{d}" for d, dim in enumerate(standard["dimensions"]) if dim.get("code") == code]
        pointers += [f"/dimensions/{d}/items/{i}" for d, dim in enumerate(standard["dimensions"])
                     for i, item in enumerate(dim["items"]) if item.get("code") == code]
        pointers += [f"/{key}/{n}" for key in ("bonus", "vetoes", "bands")
                     for n, entry in enumerate(standard.get(key, [])) if entry.get("code") == code]
        owner = next((p for p in pointers if where == p or where.startswith(p + "/")), None)
        return pointers.index(owner) if owner in pointers else 0


def check_standards(files: dict[str, bytes], problems: list[Problem]) -> dict[str, dict]:
    """The bundle's standards by path, each checked; a standard with a problem is left out."""
    found = {}
    for path in sorted(files):
        if is_standard_path(path):
            standard, own = read_standard(path, files[path])
            problems.extend(own)
            if standard is not None and not own:
                found[path] = standard
    return found


def reference_problems(forms: dict[str, dict], standards: dict[str, dict], files: dict[str, bytes]) -> list[Problem]:
    """`x-standard` on a top-level object field naming a standard of the bundle; `x-standard-compare` beside it."""
    problems = []
    for path, schema in forms.items():
        text = files[path].decode("utf-8", errors="replace")
        for where, node, top in _fields(schema):
            target = node.get(STANDARD_KEYWORD)
            line = _line_of(text, where, STANDARD_KEYWORD if target is not None else STANDARD_COMPARE_KEYWORD)
            if target is None:
                if STANDARD_COMPARE_KEYWORD in node:
                    problems.append(Problem(path, Msg("standard.compare_alone", keyword=STANDARD_COMPARE_KEYWORD,
                                                      standard=STANDARD_KEYWORD), element=where, line=line))
                continue
            if not top or node.get("type") != "object":
                problems.append(Problem(path, Msg("standard.reference_place", keyword=STANDARD_KEYWORD),
                                        element=where, line=line))
            elif not isinstance(target, str) or f"forms/{target}" not in standards:
                shown = f"forms/{target}" if isinstance(target, str) else repr(target)
                if shown not in files:          # a standard that is there but invalid has its own problems
                    problems.append(Problem(path, Msg("standard.reference", keyword=STANDARD_KEYWORD, path=shown),
                                            element=where, line=line))
            compare = node.get(STANDARD_COMPARE_KEYWORD)
            if compare is not None and not (isinstance(compare, str) and compare.strip()):
                problems.append(Problem(path, Msg("standard.compare_value", keyword=STANDARD_COMPARE_KEYWORD,
                                                  value=repr(compare)), element=where, line=line))
    return problems


def _fields(schema: dict) -> Iterator[tuple[str, dict, bool]]:
    """Every field schema of a form holding a standard keyword, with its place and whether it is top-level."""
    stack = [("", schema, False)]
    while stack:
        where, node, top = stack.pop()
        if not isinstance(node, dict):
            continue
        if where and (STANDARD_KEYWORD in node or STANDARD_COMPARE_KEYWORD in node):
            yield where, node, top
        for name, sub in (node.get("properties") or {}).items() if isinstance(node.get("properties"), dict) else ():
            stack.append((f"{where}/{name}".lstrip("/"), sub, not where))
        if isinstance(node.get("items"), dict):
            stack.append((f"{where}/items", node["items"], False))


def _line_of(text: str, where: str, keyword: str) -> int | None:
    """The line of a keyword in a form file: the first after the keys of its field's place, in order."""
    at = 0
    for name in where.split("/"):
        found = text.find(json.dumps(name, ensure_ascii=False), at)
        at = found if found >= 0 else at
    found = text.find(json.dumps(keyword), at)
    return text.count("\n", 0, found) + 1 if found >= 0 else None


def auto_rule_warnings(standards: dict[str, dict], properties: dict[str, dict], files: dict[str, bytes],
                       ledgers: dict[str, dict] | None = None) -> list[Problem]:
    """Warnings (a deploy goes on) for auto rules naming a process or ledger not in the bundle, or a field it does
    not report: such a rule would never find a case or row."""
    problems = []
    fields_of = {key: {f.strip() for f in props.get(REPORTABLE_PROPERTY, "").split(",")}
                 for key, props in properties.items()}
    ledger_fields = {ledger["key"]: ledger_row_fields(ledger) for ledger in (ledgers or {}).values()}
    for path, standard in standards.items():
        locate = _Locator(path, files[path].decode("utf-8-sig"))
        for where, code, rule in _auto_rules(standard):
            line = locate.line(where, code)
            ledger = "ledger" in rule
            name, known = (rule["ledger"], ledger_fields) if ledger else (rule["process"], fields_of)
            if name not in known:
                message = (Msg("standard.auto_ledger", item=code, ledger=name) if ledger
                           else Msg("standard.auto_process", item=code, process=name))
                problems.append(Problem(path, message, element=where, line=line, severity="warning"))
                continue
            named = list(rule["match"]) + [k for condition in rule.get("where", []) for k in condition]
            for field in dict.fromkeys(n for n in named if n not in known[name]):
                message = (Msg("standard.auto_ledger_field", item=code, ledger=name, field=field) if ledger
                           else Msg("standard.auto_field", item=code, process=name, field=field))
                problems.append(Problem(path, message, element=where, line=line, severity="warning"))
    return problems


def ledger_row_fields(ledger: dict) -> set[str]:
    """The fields a ledger's rows hold and a rule may name: its columns, its measures and `@org`."""
    fields = {"@org"} | {column["name"] for column in ledger["columns"]}
    for measure in ledger.get("measures", []):
        fields.add(measure["name"])
        if "from" in measure:
            fields.add(measure["name"] + "_days")
    return fields


def _auto_rules(standard: dict) -> Iterator[tuple[str, str, dict]]:
    for d, dim in enumerate(standard["dimensions"]):
        for i, item in enumerate(dim["items"]):
            if "auto" in item:
                yield f"/dimensions/{d}/items/{i}/auto", item["code"], item["auto"]
    for n, veto in enumerate(standard.get("vetoes", [])):
        if "auto" in veto:
            yield f"/vetoes/{n}/auto", veto["code"], veto["auto"]


class StandardCache:
    """Parsed standards per bundle version and path (bundle versions never change)."""

    def __init__(self) -> None:
        self._standards: dict[tuple[int, str], dict] = {}

    def get(self, bundle_id: int, path: str, load: Callable[[], bytes]) -> dict:
        """The standard at `path` (relative to the bundle root) of a bundle version; `load()` gives its bytes."""
        key = (bundle_id, path)
        standard = self._standards.get(key)
        if standard is None:
            standard = self._standards[key] = json.loads(load())
        return standard
