"""The script sandbox: every diagram expression and script runs here, under RestrictedPython."""
from __future__ import annotations

import ast
import re
import traceback
from collections.abc import Mapping
from types import MappingProxyType
from datetime import datetime, timedelta, timezone
from typing import Any

from RestrictedPython import RestrictingNodeTransformer, compile_restricted_eval, compile_restricted_exec, safe_builtins
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
)
from RestrictedPython.PrintCollector import PrintCollector
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine.python_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from ..core.bounded import BoundedMap
from ..core.errors import SandboxError
from ..core.messages import Msg
from .guards import BUDGETED_BUILTINS, GUARDS
from .limits import LimitExceeded, Limits, evaluation, uncharged
from .straight import straight

# Builtins a diagram may use; everything reflective, touching the host or ending the process is absent.
_REMOVED = {"__build_class__", "setattr", "delattr", "_getattr_", "id", "hash", "BaseException", "SystemExit",
            "KeyboardInterrupt", "GeneratorExit"}
BUILTINS: dict[str, Any] = {k: v for k, v in safe_builtins.items() if k not in _REMOVED}
BUILTINS.update(
    list=list, dict=dict, set=set, frozenset=frozenset, tuple=tuple, min=min, max=max,
    any=any, all=all, reversed=reversed, sorted=sorted, len=len, **BUDGETED_BUILTINS,
)
BUILTINS = MappingProxyType(BUILTINS)     # read-only: no run can change what another computes

# Names refused at validation time, with a clear message, before RestrictedPython even runs.
FORBIDDEN_NAMES = {
    "open", "exec", "eval", "compile", "globals", "locals", "vars", "getattr", "setattr", "delattr",
    "hasattr", "__import__", "breakpoint", "input", "help", "dir", "type", "object", "super",
    "memoryview", "classmethod", "staticmethod", "property", "exit", "quit", "print",
}

_LINE_RE = re.compile(r"Line (\d+)")
# Compiled code shared by the process's sandboxes, by (mode, source, helper names), oldest first: a code object is
# immutable and each run has a scope of its own, so sharing it shares no state between runs. A new engine (a
# server's worker, a draft's check) compiles only the code no sandbox before it compiled.
_SHARED: BoundedMap[tuple[str, str, frozenset], tuple[Any, bool]] = BoundedMap(4096)
_SPEC_NUMBER = re.compile(r"\d+")
_MAX_SPEC_WIDTH = 1000


class _Guard(ast.NodeVisitor):
    """Refuses constructs RestrictedPython would only catch at run time."""

    def __init__(self) -> None:
        self.problems: list[tuple[int, Msg]] = []

    def visit_Import(self, node: ast.AST) -> None:
        self.problems.append((node.lineno, Msg("sandbox.import")))

    visit_ImportFrom = visit_Import

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.problems.append((node.lineno, Msg("sandbox.class")))

    def visit_Yield(self, node: ast.AST) -> None:
        # A generator's `finally` would run whenever it is collected, outside any budget.
        self.problems.append((node.lineno, Msg("sandbox.yield")))

    visit_YieldFrom = visit_Yield

    def visit_Name(self, node: ast.Name) -> None:
        if node.id in FORBIDDEN_NAMES:
            self.problems.append((node.lineno, Msg("sandbox.name", name=node.id)))

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr.startswith("_") or node.attr in {"format", "format_map", "mro"}:
            self.problems.append((node.lineno, Msg("sandbox.attribute", name=node.attr)))
        self.generic_visit(node)

    def visit_FormattedValue(self, node: ast.FormattedValue) -> None:
        """An f-string's format spec is a constant of sensible width (`{x:>999999999}` would build a huge text)."""
        spec = node.format_spec
        if spec is not None:
            parts = spec.values if isinstance(spec, ast.JoinedStr) else [spec]
            if not all(isinstance(p, ast.Constant) for p in parts) or any(
                    int(n) > _MAX_SPEC_WIDTH for p in parts for n in _SPEC_NUMBER.findall(str(p.value))):
                self.problems.append((node.lineno, Msg("sandbox.format_spec", width=_MAX_SPEC_WIDTH)))
        self.visit(node.value)


def _call(name: str, *args: ast.expr, at: ast.AST) -> ast.Call:
    """A call the instrumentation adds, placed on the line of the code it guards."""
    call = ast.Call(func=ast.Name(name, ast.Load()), args=list(args), keywords=[])
    for part in ast.walk(call):
        if "lineno" in part._attributes and not hasattr(part, "lineno"):
            ast.copy_location(part, at)
    return call


_BUDGET_OPS = {ast.Add: "+", ast.Mult: "*", ast.Pow: "**", ast.LShift: "<<", ast.Mod: "%"}


class _Instrument(RestrictingNodeTransformer):
    """RestrictedPython's policy, plus the budget: loops, comprehensions and calls tick; growing operators ask."""

    @staticmethod
    def _ticked(node):
        """The loop or function, its body starting with a tick."""
        node.body = [ast.copy_location(ast.Expr(_call("_tick_", at=node)), node), *node.body]
        return node

    def visit_While(self, node):
        return self._ticked(super().visit_While(node))

    def visit_For(self, node):
        return self._ticked(super().visit_For(node))

    def visit_FunctionDef(self, node):
        return self._ticked(super().visit_FunctionDef(node))

    def visit_Lambda(self, node):
        node = super().visit_Lambda(node)
        node.body = ast.BoolOp(op=ast.And(), values=[_call("_tick_", at=node), node.body])
        ast.copy_location(node.body, node)
        return node

    def visit_comprehension(self, node):
        node = super().visit_comprehension(node)
        node.ifs = [_call("_tick_", at=node.iter), *node.ifs]
        return node

    def _displayed(self, node):
        """A list, tuple or set display that unpacks (`[*a, *a]`) is checked once built."""
        unpacks = any(isinstance(e, ast.Starred) for e in node.elts)
        if unpacks and isinstance(getattr(node, "ctx", ast.Load()), ast.Load):
            return _call("_built_", node, at=node)
        return node

    def visit_List(self, node):
        return self._displayed(super().visit_List(node))

    def visit_Tuple(self, node):
        return self._displayed(super().visit_Tuple(node))

    def visit_Set(self, node):
        return self._displayed(super().visit_Set(node))

    def visit_BinOp(self, node):
        node = super().visit_BinOp(node)
        op = _BUDGET_OPS.get(type(node.op))
        if op is None:
            return node
        return _call("_binop_", ast.Constant(op), node.left, node.right, at=node)


class Sandbox:
    """Compiles and runs diagram code with only the helpers handed to it, each run in a scope of its own."""

    def __init__(self, helpers: Mapping[str, Any] | None = None, limits: Limits | None = None):
        self.helpers = {name: uncharged(h) if callable(h) else h for name, h in (helpers or {}).items()}
        self.limits = limits or Limits()
        self._compiled: dict[tuple[str, str], tuple[Any, bool]] = {}    # (mode, source): (code, whether clocked)
        self._helper_names = frozenset(name for name, h in self.helpers.items() if callable(h)) | {"get_value"}
        self._base = {
            "__builtins__": BUILTINS,
            "_getitem_": default_guarded_getitem,
            "_getiter_": default_guarded_getiter,
            "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
            "_unpack_sequence_": guarded_unpack_sequence,
            "_print_": PrintCollector,
            **GUARDS,
            **self.helpers,
        }
        self._reserved = frozenset(self._base) | {"get_value"}

    def compile(self, source: str, mode: str = "eval") -> Any:
        """Compile an expression (`eval`) or script (`exec`), refusing anything unsafe."""
        return self._prepared(source, mode)[0]

    def _prepared(self, source: str, mode: str) -> tuple[Any, bool]:
        """The compiled code and whether its runs are clocked (anything but straight code), compiled once."""
        key = (mode, source)
        prepared = self._compiled.get(key)
        if prepared is None:
            shared = (mode, source, self._helper_names)
            prepared = _SHARED.get(shared)
            if prepared is None:
                prepared = self._compile(source, mode)
                _SHARED.put(shared, prepared)
            self._compiled[key] = prepared
        return prepared

    def _compile(self, source: str, mode: str) -> tuple[Any, bool]:
        text = source.strip() if mode == "eval" else source
        try:
            tree = ast.parse(text, mode=mode)
            guard = _Guard()
            guard.visit(tree)
            is_straight = straight(tree, self._helper_names)
            if guard.problems:
                line, message = guard.problems[0]
                raise SandboxError(message, line=line, source=source)
            result = (compile_restricted_eval if mode == "eval" else compile_restricted_exec)(text, policy=_Instrument)
        except SyntaxError as exc:
            raise SandboxError(Msg("sandbox.syntax", detail=exc.msg), line=exc.lineno, source=source) from None
        except (RecursionError, MemoryError, ValueError):
            raise SandboxError(Msg("sandbox.too_deep"), source=source) from None
        if result.errors:
            match = _LINE_RE.search(result.errors[0])
            raise SandboxError(result.errors[0], line=int(match.group(1)) if match else None, source=source)
        return result.code, not is_straight

    def _scope(self, context: Mapping[str, Any], external: Mapping[str, Any] | None) -> dict:
        """A fresh scope for one run: the data and the helpers."""
        scope = dict(self._base)
        if external:
            scope.update(external)
        scope.update(context)
        reserved = self._reserved

        def get_value(name, default=None):
            """Read a field that may be absent (an optional form field) without a NameError; data only."""
            if not isinstance(name, str) or name in reserved or name.startswith("_"):
                return default
            return scope.get(name, default)

        scope["get_value"] = get_value
        return scope

    def evaluate(self, expression: str, context: Mapping[str, Any], external=None) -> Any:
        """Evaluate an expression against task data, within the evaluation budget."""
        code, clocked = self._prepared(expression, "eval")
        scope = self._scope(context, external)
        try:
            with evaluation(self.limits, clocked):
                return eval(code, scope)  # noqa: S307 - restricted code object
        except SandboxError:
            raise
        except BaseException as exc:    # anything diagram code raises, SystemExit included, fails only the case
            problem = SandboxError(Msg("sandbox.expression_failed", expression=expression[:200],
                                       detail=_describe(exc)), source=expression)
            _release(scope, exc)
            raise problem from exc

    def execute(self, script: str, context: dict[str, Any], external=None) -> None:
        """Run a script within the evaluation budget; plain values it assigns become task data."""
        code, clocked = self._prepared(script, "exec")
        scope = self._scope(context, external)
        try:
            with evaluation(self.limits, clocked):
                exec(code, scope)  # noqa: S102 - restricted code object
        except SandboxError as exc:
            if exc.line is None:
                exc.line = _script_line(exc)
            _release(scope, exc)
            raise
        except BaseException as exc:    # anything diagram code raises, SystemExit included, fails only the case
            problem = SandboxError(Msg("sandbox.script_failed", detail=_describe(exc)), line=_script_line(exc),
                                   source=script)
            _release(scope, exc)
            raise problem from exc
        reserved = self._reserved | (external or {}).keys()
        for name in [k for k in context if k not in scope]:
            del context[name]
        room = self.limits.max_case_bytes
        for name, value in scope.items():
            if name in reserved or name.startswith("_") or callable(value):
                continue
            if context.get(name, _ABSENT) is not value:
                room = _fits(name, value, room)
            context[name] = value


_ABSENT = object()
_PLAIN = (str, int, float, bool, type(None))


def _release(scope: dict[str, Any], exc: BaseException) -> None:
    """Let go of what the failed code made before the error travels up: its traceback keeps the script's frames,
    and with them the scope, alive while the case is marked failed (a script that filled the worker's memory
    would leave no room to write that)."""
    scope.clear()
    traceback.clear_frames(exc.__traceback__)


def _describe(exc: BaseException) -> Msg | str:
    """The exception's kind and, when it is a short text, its message: never `str()` of what diagram code made
    (a list nested 100,000 deep, or a gigabyte, would fail or take for ever)."""
    first = exc.args[0] if len(exc.args) == 1 else None
    if isinstance(first, Msg):        # a helper's refusal, in the reader's language
        return Msg("sandbox.exception", kind=type(exc).__name__, detail=first)
    return f"{type(exc).__name__}: {first[:300]}" if isinstance(first, str) else type(exc).__name__


def _fits(name: str, value: Any, room: int) -> int:
    """What is left of the case's size limit once `value` is kept as data; refuses values that nest too deep or do
    not fit (walked with a bound, so a list of one long text repeated counts what storing it would write)."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > 100:
            raise LimitExceeded(Msg("sandbox.variable_too_deep", name=name))
        if isinstance(item, str):
            room -= len(item) + 2
        elif isinstance(item, _PLAIN):
            room -= 8
        elif isinstance(item, (list, tuple)):
            room -= len(item) + 2
            stack.extend((i, depth + 1) for i in item)
        elif isinstance(item, dict):
            room -= len(item) * 4 + 2
            stack.extend(p for k, v in item.items() for p in ((k, depth + 1), (v, depth + 1)))
        else:
            room -= 64      # dates and the like: what the codec cannot store fails when the case is saved
        if room < 0:
            raise LimitExceeded(Msg("sandbox.variable_too_large", name=name))
    return room


def _script_line(exc: BaseException) -> int | None:
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<string>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """Adapts the sandbox to SpiffWorkflow's script-engine environment interface."""

    def __init__(self, sandbox: Sandbox):
        super().__init__({})
        self.sandbox = sandbox

    def evaluate(self, expression, context, external_context=None):
        return self.sandbox.evaluate(expression, context, external_context)

    def execute(self, script, context, external_context=None):
        self.sandbox.execute(script, context, external_context)
        return True

    def call_service(self, context, **kwargs):
        raise SandboxError(Msg("sandbox.service_task"))


_CHINA = timezone(timedelta(hours=8))


class TaskScriptEngine(PythonScriptEngine):
    """SpiffWorkflow's script engine, also telling expressions when the current task started (`task_started`).

    It also bounds a multi-instance activity's cardinality: SpiffWorkflow creates that many children at once.
    """

    def __init__(self, environment=None, max_instances: int = Limits.max_instances, moment_at=None):
        super().__init__(environment)
        self.max_instances = max_instances
        # A clock of its own (a try-run's) says which of its moments a task's state change, stamped by
        # SpiffWorkflow on the system clock, happened at; None: the system clock's moment.
        self.moment_at = moment_at

    def evaluate(self, task, expression, external_context=None):
        value = super().evaluate(task, expression, _with_task(task, external_context, self.moment_at))
        limit = self.max_instances
        if expression == getattr(task.task_spec, "cardinality", None) and isinstance(value, int) and value > limit:
            problem = LimitExceeded(Msg("sandbox.too_many_instances", count=value, limit=limit))
            raise WorkflowTaskException(problem.message, task=task, exception=problem) from problem
        return value

    def execute(self, task, script, external_context=None):
        return super().execute(task, script, _with_task(task, external_context, self.moment_at))


def _with_task(task, external_context, moment_at=None):
    started = (moment_at(task.last_state_change).astimezone(_CHINA) if moment_at is not None
               else datetime.fromtimestamp(task.last_state_change, _CHINA)).isoformat()
    return {**(external_context or {}), "task_started": started}
