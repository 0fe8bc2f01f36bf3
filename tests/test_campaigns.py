"""Campaigns: a case starts its participants (`start_cases`), their tasks go to the organisations `lane_orgs`
names, and the diagram helpers `organizations` and `child_cases` look around."""
from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timezone
from uuid import UUID

import pytest
import time_machine
from sqlalchemy import func, select

from engine.core import people
from engine.core.errors import CaseFailed, NotAllowed
from engine.core.models import AuditEvent, Case, HumanTask, Organization
from engine.definitions import bundles
from engine.runtime import cases
from engine.runtime.case_context import child_cases, organizations, running
from engine.work import tasks, worklists

from . import campaign_diagrams
from .conftest import bundle_with
from .helpers import ready, roundtrip, zh

UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
START = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)
RECOMMEND = {"decision": "approve", "opinion": "同意推荐"}
APPLY = {"title": "规范化申报", "reason": "申请规范化评定"}


def add_firms(session, count: int, county: str = "county-a", first: int = 1) -> list[str]:
    """`count` organisations of kind firm under a county; their codes."""
    codes = [f"F-{n}" for n in range(first, first + count)]
    for code in codes:
        people.add_organization(session, code, f"律所{code}", county, kind="firm")
    session.commit()
    return codes


@pytest.fixture
def campaign_bundle(session, engine, org_tree):
    people.add_role(session, "applicant", "申报人")
    people.add_role(session, "reviewer", "审核人")
    add_firms(session, 2)
    people.add_user(session, "f1", "律所主任", "F-1", ["applicant", "reviewer"])
    people.add_user(session, "rev", "区局审核人", "county-a", ["reviewer"])
    session.commit()
    return bundles.deploy(session, bundle_with(campaign_diagrams.files()), engine=engine).bundle


def start_campaign(engine, session, divisors=None, extra_items=()) -> Case:
    """A campaign in the city bureau."""
    return cases.start_case(engine, session, "campaign", {"divisors": divisors or {}, "extra_items": list(extra_items)},
                            org_code="city")


def children(session, parent_id: int) -> list[Case]:
    session.expire_all()
    return list(session.scalars(select(Case).where(Case.parent_id == parent_id).order_by(Case.id)))


def test_a_campaign_starts_a_participant_per_item_linked_with_data_org_and_tasks(engine, session, campaign_bundle):
    with time_machine.travel(START, tick=False):
        campaign = start_campaign(engine, session)
    found = children(session, campaign.id)
    assert [c.meta["firm_code"] for c in found] == ["F-1", "F-2"]
    assert [c.org.code for c in found] == ["F-1", "F-2"]
    assert [c.business_number for c in found] == ["P00001", "P00002"]
    first = found[0]
    data = engine.load_workflow(session, first).get_task_from_id(UUID(ready(session, first.id)[0].task_uuid)).data
    assert data["parent_case_id"] == campaign.id and data["parent_case_number"] == campaign.business_number
    assert data["case_org"] == "F-1" and first.meta["stage"] == "applying"
    tasks = ready(session, first.id)
    assert [(t.name, t.org_id) for t in tasks] == [("申报", first.org_id)]
    started = session.scalar(select(AuditEvent).where(AuditEvent.case_id == first.id,
                                                      AuditEvent.action == "case_started"))
    assert started.detail["process"] == "participant"
    assert session.scalar(select(AuditEvent.detail).where(AuditEvent.case_id == campaign.id,
                                                          AuditEvent.action == "cases_started")) \
        == {"process": "participant", "count": 2}
    roundtrip(engine, session, first.id)


def test_a_started_participant_is_the_case_a_plain_start_makes(engine, session, campaign_bundle):
    with time_machine.travel(START, tick=False):
        campaign = start_campaign(engine, session)
        participant = children(session, campaign.id)[0]
        item = {"firm_code": "F-1", "case_org": "F-1", "lane_orgs": {"审核人": "county-a"},
                "parent_case_id": campaign.id, "parent_case_number": campaign.business_number}
        plain = cases.start_case(engine, session, "participant", item, org_code="F-1")
    engine.forget_all()
    one, other = (engine.load_workflow(session, c) for c in (participant, plain))
    assert _normalised(engine.codec.dump_state(one), participant.business_number) \
        == _normalised(engine.codec.dump_state(other), plain.business_number)
    assert participant.meta == plain.meta and participant.status == plain.status == "running"
    columns = ("name", "element_id", "lane", "form", "org_id", "status", "due_at")
    assert [tuple(getattr(t, c) for c in columns) for t in ready(session, participant.id)] \
        == [tuple(getattr(t, c) for c in columns) for t in ready(session, plain.id)]


def _normalised(state: str, number: str) -> str:
    """A stored state with its task ids numbered in order of appearance and its business number blanked."""
    ids: dict[str, str] = {}
    return UUID_TEXT.sub(lambda m: ids.setdefault(m.group(0), f"T{len(ids)}"), state.replace(number, "N"))


def _summary(engine, session, campaign_id: int) -> list:
    """What the participants of a campaign are: state, row, tasks and audit events, with ids made comparable."""
    engine.forget_all()
    found, parent = [], cases.get_case(session, campaign_id)
    for case in children(session, campaign_id):
        state = _normalised(engine.codec.dump_state(engine.load_workflow(session, case)), case.business_number)
        state = state.replace(f'"parent_case_id":{parent.id},', "").replace(parent.business_number, "C")
        tasks = [(t.name, t.lane, t.org_id, t.form, t.status, t.due_at) for t in cases.case_tasks(session, case.id)]
        events = list(session.execute(select(AuditEvent.action, AuditEvent.actor, AuditEvent.detail, AuditEvent.steps)
                                      .where(AuditEvent.case_id == case.id).order_by(AuditEvent.id)).all())
        found.append((state, case.meta, case.title, case.status, case.org_id, case.next_timer_at, case.version,
                      tasks, [(a, b, {**d, "bundle": 0} if "bundle" in d else d, s) for a, b, d, s in events]))
    return found


def test_batch_starts_make_what_one_by_one_starts_make(session, campaign_bundle):
    from engine.runtime.engine import Engine

    with time_machine.travel(START, tick=False):
        batch = start_campaign(Engine(batch_starts=True), session)
        plain = start_campaign(Engine(batch_starts=False), session)
    assert _summary(Engine(), session, batch.id) == _summary(Engine(), session, plain.id)
    assert [c.business_number for c in children(session, plain.id)] == ["P00003", "P00004"]


@pytest.mark.parametrize("batch_starts", [True, False])
def test_one_item_that_cannot_start_keeps_none_and_fails_the_campaign_naming_it(session, campaign_bundle,
                                                                                batch_starts):
    from engine.runtime.engine import Engine

    engine = Engine(batch_starts=batch_starts)
    with time_machine.travel(START, tick=False), pytest.raises(CaseFailed) as failed:
        start_campaign(engine, session, extra_items=[{"firm_code": "F-9", "case_org": "no-such-org"}])
    assert "第 3 个（共 3 个）participant 案件启动失败：机构 no-such-org 不存在" in zh(failed.value)
    assert session.scalar(select(func.count()).select_from(Case).where(Case.process_key == "participant")) == 0
    assert session.scalar(select(Case.status).where(Case.process_key == "campaign")) == "error"


def test_lane_orgs_gives_the_review_to_the_county_and_not_the_firm(engine, session, campaign_bundle):
    with time_machine.travel(START, tick=False):
        campaign = start_campaign(engine, session)
        participant = children(session, campaign.id)[0]
        apply = ready(session, participant.id)[0]
        cases.complete_task(engine, session, apply.id, APPLY, user=people.user_by_name(session, "f1"))
        cases.send_message(engine, session, participant.id, "window_closed", {})
    review = ready(session, participant.id)[0]
    county = session.scalar(select(Organization.id).where(Organization.code == "county-a"))
    assert review.name == "初审" and review.org_id == county
    firm_user, county_user = people.user_by_name(session, "f1"), people.user_by_name(session, "rev")
    assert [t.id for t in worklists.inbox(session, county_user, "group")] == [review.id]
    assert worklists.inbox(session, firm_user, "group") == []
    with pytest.raises(NotAllowed):
        cases.complete_task(engine, session, review.id, RECOMMEND, user=firm_user)
    with pytest.raises(NotAllowed):
        tasks.claim(engine, session, review.id, firm_user)
    assert tasks.claim(engine, session, review.id, county_user).assignee_id == county_user.id
    cases.complete_task(engine, session, review.id, RECOMMEND, user=county_user)
    assert session.get(HumanTask, review.id, populate_existing=True).completed_by == "rev"


def test_an_unknown_lane_orgs_code_puts_the_case_in_error_naming_the_lane(engine, session, campaign_bundle):
    with time_machine.travel(START, tick=False):
        case = cases.start_case(engine, session, "participant",
                                {"firm_code": "F-1", "lane_orgs": {"审核人": "no-such-org"}}, org_code="F-1")
        apply = ready(session, case.id)[0]
        cases.complete_task(engine, session, apply.id, APPLY, user=people.user_by_name(session, "f1"))
        with pytest.raises(CaseFailed) as failed:
            cases.send_message(engine, session, case.id, "window_closed", {})
    assert "泳道 审核人：lane_orgs 指定的机构 no-such-org 不存在" in zh(failed.value)
    assert cases.get_case(session, case.id).status == "error"


def test_the_helpers_list_organisations_and_the_participants(engine, session, campaign_bundle):
    with time_machine.travel(START, tick=False):
        campaign = start_campaign(engine, session)
    first = children(session, campaign.id)[0]
    apply = ready(session, first.id)[0]
    cases.complete_task(engine, session, apply.id, APPLY, user=people.user_by_name(session, "f1"))

    class Here:
        def __init__(self, case):
            self.session, self.case = session, case

    with running(Here(campaign)):
        assert organizations(kind="firm") == [
            {"code": "F-1", "name": "律所F-1", "kind": "firm", "parent": "county-a"},
            {"code": "F-2", "name": "律所F-2", "kind": "firm", "parent": "county-a"}]
        assert [o["code"] for o in organizations(under="city")] == ["county-a", "F-1", "F-2", "county-b"]
        assert organizations(under="no-such-org") == []
        assert [c["org"] for c in child_cases()] == ["F-1", "F-2"]
        assert [c["meta"]["firm_code"] for c in child_cases(stage="waiting")] == ["F-1"]
        assert [c["number"] for c in child_cases(stage=["waiting", "applying"])] == ["P00001", "P00002"]
    with running(Here(first)):
        assert child_cases() == []


def test_the_campaigns_stored_state_does_not_grow_with_its_participants(engine, session, campaign_bundle):
    add_firms(session, 8, first=3)
    with time_machine.travel(START, tick=False):
        small = start_campaign(engine, session)
        add_firms(session, 190, first=11)
        large = start_campaign(engine, session)
    assert (len(children(session, small.id)), len(children(session, large.id))) == (10, 200)
    assert len(cases.stored_state(session, large.id)) == len(cases.stored_state(session, small.id))


def test_participants_and_figures_keep_to_what_the_user_may_see(engine, session, campaign_bundle):
    from engine.core.errors import NotFound
    from engine.work.campaign_view import participants

    people.add_user(session, "cityman", "市局", "city", ["leader"])
    people.add_user(session, "bman", "B县", "county-b", ["reviewer"])
    session.commit()
    with time_machine.travel(START, tick=False):
        campaign = start_campaign(engine, session)
        first, second = children(session, campaign.id)
        cases.complete_task(engine, session, ready(session, first.id)[0].id, APPLY,
                            user=people.user_by_name(session, "f1"))
    city = people.user_by_name(session, "cityman")
    with time_machine.travel(START):
        found = participants(session, city, campaign.id)
    assert [(p["number"], p["org"], p["status"], p["tasks"], p["overdue"]) for p in found] == [
        ("P00001", "F-1", "running", [], False), ("P00002", "F-2", "running", ["申报"], False)]
    assert [p["id"] for p in participants(session, city, campaign.id, stage="applying")] == [second.id]
    assert [p["id"] for p in participants(session, city, campaign.id, org=["F-1"])] == [first.id]
    assert Counter(p["meta"]["stage"] for p in found) == {"waiting": 1, "applying": 1}   # what figures count
    with pytest.raises(NotFound):          # the campaign is the city's: a county user may not see it
        participants(session, people.user_by_name(session, "bman"), campaign.id)


def test_a_county_sees_only_the_participants_in_its_subtree(engine, session, campaign_bundle):
    from engine.work.campaign_view import participants

    add_firms(session, 1, county="county-b", first=3)
    with time_machine.travel(START, tick=False):
        campaign = cases.start_case(engine, session, "campaign", {"divisors": {}, "extra_items": []},
                                    org_code="county-a")
    assert len(children(session, campaign.id)) == 3
    county_a = people.user_by_name(session, "rev")
    assert [p["org"] for p in participants(session, county_a, campaign.id)] == ["F-1", "F-2"]
    assert len(participants(session, county_a, campaign.id)) == 2
