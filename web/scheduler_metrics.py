"""The scheduler's own metrics (`lawflow scheduler --metrics-port N`): how long each job ran, timers fired,
documents filled, when it last beat, and the database figures the app's /metrics also reads (web/metrics.py).

One process, so no multiprocess folder: the metrics live in this process's registry, served on their own port by a
small WSGI server in a thread, open to loopback or to `Authorization: Bearer <METRICS_TOKEN>` as the app's are."""
from __future__ import annotations

import threading
import time
from wsgiref.simple_server import WSGIRequestHandler, make_server

from flask import Flask

from .metrics import LATENCY_BUCKETS, DatabaseFigures, may_read


class SchedulerMetrics:
    """The scheduler's metric objects and the collector of the database's figures."""

    def __init__(self, app: Flask) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.registry = CollectorRegistry(auto_describe=True)
        self.job = Histogram("lawflow_scheduler_job_duration_seconds", "Time a scheduler job ran, by job", ["job"],
                             buckets=LATENCY_BUCKETS, registry=self.registry)
        self.failures = Counter("lawflow_scheduler_job_failures", "Scheduler jobs that raised, by job", ["job"],
                                registry=self.registry)
        self.handled = Counter("lawflow_scheduler_handled", "Cases run by the timer sweep and documents filled, by job",
                               ["job"], registry=self.registry)
        self.heartbeat = Gauge("lawflow_scheduler_last_heartbeat_timestamp_seconds",
                               "When this scheduler last wrote its heartbeat (Unix time)", registry=self.registry)
        self.registry.register(DatabaseFigures(app))

    def measured(self, job):
        """The job, timed and counted under its name."""
        def run(app: Flask):
            started = time.perf_counter()
            try:
                done = job(app)
            except Exception:
                self.failures.labels(job.__name__).inc()
                raise
            finally:
                self.job.labels(job.__name__).observe(time.perf_counter() - started)
            if isinstance(done, int) and not isinstance(done, bool):
                self.handled.labels(job.__name__).inc(done)
            return done
        run.__name__ = job.__name__
        return run

    def serve(self, host: str, port: int, token: str):
        """Answer scrapes on host:port in a daemon thread; returns the server (its `server_port` is the port)."""
        from prometheus_client import make_wsgi_app

        exposition = make_wsgi_app(self.registry)

        def guarded(environ, start_response):
            if not may_read(environ.get("REMOTE_ADDR"), environ.get("HTTP_AUTHORIZATION"), token):
                start_response("403 Forbidden", [("Content-Type", "text/plain")])
                return [b"forbidden\n"]
            return exposition(environ, start_response)

        server = make_server(host, port, guarded, handler_class=_Quiet)
        threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
        return server


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args) -> None:      # a scrape every few seconds is not news
        pass
