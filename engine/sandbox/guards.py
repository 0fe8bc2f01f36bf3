"""The guarded operations of diagram code: what each operation that can build a huge value in one C call checks
before it runs, charged to the running evaluation's budget (engine/sandbox/limits.py).

The instrumentation (`sandbox._Instrument`) turns `+`, `*`, `**`, `<<` and text `%` into `_binop_`, and
RestrictedPython already routes attribute access, item writes and `+=` through `_getattr_`, `_write_` and
`_inplacevar_`; `GUARDS` are those names, `BUDGETED_BUILTINS` the builtins that replace `range`, `pow`, `sum`,
`int`, `round`, `map`, `filter`, `zip` and `enumerate`.
"""
from __future__ import annotations

import operator
import re
from collections.abc import Sized
from typing import Any

from RestrictedPython.Guards import full_write_guard, safer_getattr

from ..core.errors import SandboxError
from ..core.messages import Msg
from .limits import Budget, current

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
        budget.fail(Msg("sandbox.star_width"))
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


# -- the names instrumented code calls ------------------------------------------------------------------------

def tick() -> bool:
    return current().tick()


def binop(op: str, left: Any, right: Any) -> Any:
    """`left op right` for the operators that can build a huge value in one step."""
    guard = _GUARDS.get((op, _kind(left), _kind(right)))
    if guard is not None:
        guard(current(), left, right)
    return _OPERATORS[op](left, right)


def inplace(op: str, target: Any, value: Any) -> Any:
    """`target op= value` (RestrictedPython's `_inplacevar_`)."""
    name = _INPLACE.get(op)
    if name is None:
        raise SandboxError(Msg("sandbox.operator", op=op))
    return binop(name, target, value)


def guarded_getattr(obj: Any, name: str, *default: Any) -> Any:
    """RestrictedPython's attribute guard, with the methods that can grow a value wrapped in a size check.

    Attributes of types are refused: `str.join(sep, items)` would skip the wrappers, `int.from_bytes` the
    integer bound.
    """
    if isinstance(obj, type):
        raise SandboxError(Msg("sandbox.type_attribute", name=f"{getattr(obj, '__name__', '')}.{name}"))
    value = safer_getattr(obj, name, *default)
    kind = _kind(obj)
    grow = _METHODS.get((kind, name))
    if grow is not None:
        return _checked(current(), obj, value, grow)
    wrapper = _WRAPPERS.get((kind, name))
    return value if wrapper is None else wrapper(current(), obj, value)


def guarded_write(target: Any) -> Any:
    """RestrictedPython's write guard; a list's slice assignment is checked for the size it would reach."""
    target = full_write_guard(target)
    return _SizedList(current(), target) if isinstance(target, list) else target


def built(value: Any) -> Any:
    """A list, tuple or set display with `*` unpacking, checked after it is built (it at most doubles)."""
    current().size(len(value))
    return value


def guarded_range(*args: int) -> range:
    budget, span = current(), range(*args)
    if len(span) > budget.limits.max_items:
        budget.fail(Msg("sandbox.range_too_long", length=len(span), limit=budget.limits.max_items))
    budget.size(len(span))        # what it may become: a list of that many numbers
    return span


def guarded_pow(base: Any, exp: Any, mod: Any = None) -> Any:
    if mod is None:
        return binop("**", base, exp)
    if isinstance(exp, int) and isinstance(mod, int):
        current().bits(max(exp.bit_length(), mod.bit_length()) * 25)
    return pow(base, exp, mod)


def guarded_sum(values, start: Any = 0) -> Any:
    if not isinstance(start, (int, float, complex)):
        raise SandboxError(Msg("sandbox.sum_numbers"))
    return sum(values, start)


def guarded_round(number: Any, ndigits: Any = None) -> Any:
    if isinstance(ndigits, int) and abs(ndigits) > 400:
        current().fail(Msg("sandbox.round_digits"))
    return round(number, ndigits)


class _AnyInt(type):
    """`isinstance(x, int)` in diagram code still means an integer."""

    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, int)

    def __subclasscheck__(cls, sub) -> bool:
        return issubclass(sub, int)


class GuardedInt(int, metaclass=_AnyInt):
    """The `int` diagram code sees: converting text in another base is bounded like any integer."""

    def __new__(cls, value: Any = 0, *base: Any) -> int:   # noqa: D102 - answers a plain int
        if base and isinstance(value, (str, bytes, bytearray)):
            current().bits(len(value) * max(int(base[0]), 2).bit_length())
        return int(value, *base)


def _listing(function):
    """`map`, `filter`, `zip`, `enumerate` answering lists built item by item (each a tick): a chain of a hundred
    thousand lazy iterators, each pulling from the next, would overflow the C stack and crash the process."""
    def listed(*args):
        budget = current()
        return [budget.tick() and item for item in function(*args)]
    listed.__name__ = function.__name__
    return listed


GUARDS = {"_tick_": tick, "_binop_": binop, "_inplacevar_": inplace, "_getattr_": guarded_getattr, "_built_": built,
          "_write_": guarded_write}
BUDGETED_BUILTINS = {"range": guarded_range, "pow": guarded_pow, "sum": guarded_sum, "int": GuardedInt,
                     "round": guarded_round, **{f.__name__: _listing(f) for f in (map, filter, zip, enumerate)}}

