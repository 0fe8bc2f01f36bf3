"""The production server: gunicorn worker processes, each building its own app; timers run in `lawflow scheduler`."""
from __future__ import annotations

from gunicorn.app.base import BaseApplication


class _Server(BaseApplication):
    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from . import create_app

        return create_app({"SCHEDULER_IN_PROCESS": False})


def serve_with_gunicorn(host: str, port: int, workers: int, threads: int = 2) -> None:
    """Run gunicorn with `workers` processes of `threads` threads each (two by default).

    While one thread's request waits on the database the other's runs; more threads per process only queue
    on the interpreter lock (measured with tests/perf/http_bench.py: 2 did best, 4 and more did worse).
    """
    _Server({"bind": f"{host}:{port}", "workers": workers, "threads": threads, "worker_class": "gthread",
             "accesslog": None, "timeout": 60, "graceful_timeout": 10}).run()
