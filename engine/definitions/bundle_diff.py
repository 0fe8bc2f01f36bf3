"""A readable difference between two sets of definition files: files added and removed; in diagrams, elements
added, removed and changed (name, timers, conditions, scripts, documentation, properties, before and after);
in decision tables, rules added, removed and changed (each named by its number, conditions and outputs), columns
and hit policies; in forms, fields added, removed and changed; in scoring standards, the points and thresholds that changed."""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from lxml import etree

from ..core.messages import Msg
from .dmn_checks import tables as decision_tables
from .limit_tables import is_limits_path
from .standards import is_standard_path

WATCHED_CHILDREN = {  # child elements whose text is the behaviour policy staff change, with the aspect they are
    "timeDuration": Msg("diff.time_duration"), "timeDate": Msg("diff.time_date"),
    "timeCycle": Msg("diff.time_cycle"), "conditionExpression": Msg("diff.condition"),
    "script": Msg("diff.script"), "documentation": Msg("diff.documentation"),
    "messagePayload": Msg("diff.message_payload"), "messageVariable": Msg("diff.message_variable"),
    "text": Msg("diff.cell"), "inputExpression": Msg("diff.input_expression"),
}
IGNORED_TAGS = {"BPMNShape", "BPMNEdge", "BPMNPlane", "BPMNDiagram", "BPMNLabel", "Bounds", "waypoint",
                "incoming", "outgoing", "flowNodeRef", "extensionElements", "properties", "property"}


@dataclass
class Change:
    """One element or field that differs: what it is, and each aspect before and after."""

    key: str
    label: str
    kind: str
    aspects: list[tuple[Msg, str | Msg | None, str | Msg | None]] = field(default_factory=list)


@dataclass
class FileDiff:
    """How one file differs."""

    path: str
    status: str                      # added, removed, changed
    added: list[Change] = field(default_factory=list)
    removed: list[Change] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)


def diff(before: dict[str, bytes], after: dict[str, bytes]) -> list[FileDiff]:
    """The files that differ between two versions, each with its element or field changes."""
    out = []
    for path in sorted(set(before) | set(after)):
        if path not in after:
            out.append(FileDiff(path, "removed"))
        elif path not in before:
            out.append(FileDiff(path, "added"))
        elif before[path] != after[path]:
            found = FileDiff(path, "changed")
            if path.endswith(".dmn"):
                _compare(_decision_parts(before[path]), _decision_parts(after[path]), found)
            elif path.endswith(".bpmn"):
                _compare(_elements(before[path]), _elements(after[path]), found)
            elif path.endswith(".schema.json"):
                _compare(_fields(before[path]), _fields(after[path]), found)
            elif is_standard_path(path):
                _compare(_standard_parts(before[path]), _standard_parts(after[path]), found)
            elif is_limits_path(path):
                _compare(_limit_rows(before[path]), _limit_rows(after[path]), found)
            out.append(found)
    return out


def _compare(old: dict[str, Change], new: dict[str, Change], into: FileDiff) -> None:
    into.added = [new[k] for k in new if k not in old]
    into.removed = [old[k] for k in old if k not in new]
    for key in (k for k in new if k in old):
        before = {name: value for name, value, _ in old[key].aspects}
        after = {name: value for name, value, _ in new[key].aspects}
        aspects = [(name, before.get(name), after.get(name)) for name in dict.fromkeys([*before, *after])
                   if before.get(name) != after.get(name)]
        if aspects:
            into.changed.append(Change(key, new[key].label, new[key].kind, aspects))


def _elements(content: bytes) -> dict[str, Change]:
    """Every element with an id, with the aspects worth comparing."""
    try:
        root = etree.fromstring(content, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return {}
    found = {}
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        tag = etree.QName(element).localname
        key = element.get("id")
        if not key or tag in IGNORED_TAGS:
            continue
        aspects = [(Msg("diff.name"), element.get("name"), None)]
        aspects += [(Msg("diff.attribute", name=k), v, None) for k, v in sorted(element.attrib.items()) if k not in ("id", "name")]
        for child in element:
            if not isinstance(child.tag, str):
                continue
            local = etree.QName(child).localname
            if local in WATCHED_CHILDREN:
                aspects.append((WATCHED_CHILDREN[local], (child.text or "").strip(), None))
            elif local == "extensionElements":
                for prop in child.iter("{*}property"):
                    aspects.append((Msg("diff.property", name=prop.get("name")), prop.get("value"), None))
                for other in child:
                    if isinstance(other.tag, str) and etree.QName(other).localname in WATCHED_CHILDREN:
                        aspects.append((WATCHED_CHILDREN[etree.QName(other).localname], (other.text or "").strip(), None))
            elif local in ("timerEventDefinition", "messageEventDefinition"):
                for timer in child:
                    if isinstance(timer.tag, str) and etree.QName(timer).localname in WATCHED_CHILDREN:
                        aspects.append((WATCHED_CHILDREN[etree.QName(timer).localname], (timer.text or "").strip(), None))
                if child.get("messageRef"):
                    aspects.append((Msg("diff.message"), child.get("messageRef"), None))
        found[key] = Change(key, element.get("name") or key, tag, [(n, v, None) for n, v, _ in aspects])
    return found


def _fields(content: bytes) -> dict[str, Change]:
    """Every field of a form (nested ones with a dotted key), with its title, type, rules and whether required."""
    try:
        schema = json.loads(content)
    except ValueError:
        return {}
    found: dict[str, Change] = {}
    _walk(schema, "", found)
    return found


def _walk(schema: dict, prefix: str, found: dict[str, Change]) -> None:
    required = set(schema.get("required", []))
    for name, prop in (schema.get("properties") or {}).items():
        if not isinstance(prop, dict):
            continue
        key = f"{prefix}{name}"
        rules = {k: v for k, v in prop.items() if k not in ("title", "description", "properties", "items")}
        found[key] = Change(key, prop.get("title", name), "field", [
            (Msg("diff.title"), prop.get("title"), None),
            (Msg("diff.required"), Msg("diff.yes" if name in required else "diff.no"), None),
            (Msg("diff.description"), prop.get("description"), None),
            (Msg("diff.rules"), json.dumps(rules, ensure_ascii=False, sort_keys=True), None)])
        if prop.get("type") == "object":
            _walk(prop, f"{key}.", found)
        if isinstance(prop.get("items"), dict) and prop["items"].get("type") == "object":
            _walk(prop["items"], f"{key}[].", found)


# --- scoring standards: each dimension, item, bonus item, veto and band by code, with its points and thresholds.
_RULE_ASPECTS = (("kind", "diff.deduction_kind"), ("points", "diff.deduction_points"), ("cap", "diff.deduction_cap"))


def _standard_parts(content: bytes) -> dict[str, Change]:
    """The parts of a standard worth comparing: the scale, pass rule and veto band; every coded entry (codes are
    unique in a valid standard)."""
    try:
        standard = json.loads(content)
    except ValueError:
        return {}
    if not isinstance(standard, dict):
        return {}
    rule = standard.get("pass") or {}
    found = {"(standard)": Change("(standard)", str(standard.get("title", "")), "standard", [
        (Msg("diff.title"), standard.get("title"), None), (Msg("diff.scale"), _shown(standard.get("scale")), None),
        (Msg("diff.pass_mark"), _shown(rule.get("min_total")), None),
        (Msg("diff.pass_no_veto"), _shown(rule.get("no_veto")), None),
        (Msg("diff.veto_band"), standard.get("veto_band"), None)])}
    for dim in _entries(standard, "dimensions"):
        found[dim["code"]] = _part(dim, "dimension", [])
        for item in _entries(dim, "items"):
            deduction = item.get("deduction") if isinstance(item.get("deduction"), dict) else {}
            aspects = [(Msg(code), _shown(deduction.get(key)), None) for key, code in _RULE_ASPECTS]
            aspects += [(Msg("diff.veto"), _shown(item.get("veto")), None),
                        (Msg("diff.auto_rule"), _shown(item.get("auto")), None)]
            found[item["code"]] = _part(item, "item", aspects)
    for entry in _entries(standard, "bonus"):
        found[entry["code"]] = _part(entry, "bonus", [])
    for entry in _entries(standard, "vetoes"):
        found[entry["code"]] = _part(entry, "veto", [(Msg("diff.auto_rule"), _shown(entry.get("auto")), None)])
    for band in _entries(standard, "bands"):
        found[band["code"]] = Change(band["code"], str(band.get("label", band["code"])), "band", [
            (Msg("diff.title"), band.get("label"), None), (Msg("diff.band_min"), _shown(band.get("min")), None),
            (Msg("diff.band_max"), _shown(band.get("max")), None),
            (Msg("diff.passed"), _shown(band.get("passed")), None)])
    return found


def _entries(parent: dict, key: str) -> list[dict]:
    found = parent.get(key) if isinstance(parent, dict) else None
    if not isinstance(found, list):
        return []
    return [e for e in found if isinstance(e, dict) and isinstance(e.get("code"), str)]


def _part(entry: dict, kind: str, aspects: list) -> Change:
    base = [(Msg("diff.title"), entry.get("title"), None), (Msg("diff.points"), _shown(entry.get("points")), None)]
    return Change(entry["code"], str(entry.get("title", entry["code"])), kind, base + aspects)


def _shown(value) -> str | None:
    """A value as the diff shows it (None: not set)."""
    if value is None:
        return None
    if isinstance(value, (dict, list, bool)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


# --- decision tables: each table (hit policy), column and rule by id; a rule is named by its number, conditions and
# outputs ("3: 涉案金额（元） >= 50000 → \"重大\""), and each of its cells is an aspect named by its column.
ANY_VALUE = "-"


def _decision_parts(content: bytes) -> dict[str, Change]:
    """The tables, columns and rules of a DMN file worth comparing (an unreadable file has none)."""
    try:
        root = etree.fromstring(content, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return {}
    found: dict[str, Change] = {}
    for table in decision_tables(root):
        policy = table.hit_policy + (f" {table.aggregation}" if table.aggregation else "")
        found[table.id] = Change(table.id, table.name, "decision_table", [
            (Msg("diff.name"), table.name, None), (Msg("diff.hit_policy"), policy, None),
            (Msg("diff.description"), table.description or None, None)])
        for column in table.inputs:
            found[column.id] = Change(column.id, column.label, "decision_input", [
                (Msg("diff.title"), column.label, None), (Msg("diff.input_expression"), column.expression, None),
                (Msg("diff.type"), column.type_ref or None, None)])
        for column in table.outputs:
            found[column.id] = Change(column.id, column.label, "decision_output", [
                (Msg("diff.title"), column.label, None), (Msg("diff.output_name"), column.expression or None, None),
                (Msg("diff.type"), column.type_ref or None, None)])
        for rule in table.rules:
            cells = [(column, text.strip()) for column, (_, text, _) in zip(table.inputs, rule.inputs)]
            results = [(column, text.strip()) for column, (_, text, _) in zip(table.outputs, rule.outputs)]
            aspects = [(Msg("diff.condition_of", name=column.label), text or ANY_VALUE, None) for column, text in cells]
            aspects += [(Msg("diff.output_of", name=column.label), text, None) for column, text in results]
            aspects.append((Msg("diff.annotation"), rule.description or None, None))
            found[rule.id] = Change(rule.id, f"{rule.row}: {rule_summary(cells, results)}", "rule", aspects)
    return found


def rule_summary(cells, results) -> str:
    """A rule in one line: its conditions (columns that match anything left out), then its outputs."""
    conditions = []
    for column, text in cells:
        if not text or text == ANY_VALUE:
            continue
        operator = text[:1] in "<>=!" or "?" in text or text.startswith(("not ", "in "))
        conditions.append(f"{column.label} {text}" if operator else f"{column.label} = {text}")
    outputs = ", ".join(text for _, text in results if text)
    return f"{'; '.join(conditions) or ANY_VALUE} → {outputs or ANY_VALUE}"
# --- limits tables: each row by name, with its value, unit, roll-over rule, start and basis.
_LIMIT_ASPECTS = (("label", "diff.limit_label"), ("value", "diff.limit_value"), ("unit", "diff.limit_unit"),
                  ("rolls_over", "diff.limit_rolls_over"), ("starts", "diff.limit_starts"),
                  ("basis", "diff.limit_basis"))
_UNIT_WORDS = {"working_days": Msg("diff.unit_working_days"), "days": Msg("diff.unit_days"),     # words, not codes
               "hours": Msg("diff.unit_hours"), "months": Msg("diff.unit_months"), "years": Msg("diff.unit_years")}


def _limit_rows(content: bytes) -> dict[str, Change]:
    """Each row of a limits table by name, with the cells policy staff change."""
    try:
        table = json.loads(content)
    except ValueError:
        return {}
    rows = table.get("limits") if isinstance(table, dict) else None
    return {row["name"]: Change(row["name"], str(row.get("label", row["name"])), "limit",
                                [(Msg(code), _cell(key, row.get(key)), None) for key, code in _LIMIT_ASPECTS])
            for row in (rows if isinstance(rows, list) else [])
            if isinstance(row, dict) and isinstance(row.get("name"), str)}


def _cell(key: str, value) -> str | Msg | None:
    """A limit row's cell as the diff shows it: a unit by its word in the reader's language (an unknown unit as
    written), the rest as written."""
    return _UNIT_WORDS.get(value, _shown(value)) if key == "unit" and isinstance(value, str) else _shown(value)
