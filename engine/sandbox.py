"""The script sandbox: every diagram expression and script runs here, under RestrictedPython."""
from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from RestrictedPython import compile_restricted_eval, compile_restricted_exec, safe_builtins
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)
from RestrictedPython.PrintCollector import PrintCollector
from SpiffWorkflow.bpmn.script_engine.python_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from .errors import SandboxError

# Builtins a diagram may use; everything reflective or touching the host is absent.
_REMOVED = {"__build_class__", "setattr", "delattr", "_getattr_", "id", "hash"}
BUILTINS: dict[str, Any] = {k: v for k, v in safe_builtins.items() if k not in _REMOVED}
BUILTINS.update(
    list=list, dict=dict, set=set, frozenset=frozenset, tuple=tuple, min=min, max=max, sum=sum,
    any=any, all=all, enumerate=enumerate, map=map, filter=filter, reversed=reversed, sorted=sorted,
    zip=zip, range=range, len=len,
)

# Names refused at validation time, with a clear message, before RestrictedPython even runs.
FORBIDDEN_NAMES = {
    "open", "exec", "eval", "compile", "globals", "locals", "vars", "getattr", "setattr", "delattr",
    "hasattr", "__import__", "breakpoint", "input", "help", "dir", "type", "object", "super",
    "memoryview", "classmethod", "staticmethod", "property", "exit", "quit", "print",
}

_INPLACE_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "+=": operator.add, "-=": operator.sub, "*=": operator.mul, "/=": operator.truediv,
    "//=": operator.floordiv, "%=": operator.mod, "**=": operator.pow, "|=": operator.or_,
    "&=": operator.and_, "^=": operator.xor,
}

_LINE_RE = re.compile(r"Line (\d+)")


def _inplace(op: str, target: Any, value: Any) -> Any:
    if op not in _INPLACE_OPS:
        raise SandboxError(f"不支持的运算符 {op}")
    return _INPLACE_OPS[op](target, value)


class _Guard(ast.NodeVisitor):
    """Refuses constructs RestrictedPython would only catch at run time."""

    def __init__(self) -> None:
        self.problems: list[tuple[int, str]] = []

    def visit_Import(self, node: ast.AST) -> None:
        self.problems.append((node.lineno, "不允许导入模块（import）"))

    visit_ImportFrom = visit_Import

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.problems.append((node.lineno, "不允许定义类（class）"))

    def visit_Name(self, node: ast.Name) -> None:
        if node.id in FORBIDDEN_NAMES:
            self.problems.append((node.lineno, f"不允许使用 {node.id}"))

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr.startswith("_") or node.attr in {"format", "format_map", "mro"}:
            self.problems.append((node.lineno, f"不允许访问属性 {node.attr}"))
        self.generic_visit(node)


class Sandbox:
    """Compiles and runs diagram code with only the helpers handed to it."""

    def __init__(self, helpers: Mapping[str, Any] | None = None):
        self.helpers = dict(helpers or {})
        self._compiled: dict[tuple[str, str], Any] = {}
        self._base = {
            "__builtins__": BUILTINS,
            "_getattr_": safer_getattr,
            "_getitem_": default_guarded_getitem,
            "_getiter_": default_guarded_getiter,
            "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
            "_unpack_sequence_": guarded_unpack_sequence,
            "_write_": full_write_guard,
            "_inplacevar_": _inplace,
            "_print_": PrintCollector,
            **self.helpers,
        }

    def compile(self, source: str, mode: str = "eval") -> Any:
        """Compile an expression (`eval`) or script (`exec`), refusing anything unsafe."""
        key = (mode, source)
        code = self._compiled.get(key)
        if code is not None:
            return code
        text = source.strip() if mode == "eval" else source
        try:
            tree = ast.parse(text, mode=mode)
        except SyntaxError as exc:
            raise SandboxError(f"语法错误：{exc.msg}", line=exc.lineno, source=source) from None
        guard = _Guard()
        guard.visit(tree)
        if guard.problems:
            line, message = guard.problems[0]
            raise SandboxError(message, line=line, source=source)
        result = (compile_restricted_eval if mode == "eval" else compile_restricted_exec)(text)
        if result.errors:
            match = _LINE_RE.search(result.errors[0])
            raise SandboxError(result.errors[0], line=int(match.group(1)) if match else None, source=source)
        self._compiled[key] = result.code
        return result.code

    def _globals(self, context: Mapping[str, Any], external: Mapping[str, Any] | None) -> dict:
        scope = dict(self._base)
        if external:
            scope.update(external)
        scope.update(context)
        # get_value("field", default): read a field that may be absent (an optional form field) without a NameError
        scope["get_value"] = lambda name, default=None: scope.get(name, default)
        return scope

    def evaluate(self, expression: str, context: Mapping[str, Any], external=None) -> Any:
        """Evaluate an expression against task data."""
        code = self.compile(expression, "eval")
        try:
            return eval(code, self._globals(context, external))  # noqa: S307 - restricted code object
        except SandboxError:
            raise
        except Exception as exc:
            raise SandboxError(f"表达式 `{expression}` 执行出错：{type(exc).__name__}: {exc}",
                               source=expression) from exc

    def execute(self, script: str, context: dict[str, Any], external=None) -> None:
        """Run a script; plain values it assigns become task data."""
        code = self.compile(script, "exec")
        scope = self._globals(context, external)
        try:
            exec(code, scope)  # noqa: S102 - restricted code object
        except SandboxError:
            raise
        except Exception as exc:
            raise SandboxError(f"脚本执行出错：{type(exc).__name__}: {exc}",
                               line=_script_line(exc), source=script) from exc
        reserved = self._base.keys() | (external or {}).keys() | {"get_value"}
        for name in [k for k in context if k not in scope]:
            del context[name]
        for name, value in scope.items():
            if name in reserved or name.startswith("_") or callable(value):
                continue
            context[name] = value


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
        raise SandboxError("服务任务未配置：沙箱内不允许调用外部服务")


_CHINA = timezone(timedelta(hours=8))


class TaskScriptEngine(PythonScriptEngine):
    """SpiffWorkflow's script engine, also telling expressions when the current task started (`task_started`)."""

    def evaluate(self, task, expression, external_context=None):
        return super().evaluate(task, expression, _with_task(task, external_context))

    def execute(self, task, script, external_context=None):
        return super().execute(task, script, _with_task(task, external_context))


def _with_task(task, external_context):
    started = datetime.fromtimestamp(task.last_state_change, _CHINA).isoformat()
    return {**(external_context or {}), "task_started": started}
