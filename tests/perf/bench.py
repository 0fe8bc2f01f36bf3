"""Benchmark (not a test): plain SpiffWorkflow vs the engine on the same diagram; prints one JSON line.

    python tests/perf/bench.py [--quick] [--only engine|timers|http|campaign|ledger ...] [--timer-due N]

Every figure is measured on each database's durable production settings: PostgreSQL with its defaults (fsync,
synchronous_commit and full_page_writes on: `PostgresServer(durable=True)`; the tests keep the harness's fast
settings, which may lose committed work on a crash), SQLite as `engine.core.db.connect` configures the embedded
file (WAL, synchronous=NORMAL). A figure measured without durability would say so in its name (`_nondurable`);
there is none at present. `timer_durable` reports what the timers' PostgreSQL server said it runs with.

raw_completions_per_s      the sample diagram in plain in-memory SpiffWorkflow, no persistence
engine_completions_per_s   the same through the engine with the SQLite file store (warm live cache)
(both time task completions only: complete, run to the next wait, and, for the engine, commit)
engine_cold_completions_per_s  the same, reloading every case from the database before each step
engine_ratio               engine / raw
(both measured in one process, after its heap is settled as a server worker's is: web/guard.py `settle_heap`)
step_cost_ratio_400        cost of a completion (cold load) in a case that looped 400 times / in a fresh case
timer_fired_per_s          due timers fired per second by 3 sweeper processes on PostgreSQL, among 10 times as many
                           waiting ones: timer_due (10,000; --quick 1,000) falling due over 5 s (goal >= 1,000/s;
                           the timers cannot fire faster than they fall due: --quick's figure is capped near 200/s)
timer_duplicates           timers fired more than once (must be 0)
timer_max_lateness_s       worst delay from a timer's due moment to its firing, with timer_sweep_interval_s between
                           a sweeper's sweeps (goal <= 15 s for the 10,000)
timer_cpu_ms_sweepers      CPU milliseconds per timer fired in the sweeper processes' sweeps; timer_cpu_ms_database:
                           in their PostgreSQL backends (what a machine less shared than this one would be bound by;
                           the benchmark's own count of fired timers after each sweep is left out of both)
http_completions_per_s     task completions through the JSON API against `lawflow serve --workers 2` (gunicorn) on
                           PostgreSQL, 8 concurrent keep-alive clients on the same machine (tests/perf/http_bench.py;
                           `--http-client http.client` for the standard library's client instead of plain sockets)
http_p95_ms                95th percentile latency of those completions at half that rate
score_60_items_ms          the server scoring a 60-item score sheet (half the items with deductions, a bonus and
                           a veto entered), median of many runs (issue 16: at most 5 ms)
campaign_start_1000_s      seconds to start a campaign's 1,000 participants on PostgreSQL (tests/perf/campaign_bench.py)
participant_step_ratio     a completion in a participant / the same in a standalone case
law_firm_campaign_start_1000_s  the same start with the project's law_firm_campaign (its 部署 step)
campaign_page_p95_ms       95th percentile of GET /cases/<campaign> with 1,000 participants, their table and figures,
                           on PostgreSQL through the Flask test client (tests/perf/campaign_page_bench.py; goal ≤ 300)
campaign_page_median_ms    its median
ledger_import_100k_s       seconds to import a 100,000-row xlsx case ledger on PostgreSQL, all or nothing, measures
                           computed (tests/perf/ledger_bench.py; goal < 60; --quick: 20,000 rows, `_20k_s`)
ledger_import_peak_mb      the most resident memory grew during that import (ledger_import_peak_mb_10k: the same for
                           10,000 rows; flat memory: the two about equal); ledger_csv_import_100k_s: the rows as csv
ledger_sheet_p95_ms        95th percentile of the task page of a score sheet pre-filled by four ledger rules over an
                           institution's 10,000 rows (goal ≤ 300); ledger_sheet_median_ms its median

--scale 10k|100k|1m        instead of the above: tests/perf/scale_bench.py on a database `lawflow generate` fills with
                           that many cases (inbox views, case search, case page: p50/p95 ms, the database's part of
                           each, a year's CSV export with its memory growth, and the EXPLAIN of every hot query)
                           then tests/perf/scale_stats_bench.py on another such database (统计 page, statistics API,
                           monthly ledger workbook, bottleneck map: p50/p95 per county and city leader, EXPLAINs)

The machine is shared and noisy, so each side is measured in several alternating rounds, every round the
same way for both sides, and the medians are reported (rates: median of the rounds; ratios: median of the
per-round ratios; step costs: fresh and looped cases sampled in alternation).
"""
from __future__ import annotations

import argparse
import gc
import json
import multiprocessing
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from SpiffWorkflow.bpmn.script_engine.python_environment import TaskDataEnvironment  # noqa: E402
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow  # noqa: E402
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser  # noqa: E402
from SpiffWorkflow.util.task import TaskState  # noqa: E402

import time_machine  # noqa: E402
from sqlalchemy import text  # noqa: E402

from engine.definitions import bundles
from engine.runtime import cases
from engine.core import people  # noqa: E402
from engine.core.db import connect, session_factory, upgrade  # noqa: E402
from engine.runtime.engine import Engine  # noqa: E402
from engine.sandbox.script import TaskScriptEngine  # noqa: E402
from engine.time.workdays import WorkCalendar, diagram_helpers  # noqa: E402
from engine.definitions.limit_tables import rows_by_name  # noqa: E402
from engine.runtime.limit_context import table_helpers  # noqa: E402
from tests import diagrams  # noqa: E402
from tests.pg_harness import PostgresServer  # noqa: E402
from tests.perf import campaign_bench, campaign_page_bench, http_bench, ledger_bench, scale_bench  # noqa: E402
from tests.sweepers import clone_case, interval_sweeper_main  # noqa: E402
from web.guard import settle_heap  # noqa: E402

APPLY = {"title": "购置办公设备", "reason": "现有设备老化，影响办公"}
RETURN = {"decision": "return", "opinion": "请补充"}
APPROVE = {"decision": "approve", "opinion": "同意"}
SCRIPT = [APPLY, RETURN, APPLY, APPROVE]     # four completions per case, one loop


def raw_run(n_cases: int) -> float:
    """Task completions per second in plain SpiffWorkflow (starting cases is not timed)."""
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(ROOT / "processes/sample/sample_review.bpmn"))
    spec = parser.get_spec("sample_review")
    subs = parser.get_subprocess_specs("sample_review")
    # The diagram's own time helpers, evaluated by SpiffWorkflow's plain (unsandboxed) environment.
    calendar = WorkCalendar()
    helpers = diagram_helpers(calendar, lambda: datetime.now(timezone.utc))
    # ... and its limits, read from the sample's table (forms/sample/limits.json) as the engine reads a bundle's.
    table = json.loads((ROOT / "forms/sample/limits.json").read_text(encoding="utf-8"))
    helpers.update(table_helpers(calendar, rows_by_name(table)))
    script_engine = TaskScriptEngine(environment=TaskDataEnvironment(helpers))
    elapsed = 0.0
    for _ in range(n_cases):
        workflow = BpmnWorkflow(spec, subs, script_engine=script_engine)
        workflow.do_engine_steps()
        for data in SCRIPT:
            task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
            started = time.perf_counter()
            task.data.update(data)
            task.run()
            workflow.do_engine_steps()
            elapsed += time.perf_counter() - started
        assert workflow.is_completed()
    return n_cases * len(SCRIPT) / elapsed


def setup(tmp: Path):
    """A migrated SQLite file with people and the project's bundle deployed."""
    url = f"sqlite:///{tmp / 'bench.sqlite'}"
    upgrade(url)
    Session = session_factory(connect(url))
    engine = Engine()
    with Session() as s:
        people.add_organization(s, "org", "示范机构")
        people.add_role(s, "handler", "经办人")
        people.add_role(s, "leader", "负责人")
        people.add_user(s, "h", "经办", "org", ["handler"])
        people.add_user(s, "l", "负责", "org", ["leader"])
        s.commit()
        bundles.deploy(s, bundles.collect(ROOT), engine=engine)
    return Session, engine


def _next_task(s, case_id: int):
    return cases.case_tasks(s, case_id, "ready")[0]


def _complete(engine, s, task, data, users) -> float:
    """Complete one task through the engine; return the seconds it took."""
    started = time.perf_counter()
    cases.complete_task(engine, s, task.id, data, user=users[task.lane])
    return time.perf_counter() - started


def engine_run(Session, engine, n_cases: int, cold: bool) -> float:
    """Task completions per second through the engine (starting cases and reading the inbox not timed)."""
    with Session() as s:
        users = {"经办人": people.user_by_name(s, "h"), "负责人": people.user_by_name(s, "l")}
        elapsed = 0.0
        for _ in range(n_cases):
            case = cases.start_case(engine, s, "sample_review", {}, org_code="org")
            for data in SCRIPT:
                task = _next_task(s, case.id)
                if cold:
                    engine.forget_all()
                elapsed += _complete(engine, s, task, data, users)
            assert case.status == "completed"
        return n_cases * len(SCRIPT) / elapsed


ROUNDS = 5


def completion_rounds(Session, engine, n_cases: int) -> dict:
    """Raw, warm and cold completions per second, measured in alternating rounds; medians, and median ratios."""
    rounds = []
    for _ in range(ROUNDS):
        raw = raw_run(n_cases // ROUNDS)
        warm = engine_run(Session, engine, n_cases // ROUNDS, cold=False)
        cold = engine_run(Session, engine, n_cases // ROUNDS // 2, cold=True)
        rounds.append((raw, warm, cold))
    raws, warms, colds = zip(*rounds)
    return {"raw": statistics.median(raws), "warm": statistics.median(warms), "cold": statistics.median(colds),
            "warm_ratio": statistics.median(w / r for r, w, _ in rounds),
            "cold_ratio": statistics.median(c / r for r, _, c in rounds)}


def step_costs(Session, engine, loops: int, samples: int) -> tuple[float, float]:
    """Median seconds of one completion (cold load) in fresh cases and in a case after `loops` return loops.

    The two are sampled in alternation; a fresh case is replaced every samples // 4 completions so that it
    stays fresh (as four fresh cases of samples // 4 completions each).
    """
    with Session() as s:
        users = {"经办人": people.user_by_name(s, "h"), "负责人": people.user_by_name(s, "l")}
        looped = cases.start_case(engine, s, "sample_review", {}, org_code="org")
        for _ in range(loops):
            _complete(engine, s, _next_task(s, looped.id), APPLY, users)
            _complete(engine, s, _next_task(s, looped.id), RETURN, users)
        fresh_times, looped_times = [], []
        for i in range(samples):
            if i % (samples // 4) == 0:
                fresh = cases.start_case(engine, s, "sample_review", {}, org_code="org")
            data = APPLY if i % 2 == 0 else RETURN
            for case, timings in ((fresh, fresh_times), (looped, looped_times)):
                task = _next_task(s, case.id)
                engine.forget_all()
                timings.append(_complete(engine, s, task, data, users))
        return statistics.median(fresh_times), statistics.median(looped_times)


def timer_run(waiting: int, due: int, interval: float) -> dict:
    """Fire `due` timers among `waiting` others with 3 sweeper processes on a real PostgreSQL."""
    server = PostgresServer(durable=True)
    server.start()
    try:
        url = server.create_database("bench")
        durable = server.durability(url) == {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}
        upgrade(url)
        sql = connect(url)
        Session, engine = session_factory(sql), Engine()
        with Session() as s:
            people.add_organization(s, "org", "示范机构")
            people.add_role(s, "handler", "经办人")
            people.add_role(s, "leader", "负责人")
            files = bundles.collect(ROOT)
            files["processes/test/timed.bpmn"] = diagrams.timed()
            bundles.deploy(s, files, engine=engine)
            waiting_case = cases.start_case(engine, s, "timed", {}, org_code="org")
            clone_case(s, waiting_case.id, waiting - 1)
            # Due cases: timers falling due from 5 s from now, spread over 5 s while the sweepers run.
            first_due = datetime.now(timezone.utc) + timedelta(seconds=5)
            with time_machine.travel(first_due - timedelta(days=2), tick=False):
                due_case = cases.start_case(engine, s, "timed", {}, org_code="org")
            clone_case(s, due_case.id, due - 1, shift_seconds_per_copy=5.0 / due)
            due_at = dict(s.execute(text("SELECT id, next_timer_at FROM case_instance WHERE id >= :id"),
                                    {"id": due_case.id}).all())
        spawn = multiprocessing.get_context("spawn")
        results = spawn.Queue()
        stop_at = time.time() + 120
        workers = [spawn.Process(target=interval_sweeper_main, args=(url, interval, stop_at, due, results))
                   for _ in range(3)]
        for w in workers:
            w.start()
        reports = [results.get(timeout=300) for _ in workers]
        for w in workers:
            w.join(timeout=60)
        with Session() as s:
            fired = dict(s.execute(text("SELECT case_id, min(at) FROM audit_event WHERE action = 'timers_checked' "
                                        "GROUP BY case_id")).all())
            duplicates = s.execute(text(
                "SELECT count(*) - count(DISTINCT case_id) FROM audit_event WHERE action = 'timers_checked'"
            )).scalar() + s.execute(text(
                "SELECT count(*) FROM (SELECT case_id FROM human_task WHERE element_id = 'Task_supervise' "
                "GROUP BY case_id HAVING count(*) > 1) AS d")).scalar()
        sql.dispose()
        lateness = [(fired[c] - due_at[c]).total_seconds() for c in due_at if c in fired]
        span = (max(fired.values()) - min(fired.values())).total_seconds() if fired else 0.0
        return {
            "timer_waiting": waiting, "timer_due": due, "timer_fired": len(fired),
            "timer_fired_per_s": round(len(fired) / span, 1) if span else None,
            "timer_duplicates": duplicates,
            "timer_max_lateness_s": round(max(lateness), 3) if lateness else None,
            "timer_sweep_interval_s": interval,
            # CPU per timer fired: the sweepers' own, and their database backends'
            "timer_cpu_ms_sweepers": round(1000 * sum(r[2] for r in reports) / len(fired), 3) if fired else None,
            "timer_cpu_ms_database": round(1000 * sum(r[3] for r in reports) / len(fired), 3) if fired else None,
            "timer_durable": durable,
        }
    finally:
        server.stop()


def sixty_item_standard() -> tuple[dict, dict]:
    """A standard of 10 dimensions of 6 items (fixed, per occurrence and free items) and a sheet scoring it."""
    dimensions, items = [], {}
    for d in range(10):
        rows = []
        for i in range(6):
            code = f"D{d}.{i}"
            item = {"code": code, "title": f"item {code}", "points": 2}
            if i % 3 == 0:
                item["deduction"] = {"kind": "fixed", "points": 2}
            elif i % 3 == 1:
                item["deduction"] = {"kind": "per_occurrence", "points": 0.5, "cap": 2}
            rows.append(item)
            if i % 2 == 0:
                items[code] = ({"deductions": [{"reason": "r", "count": 1}]} if "deduction" in item
                               else {"score": 1.5, "reason": "r"})
        dimensions.append({"code": f"D{d}", "title": f"dimension {d}", "points": 12, "items": rows})
    standard = {"title": "bench", "scale": 120, "dimensions": dimensions,
                "bonus": [{"code": "B1", "title": "bonus", "points": 5}],
                "vetoes": [{"code": "V1", "title": "veto"}], "pass": {"min_total": 96, "no_veto": True},
                "bands": [{"code": "pass", "label": "pass", "min": 96, "passed": True},
                          {"code": "fail", "label": "fail", "max": 96}], "veto_band": "fail"}
    sheet = {"items": items, "bonus": {"B1": {"points": 2, "reason": "r"}},
             "vetoes": {"V1": {"hit": False}}, "notes": ""}
    return standard, sheet


def score_run(repeats: int) -> float:
    """Median milliseconds the server takes to score a 60-item sheet."""
    from engine.definitions.scoring import score_sheet

    standard, sheet = sixty_item_standard()
    score_sheet(standard, sheet)
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        score_sheet(standard, sheet, field="score", path="bench.standard.json")
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1000


PARTS = ("engine", "timers", "http", "campaign", "ledger")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (under a minute)")
    parser.add_argument("--http-client", choices=sorted(http_bench.CLIENT_KINDS), default="socket",
                        help="how the HTTP benchmark's clients send their requests")
    parser.add_argument("--only", choices=PARTS, action="append",
                        help="measure only this part (repeatable); default: all of them")
    parser.add_argument("--timer-due", type=int, help="with the timers: how many fall due (default 10,000; "
                        "--quick 1,000), spread over 5 s among 10 times as many waiting ones")
    parser.add_argument("--scale", choices=sorted(scale_bench.SCALES),
                        help="instead: a county user's pages on a generated database of this many cases "
                             "(tests/perf/scale_bench.py)")
    args = parser.parse_args()
    if args.scale:
        print(json.dumps(scale_bench.run(args.scale), ensure_ascii=False))
        from tests.perf import scale_stats_bench      # issue 20: leaders' figures on a database of the same scale
        print(json.dumps(scale_stats_bench.run(args.scale), ensure_ascii=False))
        return
    parts = set(args.only or PARTS)
    n_cases, samples = (150, 40) if args.quick else (600, 120)
    due = args.timer_due or (1_000 if args.quick else 10_000)
    figures: dict = {}
    if "engine" in parts:
        with tempfile.TemporaryDirectory() as tmp:
            Session, engine = setup(Path(tmp))
            engine_run(Session, engine, 10, cold=False)   # warm up imports, caches, the SQLite file
            raw_run(10)
            settle_heap()       # once built, as a server's worker and the scheduler settle theirs (web/guard.py)
            try:
                rates = completion_rounds(Session, engine, n_cases)
                fresh, looped = step_costs(Session, engine, 400, samples)
            finally:
                gc.unfreeze()
        figures.update({
            "raw_completions_per_s": round(rates["raw"], 1),
            "engine_completions_per_s": round(rates["warm"], 1),
            "engine_cold_completions_per_s": round(rates["cold"], 1),
            "engine_ratio": round(rates["warm_ratio"], 3),
            "engine_cold_ratio": round(rates["cold_ratio"], 3),
            "step_cost_fresh_ms": round(fresh * 1000, 3),
            "step_cost_400_ms": round(looped * 1000, 3),
            "step_cost_ratio_400": round(looped / fresh, 3),
            "score_60_items_ms": round(score_run(200 if args.quick else 2000), 3),
        })
    if "timers" in parts:
        figures.update(timer_run(10 * due, due, interval=1.0))
    if "http" in parts:
        figures.update(http_bench.run(args.quick, args.http_client))
    if "campaign" in parts:
        figures.update(campaign_bench.run(args.quick))
        figures.update(campaign_page_bench.run(args.quick))
    if "ledger" in parts:
        figures.update(ledger_bench.run(args.quick))
    print(json.dumps({**figures, "quick": args.quick}))


if __name__ == "__main__":
    main()
