"""Budgets for diagram code: CPU time and memory per evaluation and per run (the guards that charge them are in
engine/sandbox/guards.py).

RestrictedPython keeps diagram code away from the machine; these keep it from eating the machine. Code is
instrumented at compile time (see `sandbox._Instrument`): every loop iteration, comprehension element and function
call ticks the run's `Budget`, and the operations that can build a huge value in one C call (`+`, `*`, `**`, `<<`,
`%` on text, padding and joining text, extending a list, `range`, `pow`) ask the budget first. A budget that is
exceeded stays exceeded: code that catches the error only meets it again at its next tick.
"""
from __future__ import annotations

import contextvars
import gc
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass

from ..core.errors import SandboxError
from ..core.messages import Msg

try:
    import resource
except ImportError:                 # not on every platform: the thread's CPU clock then
    resource = None


@dataclass(frozen=True)
class Limits:
    """What one evaluation may spend. Settings: `SANDBOX_CPU_SECONDS`, `SANDBOX_MEMORY_MB` and the rest."""

    cpu_seconds: float = 0.5          # CPU time of one evaluation (script, condition, expression)
    run_cpu_seconds: float = 5.0      # CPU time of one engine run (a step and what follows it), the engine's own
                                      # work between evaluations included; checked while diagram code runs
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


def _usage_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_THREAD)
    return used.ru_utime + used.ru_stime


# This thread's CPU seconds. Read through getrusage rather than `time.thread_time` where the platform has per-thread
# usage: on the virtual machines lawflow was measured on, the thread CPU clock cost 0.2–1 ms a read inside the
# engine (more under load), a quarter of a task completion; getrusage reads the same account in microseconds, to
# a few milliseconds' grain, ample for budgets of tenths of a second.
thread_cpu = _usage_cpu if hasattr(resource, "RUSAGE_THREAD") else time.thread_time


@contextmanager
def run_budget(limits: Limits):
    """Bound the CPU time of the block (one engine run): the thread's CPU from its start, the engine's own work
    included, less what the engine's helpers and garbage collections gave back; the evaluations inside it check it."""
    token = _run_deadline.set([thread_cpu() + limits.run_cpu_seconds])
    try:
        yield
    finally:
        _run_deadline.reset(token)


def current() -> "Budget":
    """The budget of the evaluation running in this thread (the guards of engine/sandbox/guards.py charge it)."""
    return _current.get()


@contextmanager
def evaluation(limits: Limits, clocked: bool = True):
    """Give the evaluation run inside the block a budget of its own (threads and nested runs never share one).

    `clocked=False` is for straight code (`script.straight`): code that loops nowhere and calls only what takes
    bounded time, whose cost is bounded by its length and by the size limits on each of its operations. Its CPU
    is not read, because the reading could only measure the host: inside a virtual machine that reports no steal
    time (Firecracker), a vCPU the host takes away for a second charges that second to the thread it was running,
    and a trivial condition was stopped for it (CI, after ~3,300 tests). Its memory is still checked."""
    budget = Budget(limits, clocked)
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

    __slots__ = ("limits", "clocked", "started", "cpu_started", "credited", "deadline", "left", "base", "exceeded",
                 "collecting")

    def __init__(self, limits: Limits, clocked: bool = True):
        self.limits = limits
        self.clocked = clocked
        # The thread's CPU clock is the budget's measure: wall time is not, because a thread waiting for the GIL or
        # for a core on a loaded machine spends wall time without running the diagram's code (counted as CPU, a
        # trivial expression was stopped under load). The wall clock is only a cheap first test at the end.
        self.started = time.perf_counter()
        self.cpu_started = thread_cpu() if clocked else 0.0
        self.credited = 0.0         # seconds spent in the engine's helpers, which the diagram is not charged for
        self.deadline: float | None = None
        self.left = _CHECK_EVERY
        self.base = 0               # resident size when first looked at (lazily: most code never needs it)
        self.exceeded: LimitExceeded | None = None
        self.collecting: float | None = None    # when a garbage collection began inside this evaluation

    def tick(self) -> bool:
        """Called on every loop iteration and function call of diagram code."""
        self.left -= 1
        if self.left <= 0:
            self.check()
        return True

    def settle(self) -> None:
        """At the end of a run: refuse it if it went past its budget, even inside one long call that never ticked
        or after swallowing its budget error. The CPU clock is read only when the wall clock says it may be due
        (CPU time never runs ahead of wall time)."""
        if self.exceeded is None and self.clocked \
                and time.perf_counter() - self.started - self.credited > self.limits.cpu_seconds:
            self.left = 0
            self.check()
        if self.exceeded is not None:
            raise self.exceeded

    def check(self, allocating: int = 0) -> None:
        """Raise when the CPU time or the memory budget is spent (for good: later checks raise again)."""
        if self.exceeded is not None:
            raise self.exceeded
        self.left = _CHECK_EVERY
        if self.clocked:
            self._check_cpu()
        resident = _resident()
        if not self.base:
            self.base = resident
        if resident and resident + allocating - self.base > self.limits.memory_bytes:
            self.fail(Msg("sandbox.memory", mb=self.limits.memory_bytes >> 20))

    def _check_cpu(self) -> None:
        cpu = thread_cpu()
        run = _run_deadline.get()
        if self.deadline is None:
            self.deadline = self.cpu_started + self.limits.cpu_seconds + self.credited
        if cpu > self.deadline:
            self.fail(Msg("sandbox.cpu_time", seconds=f"{self.limits.cpu_seconds:g}"))
        if run is not None and cpu > run[0]:        # the run's budget, shared by the step's evaluations, is spent
            self.fail(Msg("sandbox.run_cpu_time", seconds=f"{self.limits.run_cpu_seconds:g}"))

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

    def fail(self, message: Msg) -> None:
        self.exceeded = LimitExceeded(message)
        self.left = 0
        raise self.exceeded

    def size(self, items: int, item_bytes: int = 8) -> None:
        """Refuse building a value of `items` elements (or characters) before it is built."""
        if items > self.limits.max_items:
            self.fail(Msg("sandbox.too_many_items", items=items, limit=self.limits.max_items))
        if items * item_bytes >= _LARGE:
            self.check(items * item_bytes)

    def bits(self, bits: int) -> None:
        """Refuse building an integer of `bits` bits before it is built."""
        if bits > self.limits.max_int_bits:
            self.fail(Msg("sandbox.int_too_large", bits=bits, limit=self.limits.max_int_bits))

def _collection(phase: str, _info: dict) -> None:
    """Give back the time of a garbage collection that began inside an evaluation: it walks every object of the
    process (in a long-lived worker, a second or more), not the diagram's, so a trivial expression that happened to
    allocate the object that set it off is not stopped for it. Bounded like every credit: garbage made on purpose
    still meets the run's budget, and the memory budget besides."""
    budget = _current.get(None)
    if budget is None:
        return
    if phase == "start":
        budget.collecting = time.perf_counter()
    elif budget.collecting is not None:
        budget.credit(time.perf_counter() - budget.collecting)
        budget.collecting = None


gc.callbacks.append(_collection)


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
