"""Defence in depth for server processes: a memory ceiling and a watchdog for work that never ends.

The sandbox bounds diagram code inside the process (engine/sandbox_limits.py). Should anything slip past it, a
gunicorn worker or the scheduler must not hang or bloat for ever: gunicorn's own timeout does not apply to a
gthread worker whose request thread is stuck (its main thread keeps the worker alive), so each process watches
its own work. A piece of work running past its time ends the process at once (gunicorn starts a fresh worker;
the scheduler is restarted by its supervisor); memory above the ceiling retires the worker gracefully, and twice
the ceiling cannot be allocated at all (the allocation fails with MemoryError, which fails only that case).
"""
from __future__ import annotations

import logging
import os
import resource
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager

log = logging.getLogger("lawflow.guard")
_PAGE = os.sysconf("SC_PAGE_SIZE")
EXIT_STUCK = 75         # the exit status of a process the watchdog ended


def resident_bytes() -> int:
    """This process's resident memory."""
    with open("/proc/self/statm", "rb") as statm:
        return int(statm.read().split()[1]) * _PAGE


def cap_memory(ceiling_mb: int) -> None:
    """Refuse allocations past twice the ceiling (RLIMIT_DATA: the process's private writable memory)."""
    if ceiling_mb <= 0:
        return
    hard = ceiling_mb * 2 << 20
    resource.setrlimit(resource.RLIMIT_DATA, (hard, hard))


class Watchdog:
    """Tracks the work a process is doing and ends the process when one piece runs too long.

    `over_ceiling` is called (once) when resident memory passes the ceiling: a worker uses it to retire itself.
    """

    def __init__(self, work_seconds: float, ceiling_mb: int, over_ceiling: Callable[[], None] | None = None,
                 interval: float = 0.5, clock: Callable[[], float] = time.monotonic):
        self.work_seconds, self.ceiling = work_seconds, ceiling_mb << 20
        self.over_ceiling, self.interval, self.clock = over_ceiling, interval, clock
        self._running: dict[int, tuple[float, str]] = {}
        self._lock = threading.Lock()
        self._retiring = False

    @contextmanager
    def working(self, what: str):
        """Mark the current thread as doing `what` until the block ends."""
        key = threading.get_ident()
        with self._lock:
            self._running[key] = (self.clock(), what)
        try:
            yield
        finally:
            with self._lock:
                self._running.pop(key, None)

    def start(self) -> None:
        threading.Thread(target=self._watch, name="lawflow-watchdog", daemon=True).start()

    def _watch(self) -> None:
        while True:
            time.sleep(self.interval)
            self.look()

    def look(self) -> None:
        """One look: end the process for overdue work, retire it above the memory ceiling."""
        now = self.clock()
        with self._lock:
            overdue = [what for started, what in self._running.values() if now - started > self.work_seconds]
        if overdue and self.work_seconds > 0:
            log.error("进程 %s 的工作超过 %s 秒仍未结束（%s），进程退出后将重新启动", os.getpid(), self.work_seconds,
                      overdue[0])
            logging.shutdown()
            os._exit(EXIT_STUCK)
        if self.ceiling and not self._retiring and resident_bytes() > self.ceiling:
            self._retiring = True
            log.warning("进程 %s 占用内存超过 %s MB，处理完当前请求后退出并重新启动", os.getpid(), self.ceiling >> 20)
            if self.over_ceiling is not None:
                self.over_ceiling()


class WatchedApp:
    """WSGI middleware: every request is work the watchdog watches."""

    def __init__(self, app, watchdog: Watchdog):
        self.app, self.watchdog = app, watchdog

    def __call__(self, environ, start_response):
        with self.watchdog.working(f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')}"):
            body = self.app(environ, start_response)
            try:
                return list(body)       # produced inside the watch too: a streamed answer is still work
            finally:
                close = getattr(body, "close", None)
                if close is not None:
                    close()
