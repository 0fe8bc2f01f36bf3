"""Decision tables (DMN), read from the XML and checked before anything is stored: every input expression, input
entry and output entry compiled in the sandbox the way SpiffWorkflow's DMN engine will run it, each problem naming
the table, the rule (number and id) and the column, on the cell's element and line; hit policies the engine does not
honour, and rules whose cells do not match the columns. Also the tables as rows for the bundle diff."""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from ..core.errors import Problem
from ..core.messages import Msg
from .code_checks import UNPARSABLE, compile_problem

# SpiffWorkflow's DMNEngine picks the first matching rule for anything but COLLECT (UNIQUE stops at the first match,
# FIRST and ANY agree with that); it ignores aggregations and has no priorities.
SUPPORTED_HIT_POLICIES = ("UNIQUE", "FIRST", "ANY", "COLLECT")
# FEEL spellings a table made in a DMN editor may hold; the tables are evaluated as Python.
FEEL_NAMES = {"true": "True", "false": "False", "null": "None"}
# A question mark outside quotes stands for the input value (as SpiffWorkflow replaces it).
_QUESTION = re.compile(r'(\?)(?=(?:[^\'"]|[\'"][^\'"]*[\'"])*$)')
INPUT_NAME = "dmninput"          # the input's value, checked on its own, as an entry sees it


@dataclass
class Column:
    id: str
    label: str
    expression: str = ""           # an input's expression; an output's data name
    type_ref: str = ""
    line: int | None = None


@dataclass
class Rule:
    id: str
    row: int
    line: int | None
    inputs: list[tuple[str, str, int | None]] = field(default_factory=list)    # (entry id, raw text, line)
    outputs: list[tuple[str, str, int | None]] = field(default_factory=list)
    description: str = ""


@dataclass
class Table:
    id: str
    name: str                      # the decision's name (or id)
    decision: str
    hit_policy: str
    aggregation: str
    line: int | None
    description: str = ""
    inputs: list[Column] = field(default_factory=list)
    outputs: list[Column] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)


def _local(element) -> str:
    tag = element.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _text(element, raw: bool = False) -> str:
    """The text of an element's <text> child: stripped, or as SpiffWorkflow reads it (`raw`)."""
    if element is None:
        return ""
    for child in element:
        if _local(child) == "text":
            return (child.text or "") if raw else (child.text or "").strip()
    return ""


def _child(element, name: str):
    return next((c for c in element if _local(c) == name), None)


def tables(root) -> list[Table]:
    """The decision tables of a parsed DMN tree, in document order."""
    found = []
    for decision in root.iter():
        if _local(decision) != "decision":
            continue
        for table in decision:
            if _local(table) != "decisionTable":
                continue
            description = _child(decision, "description")
            out = Table(table.get("id") or "", decision.get("name") or decision.get("id") or "",
                        decision.get("id") or "", (table.get("hitPolicy") or "UNIQUE").upper(),
                        (table.get("aggregation") or "").upper(), table.sourceline,
                        (description.text or "").strip() if description is not None else "")
            for child in table:
                kind = _local(child)
                if kind == "input":
                    expression = _child(child, "inputExpression")
                    out.inputs.append(Column(child.get("id") or "", child.get("label") or child.get("id") or "",
                                             _text(expression),
                                             expression.get("typeRef", "") if expression is not None else "",
                                             child.sourceline))
                elif kind == "output":
                    out.outputs.append(Column(child.get("id") or "",
                                              child.get("label") or child.get("name") or child.get("id") or "",
                                              child.get("name") or "", child.get("typeRef") or ""))
                elif kind == "rule":
                    rule = Rule(child.get("id") or "", len(out.rules) + 1, child.sourceline)
                    for entry in child:
                        name = _local(entry)
                        if name == "inputEntry":
                            rule.inputs.append((entry.get("id") or "", _text(entry, raw=True), entry.sourceline))
                        elif name == "outputEntry":
                            rule.outputs.append((entry.get("id") or "", _text(entry, raw=True), entry.sourceline))
                        elif name == "description":
                            rule.description = (entry.text or "").strip()
                    out.rules.append(rule)
            found.append(out)
    return found


def entry_expression(match: str) -> str:
    """The expression SpiffWorkflow's DMN engine builds from an input entry (the input's value is `dmninput`)."""
    replaced = _QUESTION.sub(INPUT_NAME, match)
    if INPUT_NAME in replaced and replaced != match:
        return replaced
    try:
        ast.parse(match)
        return f"({INPUT_NAME}) == ({match})"
    except UNPARSABLE:
        return f"{INPUT_NAME}{match}"


def check_decision_tables(path: str, root, sandbox) -> list[Problem]:
    """Every problem of the decision tables of one DMN file, each on the element and line it is about."""
    problems = []
    for table in tables(root):
        if table.hit_policy not in SUPPORTED_HIT_POLICIES or table.aggregation:
            policy = table.hit_policy + (f" {table.aggregation}" if table.aggregation else "")
            problems.append(Problem(path, Msg("validation.dmn_hit_policy", table=table.name, policy=policy,
                                              supported=", ".join(SUPPORTED_HIT_POLICIES)),
                                    element=table.id, line=table.line))
        for column in table.inputs:
            if column.expression:
                label = Msg("label.dmn_input_of", table=table.name, column=column.label)
                problems.extend(_code(path, column.id, column.line, label, column.expression, column.expression, sandbox))
            else:                       # SpiffWorkflow would look the label up as a data name, and fail
                problems.append(Problem(path, Msg("validation.dmn_no_input_expression", table=table.name,
                                                  column=column.label), element=column.id, line=column.line))
        for rule in table.rules:
            if len(rule.inputs) != len(table.inputs) or len(rule.outputs) != len(table.outputs):
                problems.append(Problem(path, Msg(
                    "validation.dmn_cells", table=table.name, row=rule.row, rule=rule.id,
                    inputs=len(rule.inputs), outputs=len(rule.outputs), expected_inputs=len(table.inputs),
                    expected_outputs=len(table.outputs)), element=rule.id, line=rule.line))
                continue
            for column, (entry, text, line) in zip(table.inputs, rule.inputs):
                if text and text != "-":        # as SpiffWorkflow tests it: " - " or a blank is code, and fails
                    label = Msg("label.dmn_entry", table=table.name, row=rule.row, rule=rule.id, column=column.label)
                    problems.extend(_code(path, entry, line, label, text, entry_expression(text), sandbox))
            for column, (entry, text, line) in zip(table.outputs, rule.outputs):
                if text:
                    label = Msg("label.dmn_entry", table=table.name, row=rule.row, rule=rule.id, column=column.label)
                    problems.extend(_code(path, entry, line, label, text, text, sandbox))
    return problems


def _code(path: str, element: str, line: int | None, label: Msg, shown: str, source: str, sandbox) -> list[Problem]:
    """The problem of one cell's code: it does not compile in the sandbox, or it spells a FEEL literal."""
    message = compile_problem(sandbox, source, "eval")
    if message:
        return [Problem(path, Msg("validation.compile", label=label, source=shown.strip()[:80], detail=message),
                        element=element, line=line)]
    feel = _feel_names(source)
    if feel:
        return [Problem(path, Msg("validation.dmn_feel", label=label, source=shown.strip()[:80], name=feel,
                                  python=FEEL_NAMES[feel]), element=element, line=line)]
    return []


def _feel_names(source: str) -> str | None:
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except UNPARSABLE:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in FEEL_NAMES:
            return node.id
    return None
