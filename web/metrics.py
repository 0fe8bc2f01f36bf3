"""Prometheus metrics (prometheus_client): request latency by route, step latency, and figures read from the
database at each scrape (timers due and the oldest one's lateness, cases in error, documents waiting to be filled).

Several worker processes (`lawflow serve --workers N`) report as one through prometheus_client's multiprocess mode:
`serve` names a folder in PROMETHEUS_MULTIPROC_DIR before gunicorn forks (web/production.py), every worker writes
its counters and histograms there, and a scrape answered by any worker sums them all. That mode is chosen when
prometheus_client is first imported, so this module imports it only when a metric is first used, which is in a
worker (as its app is built), never in the process that starts them. The database figures are not kept in any process: a collector reads
them when scraped, so every worker and every server reports the same.

/metrics is open to a client on the same machine (loopback), and to anyone else only with `Authorization: Bearer
<METRICS_TOKEN>`; with no token set, only loopback.
"""
from __future__ import annotations

import hmac
import ipaddress
import os
import time

from flask import Blueprint, Flask, Response, abort, current_app, g, request

from engine.work import operations

bp = Blueprint("ops_metrics", __name__)
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def init_app(app: Flask) -> None:
    """Time every request and every completed step; serve /metrics."""
    app.extensions["lawflow.metrics"] = None            # built at first use (see the module's docstring)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        _metrics(app)   # a worker of `serve`: built now, not inside a request that may be short of memory (guard.py)
    app.extensions["lawflow.engine"].step_observers.append(
        lambda process, seconds: _metrics(app).step.labels(process).observe(seconds))
    app.before_request_funcs.setdefault(None, []).insert(0, _started)
    app.after_request(_observe)
    app.register_blueprint(bp)


class AppMetrics:
    """This app's metric objects, in a registry of its own (a test process builds many apps)."""

    def __init__(self, app: Flask) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram

        self.registry = CollectorRegistry(auto_describe=True)
        self.request = Histogram("lawflow_http_request_duration_seconds",
                                 "Time to answer a request, by route (Flask endpoint) and method",
                                 ["endpoint", "method"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.requests = Counter("lawflow_http_requests", "Requests answered, by route, method and status",
                                ["endpoint", "method", "status"], registry=self.registry)
        self.step = Histogram("lawflow_step_duration_seconds",
                              "Time to complete a task and run its case to the next wait, by process",
                              ["process"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.database = DatabaseFigures(app)
        self.registry.register(self.database)


def _metrics(app: Flask) -> AppMetrics:
    built = app.extensions["lawflow.metrics"]
    if built is None:
        built = app.extensions["lawflow.metrics"] = AppMetrics(app)
    return built


def _started() -> None:
    g.metrics_started = time.perf_counter()


def _observe(response):
    seconds = time.perf_counter() - g.get("metrics_started", time.perf_counter())
    endpoint, method = request.endpoint or "unmatched", request.method
    metrics = _metrics(current_app)
    metrics.request.labels(endpoint, method).observe(seconds)
    metrics.requests.labels(endpoint, method, str(response.status_code)).inc()
    return response


class DatabaseFigures:
    """A prometheus_client collector that reads the operators' figures from the database when scraped."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def describe(self):
        return []           # asked only when scraped: registering it must not touch the database

    def collect(self):
        from prometheus_client.core import GaugeMetricFamily

        engine = self.app.extensions["lawflow.engine"]
        with self.app.extensions["lawflow.sessions"]() as session:
            now = engine.now()
            found = operations.figures(session, now)
            beat = operations.last_beat(session)
        yield GaugeMetricFamily("lawflow_timers_due", "Running cases whose timer is due now", found.timers_due)
        yield GaugeMetricFamily("lawflow_timers_oldest_lateness_seconds",
                                "How long the longest-waiting due timer has been due", found.oldest_lateness_seconds)
        yield GaugeMetricFamily("lawflow_cases_in_error", "Cases stopped in error", found.cases_in_error)
        yield GaugeMetricFamily("lawflow_documents_pending", "Documents waiting to be filled", found.documents_pending)
        yield GaugeMetricFamily("lawflow_documents_oldest_pending_seconds",
                                "Age of the oldest document waiting to be filled", found.oldest_document_seconds)
        yield GaugeMetricFamily("lawflow_scheduler_heartbeat_age_seconds",
                                "Seconds since any scheduler last beat (-1: none ever has)",
                                (now - beat).total_seconds() if beat is not None else -1.0)


def exposition(app: Flask) -> tuple[bytes, str]:
    """The metrics text of this server: every worker's when several share a multiprocess folder, else this
    process's; the database figures read now."""
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

    metrics = _metrics(app)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        registry.register(metrics.database)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(metrics.registry), CONTENT_TYPE_LATEST


def may_read(remote_addr: str | None, authorization: str | None, token: str) -> bool:
    """Whether a scraper may read the metrics: the bearer token when one is set, or a loopback address."""
    if token and authorization and authorization.startswith("Bearer "):
        return hmac.compare_digest(authorization.removeprefix("Bearer ").encode(), token.encode())
    try:
        return ipaddress.ip_address(remote_addr or "").is_loopback
    except ValueError:
        return False


@bp.get("/metrics")
def metrics():
    """Prometheus metrics (loopback, or a bearer token)."""
    if not may_read(request.remote_addr, request.headers.get("Authorization"), current_app.config["METRICS_TOKEN"]):
        abort(403)
    body, kind = exposition(current_app._get_current_object())
    return Response(body, content_type=kind)
