"""Leaders' figures at scale (issue 20): the 统计 page, the statistics API, the monthly ledger workbook and the
bottleneck map on a generated PostgreSQL database of 10k, 100k or 1M cases.

    python tests/perf/bench.py --scale 10k|100k|1m      (prints scale_bench's figures, then these)
    python tests/perf/scale_stats_bench.py --scale 10k [--reps 10]
    python tests/perf/scale_stats_bench.py --url postgresql+psycopg://…/scale1m [--reps 10]   (an existing database)

The database is made as scale_bench makes it (`lawflow generate`'s path, on a throwaway server of the test
harness), or one already made is measured in place (`--url`). Through the Flask app, as a county leader (li,
county-a) and a city leader (han, city-bureau), each figure below is requested reps + 2 times (the first two warm
caches) and reported as stats_<reader>_<name>_p50_ms / _p95_ms, with _sql_p50_ms / _sql_p95_ms the database's part
and _cpu_p50_ms the CPU the app's process spent on it (stats_load_average: the machine's before and after):
page_<process>[_year]  the 统计 page of each process the reader's reports count: every period, then one calendar year
api_<report>[_year]    /api/v1/stats/<key> of each report the reader may open (the figures by group and in total)
tree_<report>          /api/v1/stats/<key>/tree of each report with an organisation chart
ledger_month           /stats/monthly/ledger.xlsx: the monthly ledger workbook of the default period (last month)
ledger_year            the same workbook for a calendar year
bottlenecks[_year]     /stats/bottlenecks of the complaint procedure: every period, then one year
goals                  for each reader the worst p95 of its pages, API figures, workbook and map against issue 20's
                       goals (county page ≤ 300 ms, city page ≤ 1 s, ledger ≤ 10 s, map ≤ 1 s)
stats_plans            the EXPLAIN of every query those requests sent that reads case_instance or human_task
stats_seq_scan_case    the requests one of whose plans scans case_instance sequentially
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from engine.core.db import connect  # noqa: E402
from tests.pg_harness import PostgresServer  # noqa: E402
from tests.perf import scale_bench  # noqa: E402
from tests.perf.scale_bench import Recorder, _percentiles, explain  # noqa: E402

READERS = {"county": "li", "city": "han"}          # leaders of county-a and of the city bureau (demo data)
YEAR = ("2025-01-01", "2025-12-31")               # generated cases span the five years before today
GOALS_MS = {"county": {"page": 300, "api": 300, "ledger": 10_000, "bottlenecks": 1000},
            "city": {"page": 1000, "api": 1000, "ledger": 10_000, "bottlenecks": 1000}}


def requests_of(client, headers: dict) -> dict[str, tuple[str, dict]]:
    """Every request to time for a signed-in reader: name -> (path, headers)."""
    year = f"since={YEAR[0]}&until={YEAR[1]}"
    found = {}
    listed = client.get("/api/v1/stats", headers=headers).get_json()
    for process in dict.fromkeys(r["process"] for r in listed):
        found[f"page_{process}"] = (f"/stats?process={process}", {})
        found[f"page_{process}_year"] = (f"/stats?process={process}&{year}", {})
    for report in listed:
        found[f"api_{report['key']}"] = (f"/api/v1/stats/{report['key']}", headers)
        found[f"api_{report['key']}_year"] = (f"/api/v1/stats/{report['key']}?{year}", headers)
        found[f"tree_{report['key']}"] = (f"/api/v1/stats/{report['key']}/tree", headers)
    found["ledger_month"] = ("/stats/monthly/ledger.xlsx", {})
    found["ledger_year"] = (f"/stats/monthly/ledger.xlsx?{year}", {})
    found["bottlenecks"] = ("/stats/bottlenecks?process=lawyer_complaint", {})
    found["bottlenecks_year"] = (f"/stats/bottlenecks?process=lawyer_complaint&{year}", {})
    return found


def measure(url: str, reps: int, only: str | None = None) -> dict:
    """Each reader's figures (p50/p95 and the database's part), the goals, and the plans of their queries."""
    from tests.web_helpers import login, token_for
    from web import create_app

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "TESTING": True})
    sql = app.extensions["lawflow.sql"]
    recorder = Recorder(sql)
    result, plans, goals = {}, {}, {}
    load_before = os.getloadavg()[0]
    for reader, username in READERS.items():
        client = app.test_client()
        login(client, username)
        wanted = requests_of(client, token_for(app, username))
        worst: dict[str, tuple[float, str]] = {}
        for name, (path, headers) in wanted.items():
            if only and only not in name:
                continue
            times, sql_times, cpu_times = [], [], []
            for i in range(reps + 2):
                recorder.on, recorder.seen, recorder.sql_s = i == 0, [], 0.0
                started, cpu = time.perf_counter(), time.process_time()
                response = client.get(path, headers=headers)
                response.get_data()
                elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
                assert response.status_code == 200, (reader, path, response.status_code)
                if i == 0:
                    plans[f"{reader}_{name}"] = recorder.seen
                if i >= 2:
                    times.append(elapsed)
                    sql_times.append(recorder.sql_s)
                    cpu_times.append(cpu)
            p50, p95 = (round(v, 1) for v in _percentiles(times))
            key = f"stats_{reader}_{name}"
            result[f"{key}_p50_ms"], result[f"{key}_p95_ms"] = p50, p95
            result[f"{key}_sql_p50_ms"], result[f"{key}_sql_p95_ms"] = (round(v, 1) for v in _percentiles(sql_times))
            result[f"{key}_cpu_p50_ms"] = round(_percentiles(cpu_times)[0], 1)
            kind = "page" if name.startswith("page_") else "api" if name.startswith(("api_", "tree_")) else \
                "ledger" if name.startswith("ledger") else "bottlenecks"
            if p95 > worst.get(kind, (-1.0, ""))[0]:
                worst[kind] = (p95, name)
            print(f"  {key}: p50 {p50} p95 {p95} ms", file=sys.stderr, flush=True)
        goals[reader] = {kind: {"worst_p95_ms": p95, "of": name, "goal_ms": GOALS_MS[reader][kind],
                                "met": p95 <= GOALS_MS[reader][kind]} for kind, (p95, name) in worst.items()}
    recorder.on = False
    load = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    explained = explain(url, plans)
    sql.dispose()
    return {**result, "stats_load_average": load, "stats_goals": goals, "stats_plans": explained,
            "stats_seq_scan_case": sorted({name for name, found in explained.items()
                                           for plan in found if "Seq Scan on case_instance" in plan["plan"]})}


def counts(url: str) -> dict:
    with connect(url).connect() as conn:
        return {f"stats_{t}": conn.execute(text(f"SELECT count(*) FROM {t}")).scalar()
                for t in ("case_instance", "human_task")}


def run(scale: str | None = None, reps: int = 10, url: str | None = None, only: str | None = None) -> dict:
    """Measure the database at `url`, or build one of the scale on a throwaway server and measure it."""
    if url:
        return {"stats_database": url.rsplit("/", 1)[-1], **counts(url), **measure(url, reps, only)}
    server = PostgresServer()
    server.start()
    try:
        url = server.create_database("scale")
        built = scale_bench.build(url, scale_bench.SCALES[scale])
        figures = {**counts(url), **measure(url, reps, only)}
    finally:
        server.stop()
    return {"stats_scale": scale, "stats_server": "test harness: not durable (fsync, synchronous_commit off)",
            **{f"stats_{k}": v for k, v in built.items()}, **figures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(scale_bench.SCALES), default="10k")
    parser.add_argument("--url", help="measure this existing database instead of building one")
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--only", help="only the requests whose name holds this text")
    parser.add_argument("--no-plans", action="store_true", help="leave the EXPLAINs out of the printed line")
    args = parser.parse_args()
    found = run(args.scale, args.reps, args.url, args.only)
    if args.no_plans:
        found.pop("stats_plans")
    print(json.dumps(found, ensure_ascii=False))


if __name__ == "__main__":
    main()
