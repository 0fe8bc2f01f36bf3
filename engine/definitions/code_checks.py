"""Diagram code, found and compiled before anything is stored: every expression and script an element hands to the
script engine, and why one does not compile in the sandbox (too long, too deep, or refused). Decision tables are
read from their own files (dmn_checks.py)."""
from __future__ import annotations

import ast

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from ..core.errors import SandboxError
from ..core.messages import Msg
from ..core.vocabulary import ASSIGNEE_PROPERTY, DUE_PROPERTY, EXCLUDED_USERS_PROPERTY, OFFER_WHEN_PROPERTY

# Code nested deeper than this is refused at validation: compiling it recurses once per level, and a depth that
# compiles here with the stack to spare could exhaust it at run time, deep inside the workflow engine.
MAX_EXPRESSION_DEPTH = 100
MAX_EXPRESSION_CHARS = 10_000        # the longest shipped script is about a tenth of this; compiling costs per character
UNPARSABLE = (SyntaxError, ValueError, RecursionError, MemoryError)   # what ast.parse raises on hostile text


def compile_problem(sandbox, source: str, mode: str) -> Msg | str | None:
    """Why diagram code does not compile in the sandbox, or None. Code too deep or too long for Python's parser
    (which raises RecursionError or MemoryError, not SyntaxError) is a problem like any other."""
    if len(source) > MAX_EXPRESSION_CHARS:
        return Msg("validation.too_long", length=len(source), limit=MAX_EXPRESSION_CHARS)
    too_deep = Msg("validation.too_deep", limit=MAX_EXPRESSION_DEPTH)
    try:
        depth = _depth(ast.parse(source.strip() if mode == "eval" else source, mode=mode))
    except (RecursionError, MemoryError):
        return too_deep
    except (SyntaxError, ValueError):
        depth = 0                       # the sandbox names the syntax error
    if depth > MAX_EXPRESSION_DEPTH:
        return too_deep
    try:
        sandbox.compile(source, mode)
    except SandboxError as exc:
        return exc.msg
    except (RecursionError, MemoryError):
        return too_deep
    except ValueError as exc:           # e.g. a NUL character, which ast.parse refuses with ValueError
        return str(exc)
    return None


def _depth(tree: ast.AST) -> int:
    """How deep a syntax tree is, counted without recursion."""
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


def condition_text(cond) -> str | None:
    """The expression text of a sequence-flow condition (SpiffWorkflow wraps it in an operator)."""
    if cond is None or isinstance(cond, str):
        return cond
    args = getattr(cond, "args", None)
    return args[0] if args else None


def expressions(ts):
    """Every piece of code a task spec will hand to the script engine, as (label, source, mode)."""
    for cond, _ in getattr(ts, "cond_task_specs", []) or []:
        text = condition_text(cond)
        if text:
            yield Msg("label.condition"), text, "eval", ("flow", getattr(ts, "bpmn_id", None), text.strip())
    for attr in ("script", "prescript", "postscript"):
        if getattr(ts, attr, None):
            yield Msg(f"label.{attr}"), getattr(ts, attr), "exec"
    for attr, label in (("cardinality", "cardinality"), ("condition", "completion")):
        value = getattr(ts, attr, None)
        if isinstance(value, str) and value:
            yield Msg(f"label.{label}"), value, "eval"
    yield from _property_expressions(ts)
    event = getattr(ts, "event_definition", None)
    if event is not None:
        if isinstance(event, TimerEventDefinition):
            yield Msg("label.timer"), event.expression, "eval"
        elif getattr(event, "expression", None):
            yield Msg("label.event"), event.expression, "eval"
    # decision tables are checked from their own file, every table whether a task calls it or not (dmn_checks)


def _property_expressions(ts):
    """Expressions written as element properties: when a message may be sent, a task's due moment, assignee and
    excluded users."""
    properties = (getattr(ts, "extensions", None) or {}).get("properties") or {}
    for name, label in ((OFFER_WHEN_PROPERTY, "offer_when"), (DUE_PROPERTY, "due"), (ASSIGNEE_PROPERTY, "assignee"),
                        (EXCLUDED_USERS_PROPERTY, "excluded_users")):
        if properties.get(name):
            yield Msg(f"label.{label}"), properties[name], "eval"
