"""APScheduler jobs: the timer sweep, in the app process (embedded) or its own process (production)."""
from __future__ import annotations

import logging
import time
from datetime import datetime, timezone

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from engine.records import render_pending, send_pending_email, SmtpSettings
from engine.runtime import fire_due_timers
from engine.time import load_calendar, missing_years
from engine.work import operations

from .engine_text import engine_text
from .guard import Watchdog, cap_memory, settle_heap, watch_cases

log = logging.getLogger("lawflow.scheduler")


def sweep(app: Flask) -> int:
    """Fire every due timer once (the database decides what is due), then e-mail new notifications."""
    engine = app.extensions["lawflow.engine"]
    with app.app_context():
        with app.extensions["lawflow.sessions"]() as session:
            load_calendar(engine, session)   # schedules entered by other processes
            _warn_missing_years(app, missing_years(engine, session), engine.today())
            # A backlog is worked off batch after batch, up to one sweep interval (the next sweep goes on).
            fired = fire_due_timers(engine, session, limit=None, seconds=float(app.config["TIMER_SWEEP_SECONDS"]))
            render_pending(session)
            settings = smtp_settings(app.config)
            if settings is not None:
                send_pending_email(session, settings, engine.now(), base_url=app.config["PUBLIC_URL"],
                                   text=engine_text)      # outside a request: the interface's first language
            return fired


def _warn_missing_years(app: Flask, missing: list[int], today) -> None:
    """Say once a day (not at every sweep) which years lack their official holiday schedule."""
    said = (tuple(missing), today)
    if missing and app.extensions.get("lawflow.missing_years_said") != said:
        app.logger.warning("缺少 %s 年的官方节假日安排，相关期限按工作日暂定；请用 `lawflow calendar set-year` 录入",
                           "、".join(map(str, missing)))
    app.extensions["lawflow.missing_years_said"] = said


def smtp_settings(config) -> SmtpSettings | None:
    """SMTP settings from the app config, or None when e-mail is off."""
    if not config["SMTP_HOST"]:
        return None
    return SmtpSettings(host=config["SMTP_HOST"], port=int(config["SMTP_PORT"]), sender=config["SMTP_SENDER"],
                        username=config["SMTP_USERNAME"] or None, password=config["SMTP_PASSWORD"] or None,
                        starttls=bool(config["SMTP_STARTTLS"]))


def fill_documents(app: Flask) -> int:
    """Fill the documents steps asked for since the last run."""
    with app.extensions["lawflow.sessions"]() as session:
        return render_pending(session)


def monthly_ledgers(app: Flask) -> int:
    """On the first working day of a month, build and store last month's ledgers and notify their holders (each
    is built once, however often and by however many schedulers this runs; see web/monthly.py)."""
    from .monthly import build_monthly

    return build_monthly(app)


def summarise(app: Flask) -> int:
    """Refresh the stored summary of the reports' figures: the months changed since, and those not summarised for
    the active report definitions (several schedulers count each once; engine/work/report_summary.py)."""
    from engine.work import report_summary, reports

    with app.extensions["lawflow.sessions"]() as session:
        return report_summary.refresh(session, reports.reports(session), app.extensions["lawflow.engine"].now())


def _add_jobs(scheduler, app: Flask, watchdog: Watchdog | None = None, metrics=None) -> None:
    scheduler.add_job(_watched(sweep, watchdog, metrics), "interval", args=[app],
                      seconds=int(app.config["TIMER_SWEEP_SECONDS"]), id="timer-sweep", max_instances=1, coalesce=True)
    scheduler.add_job(_watched(fill_documents, watchdog, metrics), "interval", args=[app],
                      seconds=int(app.config["DOCUMENT_SECONDS"]), id="documents", max_instances=1, coalesce=True)
    scheduler.add_job(_watched(monthly_ledgers, watchdog, metrics), "interval", args=[app],
                      seconds=int(app.config["MONTHLY_LEDGER_SECONDS"]), id="monthly-ledgers", max_instances=1,
                      coalesce=True)
    scheduler.add_job(_watched(summarise, watchdog, metrics), "interval", args=[app],
                      seconds=int(app.config["REPORT_SUMMARY_SECONDS"]), id="report-summary", max_instances=1,
                      coalesce=True)
    beating = Heartbeat(metrics)
    scheduler.add_job(_watched(beating, watchdog, metrics), "interval", args=[app],
                      seconds=int(app.config["SCHEDULER_HEARTBEAT_SECONDS"]), id="heartbeat", max_instances=1,
                      coalesce=True, next_run_time=datetime.now(timezone.utc))     # ready as soon as it starts


class Heartbeat:
    """The job that writes this scheduler's heartbeat row, which /readyz reads (web/readiness.py)."""

    __name__ = "heartbeat"

    def __init__(self, metrics=None) -> None:
        self.name, self.started_at, self.metrics = operations.process_name(), None, metrics

    def __call__(self, app: Flask) -> None:
        now = app.extensions["lawflow.engine"].now()
        self.started_at = self.started_at or now
        with app.extensions["lawflow.sessions"]() as session:
            operations.beat(session, self.name, now, self.started_at)
        if self.metrics is not None:
            self.metrics.heartbeat.set(now.timestamp())


def _watched(job, watchdog: Watchdog | None, metrics=None):
    """The job, as work the watchdog watches (when there is one), timed by the metrics (when there are some)."""
    if metrics is not None:
        job = metrics.measured(job)
    if watchdog is None:
        return job
    job = _logged(job)

    def run(app: Flask):
        with watchdog.working(job.__name__):
            return job(app)
    run.__name__ = job.__name__
    return run


def _logged(job):
    """The job, saying in the log (one line, its fields in a JSON log) what it handled when it handled something."""
    def run(app: Flask):
        started = time.perf_counter()
        done = job(app)
        if isinstance(done, int) and not isinstance(done, bool) and done > 0:
            seconds = round(time.perf_counter() - started, 3)
            log.info("%s 处理了 %s 项，用时 %s 秒", job.__name__, done, seconds,
                     extra={"job": job.__name__, "handled": done, "seconds": seconds})
        return done
    run.__name__ = job.__name__
    return run


def start_background(app: Flask) -> BackgroundScheduler:
    """Start the sweep inside the app process."""
    scheduler = BackgroundScheduler(timezone="UTC")
    _add_jobs(scheduler, app)
    scheduler.start()
    return scheduler


def run_blocking(app: Flask, metrics_port: int | None = None, metrics_host: str = "127.0.0.1") -> None:
    """Run the sweep in this process until stopped; a job that never ends, or memory past the ceiling, ends the
    process (its supervisor starts it again, see docker/compose.yaml). With a metrics port, its own metrics are
    served there (web/scheduler_metrics.py)."""
    metrics = None
    if metrics_port is not None:
        from .scheduler_metrics import SchedulerMetrics

        metrics = SchedulerMetrics(app)
        server = metrics.serve(metrics_host, metrics_port, app.config["METRICS_TOKEN"])
        log.info("监控指标：http://%s:%s/metrics", metrics_host, server.server_port)
    scheduler = BlockingScheduler(timezone="UTC")
    settle_heap()
    cap_memory(int(app.config["WORKER_MEMORY_MB"]))
    watchdog = Watchdog(float(app.config["SCHEDULER_JOB_SECONDS"]), int(app.config["WORKER_MEMORY_MB"]),
                        lambda: scheduler.shutdown(wait=False), each_look=watch_cases(app))
    watchdog.start()
    _add_jobs(scheduler, app, watchdog, metrics)
    scheduler.start()
