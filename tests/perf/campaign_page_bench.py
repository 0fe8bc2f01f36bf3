"""The campaign page's figure for bench.py, on a real PostgreSQL, with the project's law-firm procedure:

law_firm_campaign_start_1000_s  seconds for the city's 部署 step that starts 1,000 firms' applications
campaign_page_p95_ms            95th percentile of GET /cases/<campaign> (the case page with its participants
                                table and figures) through the Flask test client, signed in as the organiser;
                                a fifth of the firms have applied and half of those have been recommended
campaign_page_median_ms         its median

    python tests/perf/campaign_page_bench.py [--quick]

law_firm_campaign declares no participantColumns / participantFigures yet, so the bench deploys it with the
columns and figures below added to its process properties (the page's cost is what is measured, not the wording).
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
from engine.core.db import upgrade  # noqa: E402
from engine.core.models import Case  # noqa: E402
from engine.definitions import bundles  # noqa: E402
from engine.runtime import cases  # noqa: E402
from tests.pg_harness import PostgresServer  # noqa: E402

FIRMS = 1000
COUNTIES = 4
CAMPAIGN = "processes/law_firm/law_firm_campaign.bpmn"
COLUMNS = "firm_name:律师事务所, stage:阶段, self_total:自评分, inspection_total:实地检查得分, band:认定等次"
FIGURES = ("invited=*:已邀请, applied=stage!=待申报;未申报:已申报, "
           "recommended=stage=待实地检查;实地检查中;待认定;整改中;待复查;公示中;已命名:已推荐, "
           "inspected=stage=待认定;整改中;待复查;公示中;已命名:已检查, named=stage=已命名:已命名, "
           "rectifying=stage=整改中;待复查:整改中, overdue=@overdue:超期, rate=named/inspected:达标率")
DEPLOY = {"campaign_title": "规范化律师事务所评定", "year": 2025, "period_from": "2024-10-01",
          "period_to": "2025-09-30", "apply_until": "2099-10-24", "review_until": "2099-10-31",
          "accept_until": "2099-11-28", "publicity_days": 5, "leading_group": ["高峰", "韩东"]}
APPLICATION = {"firm_address": "示范市人民路 1 号", "founded_on": "2015-03-01", "director_name": "主任",
               "contact_phone": "0571-88880001", "partners_count": 5, "lawyers_count": 21,
               "self_report": "本所已按评分标准逐项自查，各项制度均已建立并执行，自评情况见自评表。", "commitment": True,
               "self_score": {"items": {"D2.1": {"score": 2, "reason": "仅召开一次合伙人会议"}}}}
REVIEW = {"materials_complete": True, "eligible": True, "veto_found": False, "review_conclusion": "recommend",
          "review_opinion": "推荐参加实地检查"}


def files() -> dict[str, bytes]:
    """The project's bundle, its campaign declaring the participants' columns and figures."""
    found = bundles.collect(ROOT)
    extra = (f'<spiffworkflow:property name="participantColumns" value="{COLUMNS}" />'
             f'<spiffworkflow:property name="participantFigures" value="{FIGURES}" />')
    xml = found[CAMPAIGN].decode("utf-8")
    found[CAMPAIGN] = xml.replace("<spiffworkflow:properties>", "<spiffworkflow:properties>" + extra, 1).encode()
    return found


def _people(db, password_hash: str) -> None:
    """The city, its counties with a caseworker each, the firms with a director each, and the organiser."""
    people.add_organization(db, "city-bureau", "示范市司法局", None, "bureau")
    for role, name in (("lawyer_affairs", "律师工作处"), ("caseworker", "承办人"), ("firm_director", "律所主任"),
                       ("inspector", "考评组成员"), ("leading_group", "考评领导小组")):
        people.add_role(db, role, name)
    people.add_user(db, "qian", "钱明", "city-bureau", ["lawyer_affairs"], password_hash=password_hash)
    for c in range(COUNTIES):
        people.add_organization(db, f"county-{c}", f"第{c}区司法局", "city-bureau", "bureau")
        people.add_user(db, f"worker{c}", f"承办人{c}", f"county-{c}", ["caseworker"])
    for n in range(FIRMS):
        code = f"F-{n:04d}"
        people.add_organization(db, code, f"第{n}律师事务所", f"county-{n % COUNTIES}", "law_firm")
        people.add_user(db, f"director{n}", f"主任{n}", code, ["firm_director"])
    db.commit()


def _walk(engine, db, campaign_id: int) -> None:
    """A fifth of the firms apply; every other applicant is recommended by its county."""
    children = list(db.scalars(select(Case).where(Case.parent_id == campaign_id).order_by(Case.id)))
    for n, case in enumerate(children[:FIRMS // 5]):
        firm = int(case.meta["firm_code"][2:])
        _do(engine, db, case.id, "申报", f"director{firm}", APPLICATION)
        if n % 2 == 0:
            _do(engine, db, case.id, "初审", f"worker{firm % COUNTIES}", REVIEW)


def _do(engine, db, case_id: int, name: str, username: str, data: dict) -> None:
    task = next(t for t in cases.case_tasks(db, case_id, "ready") if t.name == name)
    cases.complete_task(engine, db, task.id, data, user=people.user_by_name(db, username))


def run(quick: bool = False) -> dict:
    """The campaign page figures (see the module's docstring)."""
    from web import create_app
    from web.auth import hash_password
    from web.database import session as db_session
    from web.workflow import engine as web_engine
    from tests.web_helpers import login

    requests = 40 if quick else 150
    server = PostgresServer(durable=True)
    server.start()
    try:
        url = server.create_database("campaign_page_bench")
        upgrade(url)
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "campaign-page-bench-secret", "TESTING": True})
        with app.app_context():
            db, engine = db_session(), web_engine()
            _people(db, hash_password("demo1234"))
            bundles.deploy(db, files(), engine=engine)
            campaign = cases.start_case(engine, db, "law_firm_campaign", {}, org_code="city-bureau", actor="qian")
            started = time.perf_counter()
            _do(engine, db, campaign.id, "部署", "qian", DEPLOY)
            start_seconds = time.perf_counter() - started
            _walk(engine, db, campaign.id)
            campaign_id = campaign.id
        client = app.test_client()
        login(client, "qian")
        page = f"/cases/{campaign_id}"
        for _ in range(3):                              # warm: templates, specs, the connection pool
            assert client.get(page).status_code == 200
        times = []
        for _ in range(requests):
            began = time.perf_counter()
            response = client.get(page)
            times.append(time.perf_counter() - began)
            assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert 'data-figure="invited"' in html and 'id="participant-table"' in html
        app.extensions["lawflow.sql"].dispose()
        return {"law_firm_campaign_start_1000_s": round(start_seconds, 2),
                "campaign_page_p95_ms": round(statistics.quantiles(times, n=20)[-1] * 1000, 1),
                "campaign_page_median_ms": round(statistics.median(times) * 1000, 1)}
    finally:
        server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    print(json.dumps(run(parser.parse_args().quick)))
