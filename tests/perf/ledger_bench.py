"""The ledger's figures for bench.py, on a real PostgreSQL, with the project's legal-aid case ledger:

ledger_import_100k_s        seconds to import a 100,000-row xlsx ledger (ten institutions, 10,000 closed cases
                            each) through `ledger_import.import_file`, measures computed, committed (goal < 60)
ledger_import_peak_mb       the most the process's resident memory grew above where it stood before that import
ledger_import_peak_mb_10k   the same for a 10,000-row file: memory is flat when the two are about equal
ledger_csv_import_100k_s    the same 100,000 rows as a csv file
ledger_sheet_p95_ms         95th percentile of GET /tasks/<id>: the task page of a score sheet pre-filled from the
                            ledger (four auto rules over the institution's 10,000 rows) through the Flask test client
                            (goal ≤ 300)
ledger_sheet_median_ms      its median

    python tests/perf/ledger_bench.py [--quick]      (--quick: 20,000 rows, 2 institutions)
"""
from __future__ import annotations

import argparse
import copy
import csv
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from openpyxl import Workbook  # noqa: E402

from engine.core import people  # noqa: E402
from engine.core.db import upgrade  # noqa: E402
from engine.definitions import bundles  # noqa: E402
from engine.records import ledger_import  # noqa: E402
from engine.runtime import cases  # noqa: E402
from tests import standards_data  # noqa: E402
from tests.ledger_data import HEADERS, LEDGER  # noqa: E402
from tests.pg_harness import PostgresServer  # noqa: E402

PER_INSTITUTION = 10_000
RULE = {"ledger": LEDGER, "match": {"@org": "institution_code"}, "period": ["period_from", "period_to"]}


def standard() -> dict:
    """The small test standard with four ledger rules (two items, two vetoes), as an audit's sheet has."""
    found = copy.deepcopy(standards_data.MINI)
    items = found["dimensions"][0]["items"]
    items[0]["auto"] = {**RULE, "where": [{"assignment_overdue": True}]}
    items[1] = {"code": "A2", "title": "审查时限", "points": 2, "auto": {**RULE, "where": [{"review_overdue": True}]},
                "deduction": {"kind": "per_share", "points": 1, "step": 10, "cap": 2, "label": "超期比例每 10%"}}
    found["vetoes"][0]["auto"] = {**RULE, "where": [{"agreement_overdue": True}]}
    found["vetoes"][1]["auto"] = {**RULE, "where": [{"visited": False, "case_type": "行政"}]}
    return found


def rows(institutions: int):
    """Closed cases in HEADERS order: a tenth reviewed late, a twentieth assigned late, some never visited."""
    first = date(2025, 1, 2)
    for n in range(institutions * PER_INSTITUTION):
        applied = first + timedelta(days=n % 300)
        decided = applied + timedelta(days=9 if n % 10 == 0 else 5)
        assigned = decided + timedelta(days=4 if n % 20 == 0 else 2)
        agreement = assigned + timedelta(days=6 if n % 50 == 0 else 3)
        closed = agreement + timedelta(days=40)
        visited = "" if n % 7 == 0 else (closed + timedelta(days=5)).isoformat()
        yield [f"inst-{n // PER_INSTITUTION}", f"(2025)援{n:06d}号", ("刑事", "民事", "行政")[n % 3], applied.isoformat(),
               decided.isoformat(), assigned.isoformat(), agreement.isoformat(), closed.isoformat(),
               f"律师{n % 500}", f"1310120{n % 500:07d}", f"律所{n % 50}", f"F-{n % 50:04d}", f"受援人{n}",
               f"138{n:08d}", "结案", visited, "满意" if visited else ""]


def write_files(folder: Path, institutions: int) -> tuple[Path, Path]:
    """The ledger as an xlsx file (days as date cells, as Excel keeps them) and as a csv file."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(HEADERS)
    with (folder / "ledger.csv").open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADERS)
        for row in rows(institutions):
            writer.writerow(row)
            sheet.append([date.fromisoformat(v) if i in (3, 4, 5, 6, 7) or (i == 15 and v) else v
                          for i, v in enumerate(row)])
    book.save(folder / "ledger.xlsx")
    return folder / "ledger.xlsx", folder / "ledger.csv"


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def timed_import(app, path: Path, key: str = LEDGER) -> tuple[float, float]:
    """(seconds, peak growth of resident memory in MB) of importing a file as the organiser, committed."""
    from web.database import session as db_session
    from web.workflow import engine as web_engine

    peak, done = [0.0], threading.Event()
    base = _rss_mb()

    def watch():
        while not done.is_set():
            peak[0] = max(peak[0], _rss_mb() - base)
            time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    with app.app_context():
        db = db_session()
        user = people.user_by_name(db, "organizer")
        watcher.start()
        began = time.perf_counter()
        with path.open("rb") as stream:
            ledger_import.import_file(db, web_engine(), user, key, path.name, stream)
        db.commit()
        seconds = time.perf_counter() - began
    done.set()
    watcher.join()
    return seconds, round(peak[0], 1)


def _people(db, password_hash: str, institutions: int) -> None:
    people.add_organization(db, "city", "示范市司法局")
    people.add_role(db, "legal_aid_organizer", "法律援助组织人员")
    people.add_role(db, "handler", "经办人")
    people.add_user(db, "organizer", "组织人", "city", ["legal_aid_organizer"])
    for n in range(institutions):
        people.add_organization(db, f"inst-{n}", f"第{n}法律援助中心", "city", "legal_aid")
    people.add_organization(db, "small", "小机构", "city", "legal_aid")
    people.add_user(db, "scorer", "评分人", "inst-0", ["handler"], password_hash=password_hash)
    db.commit()


def sheet_times(app, requests: int) -> list[float]:
    """Seconds of each GET of the pre-filled sheet's task page, for the first institution."""
    from web.database import session as db_session
    from web.workflow import engine as web_engine
    from tests.web_helpers import login

    with app.app_context():
        db, engine = db_session(), web_engine()
        data = {"institution_code": "inst-0", "period_from": "2025-01-01", "period_to": "2025-12-31"}
        case = cases.start_case(engine, db, "scored", data, org_code="inst-0", actor="scorer")
        task_id = cases.case_tasks(db, case.id, "ready")[0].id
        db.commit()
    client = app.test_client()
    login(client, "scorer")
    for _ in range(3):
        assert client.get(f"/tasks/{task_id}").status_code == 200
    times = []
    for _ in range(requests):
        began = time.perf_counter()
        response = client.get(f"/tasks/{task_id}")
        times.append(time.perf_counter() - began)
        assert response.status_code == 200
    assert "台账 10000 件中发现 1000 件" in response.get_data(as_text=True)
    return times


def run(quick: bool = False) -> dict:
    """The ledger's figures (see the module's docstring)."""
    from web import create_app
    from web.auth import hash_password
    from web.database import session as db_session
    from web.workflow import engine as web_engine

    institutions, requests = (2, 40) if quick else (10, 150)
    server = PostgresServer(durable=True)
    server.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            small_dir, big_dir = Path(tmp) / "small", Path(tmp) / "big"
            small_dir.mkdir()
            big_dir.mkdir()
            small_xlsx, _ = write_files(small_dir, 1)
            big_xlsx, big_csv = write_files(big_dir, institutions)
            url = server.create_database("ledger_bench")
            upgrade(url)
            app = create_app({"DATABASE_URL": url, "SECRET_KEY": "ledger-bench-secret", "TESTING": True})
            with app.app_context():
                _people(db_session(), hash_password("demo1234"), institutions)
                files = bundles.collect(ROOT)
                files.update(standards_data.bundle(standard()))
                copy_key = json.loads(files["forms/legal_aid/cases.ledger.json"])
                copy_key["key"] = "ledger_copy"        # a second ledger: the csv imports the same rows again
                files["forms/legal_aid/copy.ledger.json"] = json.dumps(copy_key, ensure_ascii=False).encode()
                bundles.deploy(db_session(), files, engine=web_engine())
            _seconds_small, peak_small = timed_import(app, _renamed(small_xlsx, "inst-0", "small"))
            seconds, peak = timed_import(app, big_xlsx)
            csv_seconds, _peak = timed_import(app, big_csv, "ledger_copy")
            times = sheet_times(app, requests)
            app.extensions["lawflow.sql"].dispose()
        label = f"{institutions * PER_INSTITUTION // 1000}k"
        return {f"ledger_import_{label}_s": round(seconds, 1), "ledger_import_peak_mb": peak,
                "ledger_import_peak_mb_10k": peak_small, f"ledger_csv_import_{label}_s": round(csv_seconds, 1),
                "ledger_sheet_p95_ms": round(statistics.quantiles(times, n=20)[-1] * 1000, 1),
                "ledger_sheet_median_ms": round(statistics.median(times) * 1000, 1)}
    finally:
        server.stop()


def _renamed(path: Path, old: str, new: str) -> Path:
    """A copy of a workbook whose rows name another institution and other case numbers (no key repeats)."""
    from openpyxl import load_workbook

    source = load_workbook(path, read_only=True)
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    for n, row in enumerate(source.worksheets[0].iter_rows(values_only=True)):
        row = list(row)
        if n:
            row[0], row[1] = new, f"{new}-{row[1]}"
        sheet.append(row)
    source.close()
    target = path.with_name("small-renamed.xlsx")
    book.save(target)
    return target


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    print(json.dumps(run(parser.parse_args().quick)))
