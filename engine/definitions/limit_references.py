"""The limit names a bundle's files use, checked against their folder's limits table: helper calls, the `limit`
property and `{limit:…}` in a diagram's documentation and text properties, `{limit:…}` in a form's text and the
`limit` of its `x-workingDaysAfter` rules, `limits.<name>` in a Word template, `{limit:…}` in a report definition's
texts; each unknown name is located by file and element, JSON path, paragraph or line."""
from __future__ import annotations

import ast
import io
import json
import re
import textwrap
import zipfile

from lxml import etree

from ..core.errors import Problem
from ..core.messages import Msg
from ..core.vocabulary import LIMIT_PROPERTY, LIMITS_FILE, WORKING_DAYS_AFTER_KEYWORD
from .code_checks import UNPARSABLE
from .limit_tables import (
    HELPERS, PLACEHOLDER, REGISTER_PATH, fill_placeholders, placeholder_names, read_table, rows_beside, rows_by_name,
    table_path,
)
from .report_schema import is_report_path

_TEMPLATE_READS = re.compile(r"\blimits\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_]*)|\[\s*['\"]([^'\"]*)['\"]\s*\])")
_TEMPLATE_PARTS = re.compile(r"word/(document|header\d*|footer\d*)\.xml")
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def reference_problems(files: dict[str, bytes], tables: dict[str, dict], trees: dict[str, object]) -> list[Problem]:
    """Every limit name a diagram (helper calls with a written name, the `limit` property, `{limit:…}` in its
    documentation), a form or a report (`{limit:…}` in its text) or a Word template (`limits.<name>`) uses that its
    folder's table does not have, located by element, JSON path, paragraph or line. Folders whose table is broken are
    skipped: the table's own problems say why."""
    problems = []
    for path, tree in sorted(trees.items()):
        table = table_path(path)
        if table in files and table not in tables:
            continue
        names = rows_by_name(tables.get(table))
        for element, line, name in _diagram_names(tree):
            problems += [Problem(path, message, element=element, line=line)
                         for message in _name_problems(name, names, table)]
    for path in sorted(p for p in files if p.endswith(".schema.json") or is_report_path(p)):
        table = "/".join([*path.split("/")[:-1], LIMITS_FILE])
        if table in files and table not in tables:
            continue
        text = files[path].decode("utf-8-sig", errors="replace")
        if "{limit:" not in text and WORKING_DAYS_AFTER_KEYWORD not in text:
            continue
        names = rows_by_name(tables.get(table))
        found = list(PLACEHOLDER.finditer(text))
        pointers = _placeholder_pointers(text)
        pointers = pointers if len(pointers) == len(found) else [None] * len(found)
        for match, pointer in zip(found, pointers):
            problems += [Problem(path, message, element=pointer, line=text.count("\n", 0, match.start()) + 1)
                         for message in _name_problems(match.group(1), names, table)]
        for pointer, name in form_rule_names(text):
            if name not in names:
                at = text.find(json.dumps(name))
                problems.append(Problem(path, Msg("limits.unknown_name", name=name, table=table), element=pointer,
                                        line=text.count("\n", 0, at) + 1 if at >= 0 else None))
    for path in sorted(p for p in files if p.endswith(".docx") and p.startswith("forms/")):
        table = "/".join([*path.split("/")[:-1], LIMITS_FILE])
        if table not in files or table not in tables:
            continue                # no table beside it (or a broken one): nothing to check against
        names = rows_by_name(tables[table])
        for part, paragraph, name in template_reads(files[path]):
            if name not in names:
                problems.append(Problem(path, Msg("limits.unknown_template_name", name=name, table=table,
                                                  part=part, paragraph=paragraph), element=part))
    return problems


def _name_problems(written: str, names: dict[str, dict], table: str) -> list[Msg]:
    """Why a name (or a sum `a+b` of a placeholder) does not stand for rows of `table`: a name that is no row, or
    rows of a sum that differ in unit (their values cannot be added)."""
    unknown = [Msg("limits.unknown_name", name=name, table=table) for name in placeholder_names(written)
               if name not in names]
    if unknown or "+" not in written:
        return unknown
    units = {names[name]["unit"] for name in placeholder_names(written)}
    return [Msg("limits.sum_units", names=written, table=table)] if len(units) > 1 else []


def form_rule_names(text: str) -> list[tuple[str, str]]:
    """(JSON pointer, name) of each limit a form's `x-workingDaysAfter` rules name with `limit`."""
    return [(f"{pointer}/{WORKING_DAYS_AFTER_KEYWORD}/{index}/limit", rule["limit"])
            for pointer, node in _nodes(text) if isinstance(node, dict)
            and isinstance(rules := node.get(WORKING_DAYS_AFTER_KEYWORD), list)
            for index, rule in enumerate(rules) if isinstance(rule, dict) and isinstance(rule.get("limit"), str)]


def _placeholder_pointers(text: str) -> list[str]:
    """The JSON pointer of each `{limit:…}` of a JSON file, in the order they are written (none if unreadable)."""
    return [pointer or "/" for pointer, node in _nodes(text) if isinstance(node, str)
            for _ in PLACEHOLDER.finditer(node)]


def _nodes(text: str):
    """(JSON pointer, value) of every value of a JSON text, in the order written (nothing if unreadable)."""
    try:
        stack = [("", json.loads(text))]
    except ValueError:
        return
    while stack:
        pointer, value = stack.pop()
        yield pointer, value
        if isinstance(value, dict):
            items = [(f"{pointer}/{str(k).replace('~', '~0').replace('/', '~1')}", v) for k, v in value.items()]
        elif isinstance(value, list):
            items = [(f"{pointer}/{index}", item) for index, item in enumerate(value)]
        else:
            continue
        stack.extend(reversed(items))


def template_reads(content: bytes) -> list[tuple[str, int, str]]:
    """(part, paragraph number, name) of each `limits.<name>` a Word template reads in its body, headers and
    footers (paragraphs counted from 1 in each part); nothing when the file is not a readable Word document."""
    found = []
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as document:
            for part in sorted(n for n in document.namelist() if _TEMPLATE_PARTS.fullmatch(n)):
                root = etree.fromstring(document.read(part), etree.XMLParser(resolve_entities=False,
                                                                              no_network=True))
                for number, paragraph in enumerate(root.iter(f"{_W}p"), start=1):
                    text = "".join(t.text or "" for t in paragraph.iter(f"{_W}t"))
                    if "limits" in text:
                        found += [(part, number, m.group(1) or m.group(2)) for m in _TEMPLATE_READS.finditer(text)]
    except (zipfile.BadZipFile, etree.XMLSyntaxError, KeyError, OSError):
        return []               # the template's own check says why it cannot be read
    return found


def _diagram_names(tree) -> list[tuple[str | None, int | None, str]]:
    """(element id, line, name) of each limit a diagram names."""
    found = []
    for node in tree.iter():
        if not isinstance(node.tag, str):
            continue
        if etree.QName(node).localname == "documentation" and node.text and "{limit:" in node.text:
            found += [(_owner(node), node.sourceline, m.group(1)) for m in PLACEHOLDER.finditer(node.text)]
        elif etree.QName(node).localname == "property":
            value = node.get("value") or ""
            if node.get("name") == LIMIT_PROPERTY and value.strip():
                found.append((_owner(node), node.sourceline, value.strip()))
            elif "{limit:" in value:             # a text property, e.g. the question asked before submitting
                found += [(_owner(node), node.sourceline, m.group(1)) for m in PLACEHOLDER.finditer(value)]
            elif "limit_" in value:
                found += [(_owner(node), node.sourceline, name) for name in _called_names(value)]
        elif node.text and "limit_" in node.text:
            found += [(_owner(node), node.sourceline, name) for name in _called_names(node.text)]
    return found


def _owner(node) -> str | None:
    while node is not None:
        if node.get("id") and etree.QName(node).localname not in ("timerEventDefinition",):
            return node.get("id")
        node = node.getparent()
    return None


def _called_names(source: str) -> list[str]:
    """The written names the limit helpers are called with in a piece of code."""
    for mode, text in (("exec", textwrap.dedent(source)), ("eval", source.strip())):
        try:
            tree = ast.parse(text, mode=mode)
            break
        except UNPARSABLE:
            continue
    else:
        return []
    return [node.args[0].value for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in HELPERS
            and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)]


def check_in_bundle(files: dict[str, bytes], path: str) -> tuple[dict | None, list[Problem]]:
    """A limits table as it would stand among the other files of a draft: its own problems, and each name the
    diagrams and forms of its folder use that it no longer has."""
    register = None
    if REGISTER_PATH in files:
        try:
            register = json.loads(files[REGISTER_PATH].decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError):
            register = None
    table, problems = read_table(path, files[path], register)
    if table is None:
        return None, problems
    folder = path.split("/")[1:-1]
    diagrams = {}
    for other in files:
        if other.endswith(".bpmn") and other.split("/")[1:-1] == folder and other.startswith("processes/"):
            try:
                diagrams[other] = etree.fromstring(files[other], etree.XMLParser(resolve_entities=False,
                                                                                  no_network=True))
            except etree.XMLSyntaxError:
                continue            # the diagram's own problem says why
    forms = {p: c for p, c in files.items() if (p.endswith((".schema.json", ".docx")) or is_report_path(p))
             and p.split("/")[1:-1] == folder}
    return table, reference_problems({**forms, path: files[path]}, {path: table}, diagrams)


def expanded(files: dict[str, bytes], path: str, value) -> tuple[object, list[Problem]]:
    """A form or report being edited at `path` (its JSON value) as it will be shown: `{limit:…}` filled from the
    limits table beside it among a draft's `files` (`fill_placeholders`, the one expander), and a problem located
    by JSON pointer for each name that table does not have (the text keeps it as written)."""
    table = "/".join([*path.split("/")[:-1], LIMITS_FILE])
    rows = rows_beside(files, path)
    text = json.dumps(value, ensure_ascii=False)
    found = list(PLACEHOLDER.finditer(text))
    pointers = _placeholder_pointers(text)
    pointers = pointers if len(pointers) == len(found) else [None] * len(found)
    problems = [Problem(path, Msg("limits.unknown_name", name=match.group(1), table=table), element=pointer)
                for match, pointer in zip(found, pointers) if match.group(1) not in rows]
    return fill_placeholders(value, rows), problems
