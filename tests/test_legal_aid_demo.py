"""The demo's legal-aid audit (`lawflow demo`): a campaign in its 全面实施 phase, its institutions at different
steps, and its page showing the rate and the pilot's share against their targets."""
from __future__ import annotations

import re

from sqlalchemy import select

from engine.core.models import Case
from web.database import session as db_session

from .web_helpers import login

STAGES = {"LA-a": "已达标", "LA-b": "待抽查", "LA-c": "自查中", "LA-city": "待确定联络人",
          "LA-union": "自评完成（不计入）"}


def test_the_demo_audit_is_in_its_roll_out_phase_and_its_page_shows_the_targets(app, client):
    with app.app_context():
        session = db_session()
        campaign = session.scalar(select(Case).where(Case.process_key == "legal_aid_campaign"))
        children = session.scalars(select(Case).where(Case.parent_id == campaign.id))
        assert campaign.meta["phase"] == "全面实施"
        assert {c.meta["institution_code"]: c.meta["stage"] for c in children} == STAGES
    login(client, "fang")
    html = client.get(f"/cases/{campaign.id}").get_data(as_text=True)
    figure = lambda name: re.sub(r"<[^>]+>|\s+", "", re.search(
        rf'data-figure="{name}">(.*?)</span></span>', html, re.S).group(1))
    assert figure("rate") == "达标率100.0%（目标≥90%，已达到）"
    assert figure("pilot_rate") == "试点阶段达标率（占参评机构）25.0%（目标≥33.3%，未达到）"
    assert 'data-figure="item_rate"' not in html          # the campaign counts institutions, not items


def test_an_institutions_self_assessment_opens_with_what_the_demo_ledger_finds(app, client):
    """LA-c has two decisions past the 7 days, one late assignment, two late agreements and 5 of 70 cases not
    visited in the period (web/demo_ledger.py): its 自查评分 opens with those, each linked to its ledger row."""
    from engine.core.ledger_records import LedgerRow
    from engine.core.models import HumanTask

    with app.app_context():
        session = db_session()
        case = session.scalar(select(Case).where(Case.process_key == "legal_aid_assessment",
                                                 Case.meta["institution_code"].as_string() == "LA-c"))
        task = session.scalar(select(HumanTask).where(HumanTask.case_id == case.id, HumanTask.status == "ready",
                                                      HumanTask.name == "自查评分"))
        late = session.scalars(select(LedgerRow.id).where(LedgerRow.key.like("%南援字%"))).all()
    login(client, "ye")
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    item = lambda code: page.split(f'data-item="{code}"', 1)[1].split("</tr>", 1)[0]    # noqa: E731
    assert "台账 70 件中发现 2 件" in item("A2.2") and 'data-found="2"' in item("A2.2")
    assert 'data-found="1"' in item("A3.1") and 'data-found="2"' in item("A3.3")
    assert "台账 70 件中发现 5 件" in item("A4.3") and 'data-found="1"' in item("A4.3")     # 7.1%: one step of 10%
    linked = re.findall(r'href="/ledgers/legal_aid_cases/rows/(\d+)"', item("A2.2"))
    assert len(linked) == 2 and all(int(i) in late for i in linked)


def test_the_demo_quality_check_has_drawn_files_at_several_stages(app):
    with app.app_context():
        session = db_session()
        check = session.scalar(select(Case).where(Case.process_key == "legal_aid_quality_check"))
        files = session.scalars(select(Case).where(Case.parent_id == check.id)).all()
    assert check.meta["sampled_count"] == len(files) == 9          # 10% of LA-a's 90 files of the period
    stages = sorted(f.meta["stage"] for f in files)
    assert stages.count("已评定") == 1 and stages.count("第三人评查") == 1 and stages.count("评查中") == 7
    graded = next(f for f in files if f.meta["stage"] == "已评定")
    assert (graded.meta["score_a"], graded.meta["score_b"], graded.meta["grade_label"]) == (85, 88, "良好")
