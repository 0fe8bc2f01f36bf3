"""Defence in depth for server processes: a memory ceiling and a watchdog for work that never ends.

The sandbox bounds diagram code inside the process (engine/sandbox/limits.py). Should anything slip past it, a
gunicorn worker or the scheduler must not hang or bloat for ever: gunicorn's own timeout does not apply to a
gthread worker whose request thread is stuck (its main thread keeps the worker alive), so each process watches
its own work. A piece of work running past its time ends the process at once (gunicorn starts a fresh worker;
the scheduler is restarted by its supervisor); memory above the ceiling retires the worker gracefully, and twice
the ceiling cannot be allocated at all (the allocation fails with MemoryError, which fails only that case).
"""
from __future__ import annotations

import gc
import hashlib
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


def settle_heap() -> None:
    """For a long-lived process that has built what it keeps (the app, its engine, the deployed specs): collect
    the garbage the build left, then freeze what is still alive (`gc.freeze`), so that the garbage collector no
    longer walks it. A collection then looks only at what requests made since, not at several hundred thousand
    objects of the app. Measured on a gunicorn worker under tests/perf/http_bench.py: 0.23 ms of collection a
    completion before, 0.05 ms after, and the longest pause 160–180 ms before, under 20 ms after. Frozen objects
    are still freed when nothing refers to them; only a cycle among them would stay."""
    gc.collect()
    gc.freeze()


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
                 interval: float = 0.5, clock: Callable[[], float] = time.monotonic,
                 each_look: Callable[[], None] | None = None):
        self.work_seconds, self.ceiling = work_seconds, ceiling_mb << 20
        self.over_ceiling, self.interval, self.clock = over_ceiling, interval, clock
        self.each_look = each_look
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
            if self.each_look is not None:
                try:
                    self.each_look()
                except Exception:           # a database that is briefly away: look again next time
                    log.exception("看门狗的例行检查失败")

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


class CrashJournal:
    """Which cases this process is changing, in a file that outlives the process.

    A process that dies mid-step (killed for running too long or too big, or crashed by a C-level fault) never
    commits the step, so its case stays at its last good state, ready to fail the same way on the next try.
    Any live process of the same server that finds a dead process's journal puts those cases in error instead,
    if they are still where the dead process found them.
    """

    def __init__(self, folder: str | os.PathLike, database: str):
        self.folder = os.fspath(folder)
        os.makedirs(self.folder, exist_ok=True)
        # Processes of other databases may share the folder: each journal names its database.
        self.suffix = f".{hashlib.sha256(database.encode()).hexdigest()[:16]}.journal"
        self.path = os.path.join(self.folder, f"{os.getpid()}{self.suffix}")
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        self._running: dict[int, tuple[int, int]] = {}
        self._lock = threading.Lock()

    @contextmanager
    def running(self, case_id: int, version: int):
        key = threading.get_ident()
        self._note(key, (case_id, version))
        try:
            yield
        finally:
            self._note(key, None)

    def _note(self, key: int, entry: tuple[int, int] | None) -> None:
        with self._lock:
            if entry is None:
                self._running.pop(key, None)
            else:
                self._running[key] = entry
            text = "".join(f"{c} {v}\n" for c, v in self._running.values()).encode()
            os.pwrite(self._fd, text, 0)
            os.ftruncate(self._fd, len(text))

    def recover(self, fail: Callable[[int, int], None]) -> int:
        """Fail the cases of journals whose process is gone; answer how many journals were taken."""
        taken = 0
        for name in os.listdir(self.folder):
            pid = name.split(".", 1)[0]
            if not name.endswith(self.suffix) or not pid.isdigit() or _alive(int(pid)):
                continue
            claimed = os.path.join(self.folder, f"{name}.{os.getpid()}")
            try:
                os.rename(os.path.join(self.folder, name), claimed)     # one process takes each journal
            except FileNotFoundError:
                continue
            with open(claimed, encoding="ascii") as journal:
                entries = [line.split() for line in journal if line.strip()]
            for case_id, version in entries:
                fail(int(case_id), int(version))
            os.unlink(claimed)
            taken += 1
        return taken


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


CRASH_MESSAGE = "处理此案件的进程在运行这一步时异常退出，案件停在上一次保存的状态；请检查流程图后恢复运行"


def watch_cases(app) -> Callable[[], int]:
    """Give the app's engine a crash journal; answer the look that fails the cases of crashed processes."""
    from engine.runtime import mark_failed

    engine, sessions = app.extensions["lawflow.engine"], app.extensions["lawflow.sessions"]
    journal = CrashJournal(app.config["CRASH_JOURNAL_DIR"], app.config["DATABASE_URL"])
    engine.journal = journal

    def fail(case_id: int, version: int) -> None:
        with app.app_context(), sessions() as session:
            if mark_failed(engine, session, case_id, "system", CRASH_MESSAGE, version=version):
                log.error("案件 %s 在进程崩溃时正在运行，已置为出错", case_id)

    return lambda: journal.recover(fail)
