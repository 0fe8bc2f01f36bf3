"""The demo's law-firm campaign (`lawflow demo`): one campaign under way at the demo's moment, its eight firms
standing at every stage the procedure has, walked through the engine with the clock moved past each window."""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from engine.core.models import Case, HumanTask
from engine.core.case_records import CaseDocument
from engine.runtime import cases
from web.database import session as db_session

from .conftest import ROOT
from .web_helpers import login

STAGES = {"F-0001": "已命名", "F-0002": "公示中", "F-0003": "整改中", "F-0004": "未通过", "F-0005": "实地检查中",
          "F-0006": "待初审", "F-0007": "未申报", "F-0008": "待认定"}


def _participants(session) -> tuple[Case, dict[str, Case]]:
    campaign = session.scalar(select(Case).where(Case.process_key == "law_firm_campaign"))
    children = session.scalars(select(Case).where(Case.parent_id == campaign.id))
    return campaign, {c.meta["firm_code"]: c for c in children}


def _ready(session, case: Case) -> list[str]:
    return sorted(t.name for t in cases.case_tasks(session, case.id, "ready"))


def test_the_demo_campaign_has_a_firm_at_every_stage(app):
    with app.app_context():
        session = db_session()
        campaign, firms = _participants(session)
        assert campaign.status == "running" and campaign.org.code == "city-bureau"
        assert {code: case.meta["stage"] for code, case in firms.items()} == STAGES
        assert all(case.org.code == code for code, case in firms.items())


def test_each_demo_firm_waits_on_the_step_its_stage_names(app):
    with app.app_context():
        session = db_session()
        _, firms = _participants(session)
        assert _ready(session, firms["F-0006"]) == ["初审", "督办（初审逾期）"]      # the county's window has closed
        assert _ready(session, firms["F-0005"]) == ["实地检查评分"]
        inspect = cases.case_tasks(session, firms["F-0005"].id, "ready")[0]
        assert len(inspect.candidate_users) == 2                                # the drawn pair
        assert _ready(session, firms["F-0008"]) == ["评分与认定"]
        assert _ready(session, firms["F-0003"]) == ["限期整改"]
        assert firms["F-0003"].meta["band"] == "rectify" and firms["F-0004"].meta["band"] == "failed"
        assert firms["F-0001"].meta["inspection_total"] == 86 and firms["F-0002"].meta["inspection_total"] == 92
        assert {c: firms[c].status for c in ("F-0004", "F-0007")} == {"F-0004": "completed", "F-0007": "completed"}


def test_the_named_demo_firm_has_its_certificate_and_decision(app):
    with app.app_context():
        session = db_session()
        _, firms = _participants(session)
        documents = session.scalars(select(CaseDocument.name).where(CaseDocument.case_id == firms["F-0001"].id))
        assert {"规范化律师事务所证书", "命名决定", "拟命名公示", "评分表"} <= set(documents)
        assert firms["F-0001"].meta["valid_until"] > firms["F-0001"].meta["named_on"]


def test_the_readme_names_every_demo_account_and_no_other():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("Demo accounts"):readme.index("The demo's campaign")]
    users = {u["username"] for u in json.loads((ROOT / "web/demo_data.json").read_text(encoding="utf-8"))["users"]}
    named = set(re.findall(r"`([a-z]+)`", section)) - {"inspector"}          # the directory's kind
    assert named == users


def test_an_inspector_sees_only_the_firms_drawn_for_them(app, client):
    """Inspectors sit in the panel organisation, whose subtree holds no case: they open the firm whose task names
    them (case_access), nothing else."""
    with app.app_context():
        session = db_session()
        campaign, firms = _participants(session)
        inspect = cases.case_tasks(session, firms["F-0005"].id, "ready")[0]
        drawn, drawn_case = sorted(inspect.candidate_users), firms["F-0005"].id
        others = [firms[code].id for code in ("F-0007", "F-0006")] + [campaign.id]
        bystander = sorted({"wei", "xie", "pan", "du", "cao", "shi", "lu", "yuan"} - set(
            u for t in session.scalars(select(HumanTask).where(HumanTask.candidate_users.is_not(None)))
            for u in t.candidate_users))
    for inspector in drawn:
        login(client, inspector)
        assert client.get(f"/cases/{drawn_case}").status_code == 200
        assert [client.get(f"/cases/{other}").status_code for other in others] == [404, 404, 404]
        client.post("/logout")
    if bystander:
        login(client, bystander[0])
        assert client.get(f"/cases/{drawn_case}").status_code == 404


def test_a_firm_is_offered_no_message_its_case_waits_for_from_other_cases(app):
    """Window closings, the inspection arrangement and sanction notices come from other cases only: neither the
    firm nor anyone else may send them from the case page (or the API, which obeys the same properties)."""
    from engine.core import people
    from engine.work import casework

    with app.app_context():
        session = db_session()
        engine = app.extensions["lawflow.engine"]
        _, firms = _participants(session)
        offered = {}
        waits = {}
        for code, director in (("F-0001", "mingde"), ("F-0002", "zhengyan"), ("F-0005", "gongcheng")):
            case = firms[code]
            waiting = waits[code] = cases.waiting_messages(engine, session, case.id)
            for username in (director, "admin"):
                user = people.user_by_name(session, username)
                offered[(code, username)] = [a["name"] for a in casework.message_actions(
                    engine, session, case, user, waiting)]
        assert "执业处分通报" in waits["F-0001"] and "异议" in waits["F-0002"]      # they do wait for messages
        assert offered == {key: [] for key in offered}
