"""Data at scale (issue 23): a county user's pages on a generated PostgreSQL database of 10k, 100k or 1M cases.

    python tests/perf/bench.py --scale 10k|100k|1m        (or python tests/perf/scale_bench.py --scale 10k)
    python tests/perf/scale_bench.py --url URL            (measure an existing generated database; no build;
                                                           --skip-export leaves out the year's CSV)

The database is made by `lawflow generate`'s path (templates run through the engine, then copied with COPY), on
a throwaway server of the test harness. Then, through the Flask app as a county caseworker (chen, county-a):
scale_<view>_p50_ms / _p95_ms   each inbox view (mine, group, delegated, done), with a filter and other sorts
                               (the whole request, page rendered; _sql_p50_ms / _sql_p95_ms: the database's part;
                               _cpu_p50_ms: the CPU the app's process spent on it, less sensitive to a busy machine)
scale_search_*                 the case search: no filter, a process and status, a text, a date range
scale_case_page_*              a case's page, for cases of the county picked at random
scale_export_year_*            the CSV of one year of the county (seconds, rows, how much Python's traced memory
                               grew at its peak while the response streamed: flat memory means a small figure)
scale_plans                    the EXPLAIN of every query those pages sent that reads case_instance or human_task
scale_seq_scan_case            queries whose plan scans case_instance sequentially (must be empty)
scale_seq_scan_task            likewise for human_task
scale_load_average             the machine's 1-minute load average before and after (on a shared machine the wall
                               times grow with it)
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, text  # noqa: E402

from engine.core.db import connect, upgrade  # noqa: E402
from engine.definitions import bundles  # noqa: E402
from engine.work import generator, report_summary, reports  # noqa: E402
from tests.pg_harness import PostgresServer  # noqa: E402

SCALES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}
USER = "chen"                      # a caseworker of county-a (demo data)
PAGES = {
    "inbox_mine": "/inbox?view=mine",
    "inbox_group": "/inbox?view=group",
    "inbox_delegated": "/inbox?view=delegated",
    "inbox_done": "/inbox?view=done",
    "inbox_done_newest": "/inbox?view=done&sort=newest",
    "inbox_mine_overdue": "/inbox?view=mine&due=overdue&process=lawyer_complaint",
    "inbox_group_oldest": "/inbox?view=group&sort=oldest&q=律师",
    "search_all": "/cases",
    "search_process_status": "/cases?process=lawyer_complaint&status=completed",
    "search_text": "/cases?q=13800",
    "search_number": "/cases?q=投诉第0042号",
    "search_dates": "/cases?since=2024-03-01&until=2024-03-31",
    "search_next_page": None,      # the second page of /cases (by its cursor)
}


def build(url: str, count: int, seed: int = 1) -> dict:
    """Deploy, run the templates through the engine, generate `count` cases; the time each part took."""
    from web import create_app
    from web.database import session as db_session
    from web.generate import load_templates
    from web.workflow import engine as web_engine

    upgrade(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "TESTING": True})
    started = time.perf_counter()
    with app.app_context():
        session = db_session()
        bundles.deploy(session, bundles.collect(ROOT), engine=web_engine())
        spec = load_templates(web_engine(), session)
        found = generator.templates(session, spec["mix"], spec["open_share"])
        templated = time.perf_counter()
        generator.generate(session, found, count, seed=seed,
                           progress=lambda done, total: print(f"  {done}/{total}", file=sys.stderr, flush=True))
        generated = time.perf_counter()
        report_summary.rebuild(session, reports.reports(session), web_engine().now())   # as `lawflow generate` does
        summarised = time.perf_counter() - generated
        session.execute(text("ANALYZE"))
        session.commit()
    app.extensions["lawflow.sql"].dispose()
    return {"templates_s": round(templated - started, 1), "generate_s": round(generated - templated, 1),
            "summarise_s": round(summarised, 1)}


def _percentiles(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return statistics.median(ordered) * 1000, ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000


class Recorder:
    """The SQL statements a request sends (to EXPLAIN them afterwards) and the time the database took on them."""

    def __init__(self, sql_engine) -> None:
        self.on, self.seen, self.sql_s = False, [], 0.0
        event.listen(sql_engine, "before_cursor_execute", self._record)
        event.listen(sql_engine, "after_cursor_execute", self._timed)

    def _record(self, conn, _cursor, statement, parameters, _context, _many) -> None:
        conn.info["started"] = time.perf_counter()
        if self.on:
            self.seen.append((statement, parameters))

    def _timed(self, conn, *_args) -> None:
        self.sql_s += time.perf_counter() - conn.info.pop("started", time.perf_counter())


def measure(url: str, reps: int, export: bool = True) -> dict:
    """Every page's p50/p95, the case page's, the year's export (unless `export` is false), and the plans of
    their queries."""
    from tests.web_helpers import login
    from web import create_app

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "TESTING": True})
    sql = app.extensions["lawflow.sql"]
    recorder = Recorder(sql)
    client = app.test_client()
    login(client, USER)
    result, plans = {}, {}
    first = client.get("/cases").get_data(as_text=True)
    marker = 'id="next-page" href="'
    PAGES["search_next_page"] = (first.split(marker)[1].split('"')[0].replace("&amp;", "&") if marker in first
                                 else "/cases")
    load_before = os.getloadavg()[0]
    for name, path in PAGES.items():
        times, sql_times, cpu_times = [], [], []
        for i in range(reps + 2):
            recorder.on, recorder.seen, recorder.sql_s = i == 0, [], 0.0
            started, cpu = time.perf_counter(), time.process_time()
            response = client.get(path)
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
            assert response.status_code == 200, (path, response.status_code)
            if i == 0:
                plans[name] = recorder.seen
            if i >= 2:                       # the first two warm caches
                times.append(elapsed)
                sql_times.append(recorder.sql_s)
                cpu_times.append(cpu)
        result[f"scale_{name}_p50_ms"], result[f"scale_{name}_p95_ms"] = (round(v, 1) for v in _percentiles(times))
        result[f"scale_{name}_sql_p50_ms"], result[f"scale_{name}_sql_p95_ms"] = (
            round(v, 1) for v in _percentiles(sql_times))
        result[f"scale_{name}_cpu_p50_ms"] = round(_percentiles(cpu_times)[0], 1)
    with connect(url).connect() as conn:
        ids = [r[0] for r in conn.execute(text(
            "SELECT c.id FROM case_instance c JOIN organization o ON o.id = c.org_id "
            "WHERE o.code = 'county-a' ORDER BY random() LIMIT :n"), {"n": reps + 2})]
    times, sql_times, cpu_times = [], [], []
    for i, case_id in enumerate(ids):
        recorder.on, recorder.seen, recorder.sql_s = i == 0, [], 0.0
        started, cpu = time.perf_counter(), time.process_time()
        assert client.get(f"/cases/{case_id}").status_code == 200
        if i == 0:
            plans["case_page"] = recorder.seen
        if i >= 2:
            times.append(time.perf_counter() - started)
            sql_times.append(recorder.sql_s)
            cpu_times.append(time.process_time() - cpu)
    result["scale_case_page_p50_ms"], result["scale_case_page_p95_ms"] = (round(v, 1) for v in _percentiles(times))
    result["scale_case_page_sql_p50_ms"], result["scale_case_page_sql_p95_ms"] = (
        round(v, 1) for v in _percentiles(sql_times))
    result["scale_case_page_cpu_p50_ms"] = round(_percentiles(cpu_times)[0], 1)
    if export:
        result.update(export_year(client, recorder, plans))
    recorder.on = False
    result["scale_load_average"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    explained = explain(url, plans)
    result["scale_plans"] = explained
    result["scale_seq_scan_case"] = sorted({name for name, found in explained.items()
                                            for plan in found if "Seq Scan on case_instance" in plan["plan"]})
    result["scale_seq_scan_task"] = sorted({name for name, found in explained.items()
                                            for plan in found if "Seq Scan on human_task" in plan["plan"]})
    sql.dispose()
    return result


def export_year(client, recorder, plans) -> dict:
    """The CSV of 2024 for county-a, streamed and read chunk by chunk; seconds, rows and traced memory growth."""
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    started = time.perf_counter()
    recorder.on, recorder.seen = True, []
    response = client.get("/cases.csv?org=county-a&since=2024-01-01&until=2024-12-31", buffered=False)
    rows = 0
    for chunk in response.response:
        rows += (chunk if isinstance(chunk, str) else chunk.decode("utf-8")).count("\n")
        recorder.on = False
    response.close()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    plans["export_year"] = recorder.seen[:20]
    return {"scale_export_year_s": round(time.perf_counter() - started, 2), "scale_export_year_rows": rows - 1,
            "scale_export_year_peak_mb": round(peak / 2**20, 2)}


def explain(url: str, plans: dict) -> dict:
    """EXPLAIN of each distinct recorded statement that reads the case or task table."""
    explained = {}
    sql = connect(url)
    with sql.connect() as conn:
        for name, statements in plans.items():
            done, found = set(), []
            for statement, parameters in statements:
                if not any(t in statement for t in ("case_instance", "human_task")) or statement in done \
                        or not statement.lstrip().upper().startswith("SELECT"):
                    continue
                done.add(statement)
                cursor = conn.connection.driver_connection.cursor()
                cursor.execute("EXPLAIN " + statement, parameters)
                found.append({"sql": " ".join(statement.split())[:300],
                              "plan": "\n".join(r[0] for r in cursor.fetchall())})
            explained[name] = found
    sql.dispose()
    return explained


def run(scale: str, reps: int = 20) -> dict:
    """Build a database of the scale on a throwaway server and measure it."""
    server = PostgresServer()
    base = server.start()
    try:
        url = server.create_database("scale")
        built = build(url, SCALES[scale])
        with connect(url).connect() as conn:
            cases, tasks = (conn.execute(text(f"SELECT count(*) FROM {t}")).scalar()
                            for t in ("case_instance", "human_task"))
        figures = measure(url, reps)
    finally:
        server.stop()
    # Reads dominate these figures, but generate_s is a bulk write: say on what kind of server it ran.
    return {"scale": scale, "scale_server": "test harness: not durable (fsync, synchronous_commit off)",
            "scale_cases": cases, "scale_tasks": tasks, **{f"scale_{k}": v for k, v in built.items()},
            **figures}


def run_existing(url: str, reps: int = 20, export: bool = True) -> dict:
    """Measure a database generated earlier (e.g. a long-lived 1M one); nothing is built or changed."""
    with connect(url).connect() as conn:
        cases, tasks = (conn.execute(text(f"SELECT count(*) FROM {t}")).scalar()
                        for t in ("case_instance", "human_task"))
    return {"scale_url": url.rsplit("@", 1)[-1], "scale_cases": cases, "scale_tasks": tasks,
            **measure(url, reps, export)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="10k")
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--url", help="measure this existing database instead of building one")
    parser.add_argument("--skip-export", action="store_true", help="with --url: leave out the year's CSV export")
    args = parser.parse_args()
    figures = (run_existing(args.url, args.reps, not args.skip_export) if args.url
               else run(args.scale, args.reps))
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
