"""Budgets for diagram code: CPU time and memory per evaluation, and the guards that keep single operations small.

RestrictedPython keeps diagram code away from the machine; these keep it from eating the machine. Code is
instrumented at compile time (see `sandbox._Instrument`): every loop iteration, comprehension element and function
call ticks the run's `Budget`, and the operations that can build a huge value in one C call (`+`, `*`, `**`, `<<`,
`%` on text, padding and joining text, extending a list, `range`, `pow`) ask the budget first. A budget that is
exceeded stays exceeded: code that catches the error only meets it again at its next tick.
"""
from __future__ import annotations

import contextvars
import operator
import os
import re
import time
from collections.abc import Sized
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from RestrictedPython.Guards import full_write_guard, safer_getattr

from .errors import SandboxError


@dataclass(frozen=True)
class Limits:
    """What one evaluation may spend. Settings: `SANDBOX_CPU_SECONDS`, `SANDBOX_MEMORY_MB` and the rest."""

    cpu_seconds: float = 0.5          # CPU time of one evaluation (script, condition, expression)
    run_cpu_seconds: float = 5.0      # CPU time of all evaluations of one engine run (a step and what follows it)
    memory_bytes: int = 128 << 20     # growth of the process while one evaluation runs
    max_items: int = 1_000_000        # length of one text, list or range built in one operation
    max_int_bits: int = 100_000       # size of one integer (about 30,000 digits)
    max_instances: int = 1_000        # children of one multi-instance activity
    max_case_bytes: int = 8 << 20     # a case's stored state (its data included) after a step


class LimitExceeded(SandboxError):
    """Diagram code went past one of its budgets."""

    code = "sandbox_limit"


_CHECK_EVERY = 1024          # ticks between two looks at the clock and the process size
_LARGE = 64 << 10            # an operation that may allocate this much looks at the process size first
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
# The run's CPU deadline, in a list so that time spent in the engine's own helpers can be given back.
_run_deadline: contextvars.ContextVar[list[float] | None] = contextvars.ContextVar("lawflow_run_deadline",
                                                                                     default=None)
_current: contextvars.ContextVar[Budget] = contextvars.ContextVar("lawflow_budget")


def _resident() -> int:
    """This process's resident memory in bytes (0 where /proc is absent)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return 0


@contextmanager
def run_budget(limits: Limits):
    """Bound the CPU time of every evaluation inside the block together (one engine run)."""
    token = _run_deadline.set([time.thread_time() + limits.run_cpu_seconds])
    try:
        yield
    finally:
        _run_deadline.reset(token)


@contextmanager
def evaluation(limits: Limits):
    """Give the evaluation run inside the block a budget of its own (threads and nested runs never share one)."""
    budget = Budget(limits)
    token = _current.set(budget)
    try:
        yield budget
    except BaseException:
        if budget.exceeded is not None:    # whatever the code did after meeting its budget, the budget is why
            raise budget.exceeded from None
        raise
    finally:
        _current.reset(token)
    budget.settle()


class Budget:
    """One evaluation's budget, reached by the instrumented code only through the module's guard functions."""

    __slots__ = ("limits", "started", "credited", "deadline", "left", "base", "exceeded")

    def __init__(self, limits: Limits):
        self.limits = limits
        # Reading the thread's CPU clock is a system call: most evaluations end long before their first check,
        # so only the wall clock is read now, and the CPU deadline set at the first check counts the wall time
        # since then as CPU time (never more generous than the budget).
        self.started = time.perf_counter()
        self.credited = 0.0         # seconds spent in the engine's helpers, which the diagram is not charged for
        self.deadline: float | None = None
        self.left = _CHECK_EVERY
        self.base = 0               # resident size when first looked at (lazily: most code never needs it)
        self.exceeded: LimitExceeded | None = None

    def tick(self) -> bool:
        """Called on every loop iteration and function call of diagram code."""
        self.left -= 1
        if self.left <= 0:
            self.check()
        return True

    def settle(self) -> None:
        """At the end of a run: refuse it if it went past its budget, even inside one long call that never ticked
        or after swallowing its budget error. The CPU clock is read only when the wall clock says it may be due."""
        if self.exceeded is None and time.perf_counter() - self.started - self.credited > self.limits.cpu_seconds:
            self.left = 0
            self.check()
        if self.exceeded is not None:
            raise self.exceeded

    def check(self, allocating: int = 0) -> None:
        """Raise when the CPU time or the memory budget is spent (for good: later checks raise again)."""
        if self.exceeded is not None:
            raise self.exceeded
        self.left = _CHECK_EVERY
        cpu = time.thread_time()
        if self.deadline is None:
            self.deadline = cpu + self.limits.cpu_seconds - (time.perf_counter() - self.started - self.credited)
            run = _run_deadline.get()
            if run is not None:
                self.deadline = min(self.deadline, run[0])
        if cpu > self.deadline:
            self.fail(f"运行时间超过 {self.limits.cpu_seconds:g} 秒 CPU 时间限制，已停止")
        resident = _resident()
        if not self.base:
            self.base = resident
        if resident and resident + allocating - self.base > self.limits.memory_bytes:
            self.fail(f"占用内存超过 {self.limits.memory_bytes >> 20} MB 限制，已停止")

    def credit(self, seconds: float) -> None:
        """Give back time spent in a helper: trusted engine code (a calendar computed for a new year, a query),
        bounded by its own rules, is not the diagram's doing. At most `run_cpu_seconds` in all, so a loop that
        only calls helpers still ends."""
        seconds = min(seconds, self.limits.run_cpu_seconds - self.credited)
        if seconds <= 0:
            self.left = 0           # nothing more to give back: the next tick looks at the clock
            return
        self.credited += seconds
        if self.deadline is not None:
            self.deadline += seconds
        run = _run_deadline.get()
        if run is not None:
            run[0] += seconds

    def fail(self, message: str) -> None:
        self.exceeded = LimitExceeded(message)
        self.left = 0
        raise self.exceeded

    def size(self, items: int, item_bytes: int = 8) -> None:
        """Refuse building a value of `items` elements (or characters) before it is built."""
        if items > self.limits.max_items:
            self.fail(f"生成的数据长度 {items} 超过 {self.limits.max_items} 的限制")
        if items * item_bytes >= _LARGE:
            self.check(items * item_bytes)

    def bits(self, bits: int) -> None:
        """Refuse building an integer of `bits` bits before it is built."""
        if bits > self.limits.max_int_bits:
            self.fail(f"整数过大（约 {bits} 位二进制），超过 {self.limits.max_int_bits} 位的限制")

    # -- guarded operations, handed to the instrumented code ---------------------------------------------------

    def binop(self, op: str, left: Any, right: Any) -> Any:
        """`left op right` for the operators that can build a huge value in one step."""
        guard = _GUARDS.get((op, _kind(left), _kind(right)))
        if guard is not None:
            guard(self, left, right)
        return _OPERATORS[op](left, right)

    def inplace(self, op: str, target: Any, value: Any) -> Any:
        """`target op= value` (RestrictedPython's `_inplacevar_`)."""
        name = _INPLACE.get(op)
        if name is None:
            raise SandboxError(f"不支持的运算符 {op}")
        return self.binop(name, target, value)

    def range(self, *args: int) -> range:
        span = range(*args)
        if len(span) > self.limits.max_items:
            self.fail(f"range 长度 {len(span)} 超过 {self.limits.max_items} 的限制")
        self.size(len(span))        # what it may become: a list of that many numbers
        return span

    def int(self, value: Any = 0, *base: Any) -> int:
        if base and isinstance(value, (str, bytes, bytearray)):
            self.bits(len(value) * max(int(base[0]), 2).bit_length())
        return int(value, *base)

    def round(self, number: Any, ndigits: Any = None) -> Any:
        if isinstance(ndigits, int) and abs(ndigits) > 400:
            self.fail("round 的位数过大")
        return round(number, ndigits)

    def built(self, value: Any) -> Any:
        """A list, tuple or set display with `*` unpacking, checked after it is built (it at most doubles)."""
        self.size(len(value))
        return value

    def write(self, target: Any) -> Any:
        """RestrictedPython's write guard; a list's slice assignment is checked for the size it would reach."""
        target = full_write_guard(target)
        return _SizedList(self, target) if isinstance(target, list) else target

    def pow(self, base: Any, exp: Any, mod: Any = None) -> Any:
        if mod is None:
            return self.binop("**", base, exp)
        if isinstance(exp, int) and isinstance(mod, int):
            self.bits(max(exp.bit_length(), mod.bit_length()) * 25)
        return pow(base, exp, mod)

    def sum(self, values, start: Any = 0) -> Any:
        if not isinstance(start, (int, float, complex)):
            raise SandboxError("sum 只能对数值求和")
        return sum(values, start)

    def getattr(self, obj: Any, name: str, *default: Any) -> Any:
        """RestrictedPython's attribute guard, with the methods that can grow a value wrapped in a size check.

        Attributes of types are refused: `str.join(sep, items)` would skip the wrappers, `int.from_bytes` the
        integer bound.
        """
        if isinstance(obj, type):
            raise SandboxError(f"不允许访问类型的属性 {getattr(obj, '__name__', '')}.{name}")
        value = safer_getattr(obj, name, *default)
        kind = _kind(obj)
        grow = _METHODS.get((kind, name))
        if grow is not None:
            return _checked(self, obj, value, grow)
        wrapper = _WRAPPERS.get((kind, name))
        return value if wrapper is None else wrapper(self, obj, value)


def _kind(value: Any) -> str:
    if isinstance(value, int):      # bool included: `True << n` is an integer too
        return "int"
    if isinstance(value, (str, bytes, bytearray)):
        return "text"
    if isinstance(value, (list, tuple)):
        return "seq"
    return "other"


def _repeat(budget: Budget, left: Any, right: Any) -> None:
    """`seq * n`: a list of one long text repeated counts the text's length for each copy (printing or saving
    it would write every copy)."""
    seq, times = (left, right) if isinstance(right, int) else (right, left)
    if isinstance(seq, (str, bytes, bytearray)):
        budget.size(len(seq) * max(times, 0), 1)
    else:
        budget.size(_logical_size(seq) * max(times, 0))


def _logical_size(seq) -> int:
    """Elements, counting each text by its length (only the first few thousand are looked at)."""
    if len(seq) > 4096:
        return len(seq)
    return len(seq) + sum(len(i) for i in seq if isinstance(i, (str, bytes, bytearray)))


def _concat(budget: Budget, left: Any, right: Any) -> None:
    budget.size(len(left) + len(right), 1 if isinstance(left, (str, bytes, bytearray)) else 8)


def _int_pow(budget: Budget, left: int, right: int) -> None:
    if right > 1 and abs(left) > 1:
        budget.bits(left.bit_length() * right)


_FORMAT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


def _text_format(budget: Budget, left: Any, right: Any) -> None:
    """`text % args`: its widths and the texts it inserts, added up, before anything is formatted."""
    fmt = left.decode("latin-1") if isinstance(left, (bytes, bytearray)) else left
    specs = _FORMAT_SPEC.findall(fmt)
    if any("*" in spec for spec in specs):
        budget.fail("格式化宽度不能用 *")
    widths = sum(int(number) for spec in specs for number in spec if number)
    args = right.values() if isinstance(right, dict) else right if isinstance(right, tuple) else (right,)
    longest = max((len(a) for a in args if isinstance(a, (str, bytes, bytearray))), default=0)
    budget.size(len(fmt) + widths + len(specs) * longest, 1)


_GUARDS = {
    ("*", "text", "int"): _repeat, ("*", "int", "text"): _repeat,
    ("*", "seq", "int"): _repeat, ("*", "int", "seq"): _repeat,
    ("*", "int", "int"): lambda b, x, y: b.bits(x.bit_length() + y.bit_length()),
    ("+", "text", "text"): _concat, ("+", "seq", "seq"): _concat,
    ("**", "int", "int"): _int_pow,
    ("<<", "int", "int"): lambda b, x, y: b.bits(x.bit_length() + max(y, 0)),
}
_GUARDS.update({("%", "text", kind): _text_format for kind in ("other", "int", "text", "seq")})
_OPERATORS = {"+": operator.add, "*": operator.mul, "**": operator.pow, "<<": operator.lshift, "%": operator.mod,
              "-": operator.sub, "/": operator.truediv, "//": operator.floordiv, "|": operator.or_,
              "&": operator.and_, "^": operator.xor, ">>": operator.rshift}
_INPLACE = {f"{op}=": op for op in _OPERATORS}


def _padded(budget: Budget, obj: Any, args: tuple) -> None:
    budget.size(max(len(obj), int(args[0]) if args else 0), 1)


def _tabs(budget: Budget, obj: Any, args: tuple) -> None:
    size = int(args[0]) if args else 8
    budget.size(len(obj) + obj.count("\t" if isinstance(obj, str) else b"\t") * max(size, 0), 1)


def _replaced(budget: Budget, obj: Any, args: tuple) -> None:
    if len(args) >= 2 and isinstance(args[0], type(obj)) and isinstance(args[1], type(obj)):
        hits = obj.count(args[0]) if args[0] else len(obj) + 1
        budget.size(len(obj) + hits * max(len(args[1]) - len(args[0]), 0), 1)


def _translated(budget: Budget, obj: Any, args: tuple) -> None:
    table = args[0] if args else None
    longest = max((len(v) for v in table.values() if isinstance(v, str)), default=1) if isinstance(table, dict) else 1
    budget.size(len(obj) * max(longest, 1), 1)


_METHODS = {("text", name): _padded for name in ("center", "ljust", "rjust", "zfill")}
_METHODS.update({("text", "expandtabs"): _tabs, ("text", "replace"): _replaced, ("text", "translate"): _translated})


def _checked(budget: Budget, obj: Any, method, grow):
    """`method`, checking the size of what it would build first; joins and extends see their items first."""
    def call(*args, **kwargs):
        grow(budget, obj, args)
        return method(*args, **kwargs)
    return call


def joined(budget: Budget, obj: Any, method):
    """`sep.join(items)`: the items are gathered (ticking) and the result's size checked before it is built."""
    def call(items):
        items = items if isinstance(items, (list, tuple)) else [budget.tick() and i for i in items]
        total = sum(len(i) for i in items if isinstance(i, Sized)) + len(obj) * max(len(items) - 1, 0)
        budget.size(total, 1)
        return method(items)
    return call


def extended(budget: Budget, obj: Any, method):
    """`list.extend(items)`: the result's size checked before it is built."""
    def call(items):
        items = items if isinstance(items, (list, tuple)) else [budget.tick() and i for i in items]
        budget.size(len(obj) + len(items))
        return method(items)
    return call


_WRAPPERS = {("text", "join"): joined, ("seq", "extend"): extended}


class _SizedList:
    """What `_write_` answers for a list: item and slice assignment, a slice's new length checked first."""

    __slots__ = ("_budget", "_target")

    def __init__(self, budget: Budget, target: list):
        self._budget, self._target = budget, target

    def __setitem__(self, key, value) -> None:
        if isinstance(key, slice) and isinstance(value, Sized):
            self._budget.size(len(self._target) + len(value))
        self._target[key] = value

    def __delitem__(self, key) -> None:
        del self._target[key]



# The names instrumented code calls; each finds the budget of the evaluation it runs in.
def tick() -> bool:
    return _current.get().tick()


def binop(op: str, left: Any, right: Any) -> Any:
    return _current.get().binop(op, left, right)


def inplace(op: str, target: Any, value: Any) -> Any:
    return _current.get().inplace(op, target, value)


def guarded_getattr(obj: Any, name: str, *default: Any) -> Any:
    return _current.get().getattr(obj, name, *default)


def guarded_range(*args: int) -> range:
    return _current.get().range(*args)


def guarded_pow(base: Any, exp: Any, mod: Any = None) -> Any:
    return _current.get().pow(base, exp, mod)


def guarded_sum(values, start: Any = 0) -> Any:
    return _current.get().sum(values, start)


class _AnyInt(type):
    """`isinstance(x, int)` in diagram code still means an integer."""

    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, int)

    def __subclasscheck__(cls, sub) -> bool:
        return issubclass(sub, int)


class GuardedInt(int, metaclass=_AnyInt):
    """The `int` diagram code sees: converting text in another base is bounded like any integer."""

    def __new__(cls, value: Any = 0, *base: Any) -> int:   # noqa: D102 - answers a plain int
        return _current.get().int(value, *base)


def guarded_round(number: Any, ndigits: Any = None) -> Any:
    return _current.get().round(number, ndigits)


def built(value: Any) -> Any:
    return _current.get().built(value)


def guarded_write(target: Any) -> Any:
    return _current.get().write(target)


def _listing(function):
    """`map`, `filter`, `zip`, `enumerate` answering lists built item by item (each a tick): a chain of a hundred
    thousand lazy iterators, each pulling from the next, would overflow the C stack and crash the process."""
    def listed(*args):
        budget = _current.get()
        return [budget.tick() and item for item in function(*args)]
    listed.__name__ = function.__name__
    return listed


GUARDS = {"_tick_": tick, "_binop_": binop, "_inplacevar_": inplace, "_getattr_": guarded_getattr, "_built_": built,
          "_write_": guarded_write}
BUDGETED_BUILTINS = {"range": guarded_range, "pow": guarded_pow, "sum": guarded_sum, "int": GuardedInt,
                     "round": guarded_round, **{f.__name__: _listing(f) for f in (map, filter, zip, enumerate)}}


def uncharged(helper):
    """A helper handed to diagrams, whose own running time is not charged to the evaluation that calls it."""
    def call(*args, **kwargs):
        budget = _current.get(None)
        if budget is None:
            return helper(*args, **kwargs)
        started = time.perf_counter()
        try:
            return helper(*args, **kwargs)
        finally:
            budget.credit(time.perf_counter() - started)
    call.__name__ = getattr(helper, "__name__", "helper")
    return call
