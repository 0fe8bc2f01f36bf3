"""The production server: gunicorn worker processes, each building its own app; timers run in `lawflow scheduler`.

Each worker watches itself (web/guard.py): a request past `WORKER_REQUEST_SECONDS` ends the worker, memory past
`WORKER_MEMORY_MB` retires it after its current requests, and it cannot allocate twice that. gunicorn replaces a
worker that ended, and recycles every worker after about `WORKER_MAX_REQUESTS` requests.
"""
from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

from gunicorn.app.base import BaseApplication

from . import config as settings
from .guard import Watchdog, WatchedApp, cap_memory, settle_heap, watch_cases

_worker = None          # this process's gunicorn worker, once forked


def _post_fork(server, worker) -> None:
    global _worker
    _worker = worker


def _retire() -> None:
    """Leave after the requests in hand; the arbiter starts a fresh worker."""
    if _worker is not None:
        _worker.alive = False


class _Server(BaseApplication):
    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        app = worker_app()
        settle_heap()
        cap_memory(int(app.config["WORKER_MEMORY_MB"]))
        journal = watch_cases(app)
        watchdog = Watchdog(float(app.config["WORKER_REQUEST_SECONDS"]), int(app.config["WORKER_MEMORY_MB"]), _retire,
                            each_look=journal)
        watchdog.start()
        return WatchedApp(app, watchdog)


def worker_app():
    """The app one worker serves: the deployment's settings, with the timer sweep left to `lawflow scheduler`."""
    from . import create_app

    return create_app(settings.load() | {"SCHEDULER_IN_PROCESS": False})


def serve_with_gunicorn(host: str, port: int, workers: int, threads: int = 2) -> None:
    """Run gunicorn with `workers` processes of `threads` threads each (two by default).

    While one thread's request waits on the database the other's runs; more threads per process only queue
    on the interpreter lock (measured with tests/perf/http_bench.py: 2 did best, 4 and more did worse).
    """
    config = settings.load()
    share_metrics(config["METRICS_DIR"])
    max_requests = int(config["WORKER_MAX_REQUESTS"])
    _Server({"bind": f"{host}:{port}", "workers": workers, "threads": threads, "worker_class": "gthread",
             "accesslog": None, "timeout": 60, "graceful_timeout": 10, "post_fork": _post_fork,
             "max_requests": max_requests, "max_requests_jitter": max_requests // 10}).run()


def share_metrics(folder: str) -> str:
    """Name the folder where the workers about to be forked keep their metrics (prometheus_client's multiprocess
    mode, web/metrics.py): PROMETHEUS_MULTIPROC_DIR if the environment sets it, else METRICS_DIR, else a fresh
    temporary folder removed when the server ends. What an earlier run left there is cleared: counters start at
    zero with the server, as they would in one process."""
    if "prometheus_client" in sys.modules:
        raise RuntimeError("prometheus_client was imported before its multiprocess folder was set")
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or folder
    if not folder:
        folder = tempfile.mkdtemp(prefix="lawflow-metrics-")
        atexit.register(_remove_when_leaving, folder, os.getpid())
    Path(folder).mkdir(parents=True, exist_ok=True)
    for stale in Path(folder).glob("*.db"):
        stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
    return folder


def _remove_when_leaving(folder: str, owner: int) -> None:
    """Remove the metrics folder when the server ends: the process that made it, not a forked worker retiring."""
    if os.getpid() == owner:
        shutil.rmtree(folder, ignore_errors=True)
