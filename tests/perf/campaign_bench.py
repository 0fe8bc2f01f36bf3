"""Campaign figures for bench.py, on a real PostgreSQL:

campaign_start_1000_s        seconds for the step that starts a campaign's 1,000 participants (one transaction)
participant_step_ratio       a completion in a participant / the same completion in a standalone case (cold
                             loads, sampled in alternation; medians)

    python tests/perf/campaign_bench.py [--quick]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from engine.core import people  # noqa: E402
from engine.core.db import connect, session_factory, upgrade  # noqa: E402
from engine.core.models import Case  # noqa: E402
from engine.definitions import bundles  # noqa: E402
from engine.runtime import cases  # noqa: E402
from engine.runtime.engine import Engine  # noqa: E402
from tests import campaign_diagrams  # noqa: E402
from tests.pg_harness import PostgresServer  # noqa: E402

APPLY = {"title": "规范化申报", "reason": "申请规范化评定"}


def _prepare(Session, engine, firms: int) -> None:
    with Session() as s:
        people.add_organization(s, "city", "市司法局")
        people.add_organization(s, "county", "区司法局", "city")
        for n in range(firms):
            people.add_organization(s, f"F-{n:04d}", f"律所{n}", "county", kind="firm")
        people.add_role(s, "applicant", "申报人")
        people.add_role(s, "reviewer", "审核人")
        people.add_role(s, "leader", "负责人")
        s.commit()
        files = bundles.collect(ROOT)
        files.update(campaign_diagrams.files())
        bundles.deploy(s, files, engine=engine)


def _step(engine, s, case_id: int) -> float:
    """Seconds of one cold completion of the case's first task."""
    task = cases.case_tasks(s, case_id, "ready")[0]
    s.commit()
    engine.forget_all()
    started = time.perf_counter()
    cases.complete_task(engine, s, task.id, APPLY)
    return time.perf_counter() - started


def run(quick: bool = False) -> dict:
    """The campaign figures (see the module's docstring)."""
    firms, samples = (1000, 40) if quick else (1000, 150)
    server = PostgresServer(durable=True)
    server.start()
    try:
        url = server.create_database("campaign_bench")
        upgrade(url)
        sql = connect(url)
        Session, engine = session_factory(sql), Engine()
        _prepare(Session, engine, firms)
        with Session() as s:
            started = time.perf_counter()
            campaign = cases.start_case(engine, s, "campaign", {"divisors": {}, "extra_items": []}, org_code="city")
            start_seconds = time.perf_counter() - started
            participants = list(s.scalars(select(Case.id).where(Case.parent_id == campaign.id).order_by(Case.id)))
            assert len(participants) == firms
            ratios = []
            for n in range(samples):
                code = f"F-{n:04d}"
                alone = cases.start_case(engine, s, "participant", {"firm_code": code, "case_org": code,
                                                                    "lane_orgs": {"审核人": "county"}},
                                         org_code=code).id
                if n % 2:
                    ratios.append(_step(engine, s, participants[n]) / _step(engine, s, alone))
                else:
                    alone_cost = _step(engine, s, alone)
                    ratios.append(_step(engine, s, participants[n]) / alone_cost)
        sql.dispose()
        return {"campaign_participants": firms, "campaign_start_1000_s": round(start_seconds, 2),
                "participant_step_ratio": round(statistics.median(ratios), 3)}
    finally:
        server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    print(json.dumps(run(parser.parse_args().quick)))
