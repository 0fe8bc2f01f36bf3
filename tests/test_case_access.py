"""Case access for named people, on both databases: a user in another organisation whom a case names on one of
its tasks (a candidate from `lane_users`, a transferee, a delegate) sees that case and its task, and nothing else
outside their subtree: not its sibling participants, not its campaign. The access stays after the task is done."""
from __future__ import annotations

import pytest
import time_machine
from alembic import command
from sqlalchemy import select, text

from engine.core import people, scope
from engine.core.db import alembic_config
from engine.core.errors import NotFound
from engine.core.models import CaseAccess
from engine.runtime import cases
from engine.work import tasks, worklists

from .complaint_steps import at
from .helpers import ready, roundtrip
from .law_firm_steps import INSPECTORS, add_law_firm_people
from .test_complaint_sanctions import sanctions_setup  # noqa: F401 - a fixture
from .test_law_firm_scenarios import POOL, application, applied_and_recommended, arranged, campaign, inspected
from .test_campaigns import APPLY, RECOMMEND, START, campaign_bundle, children  # noqa: F401 - a fixture

NAMED = {"firm_code": "F-9", "case_org": "F-1"}


@pytest.fixture
def panel(session, campaign_bundle):
    """An inspectors' panel beside the counties (under the city, above no firm), with three members."""
    people.add_organization(session, "panel", "考评专家库", "city")
    for username in ("insp", "insp2", "insp3"):
        people.add_user(session, username, f"考评员{username}", "panel", ["reviewer"])
    session.commit()


def u(session, name):
    return people.user_by_name(session, name)


def at_review(engine, session, **item) -> tuple:
    """A campaign whose third participant (in firm F-1) names `item`'s people; the participant applied and its
    window closed, so its 初审 is ready. Returns (campaign, participants, the named one, its review task)."""
    with time_machine.travel(START, tick=False):
        campaign = cases.start_case(engine, session, "campaign", {"divisors": {}, "extra_items": [{**NAMED, **item}]},
                                    org_code="city")
        found = children(session, campaign.id)
        named = next(c for c in found if c.meta.get("firm_code") == "F-9")
        cases.complete_task(engine, session, ready(session, named.id)[0].id, APPLY, user=u(session, "f1"))
        cases.send_message(engine, session, named.id, "window_closed", {})
        roundtrip(engine, session, named.id)
    return campaign, found, named, ready(session, named.id)[0]


def visible_ids(session, user, ids) -> list[int]:
    """Which of the case ids the user may open (scope.py's loader)."""
    seen = []
    for case_id in ids:
        try:
            seen.append(scope.scoped_case(session, user, case_id).id)
        except NotFound:
            pass
    return seen


def test_a_named_inspector_opens_exactly_the_case_that_names_him(engine, session, panel):
    insp = u(session, "insp")
    campaign, found, named, review = at_review(engine, session, lane_users={"审核人": ["insp"]})
    all_ids = [campaign.id, *(c.id for c in found)]
    assert len(found) == 3 and review.name == "初审" and review.candidate_users == ["insp"]
    assert visible_ids(session, insp, all_ids) == [named.id]
    assert [c.id for c in worklists.search_cases(session, insp)] == [named.id]
    assert [t.id for t in worklists.inbox(session, insp, "group")] == [review.id]
    assert scope.scoped_task(session, insp, review.id).id == review.id
    assert scope.sees_case(session, insp, named.id) and not scope.sees_case(session, insp, campaign.id)
    other_task = ready(session, found[0].id) or ready(session, found[1].id)
    with pytest.raises(NotFound):
        scope.scoped_task(session, insp, other_task[0].id)
    with pytest.raises(NotFound):            # a panel colleague the case does not name sees nothing of it
        scope.scoped_case(session, u(session, "insp2"), named.id)
    grant = session.scalar(select(CaseAccess).where(CaseAccess.case_id == named.id))
    assert (grant.user_id, grant.reason, grant.granted_at) == (insp.id, "named", START)


def test_access_arrives_with_the_task_that_names_him(engine, session, panel):
    with time_machine.travel(START, tick=False):
        campaign = cases.start_case(engine, session, "campaign", {
            "divisors": {}, "extra_items": [{**NAMED, "lane_users": {"审核人": ["insp"]}}]}, org_code="city")
    named = next(c for c in children(session, campaign.id) if c.meta.get("firm_code") == "F-9")
    assert [t.name for t in ready(session, named.id)] == ["申报"]        # the 初审 that names him is not here yet
    assert visible_ids(session, u(session, "insp"), [named.id]) == []


@pytest.mark.parametrize("batch_starts", [True, False])
def test_participants_started_together_grant_as_one_by_one(session, panel, batch_starts):
    """The batched start (one statement for all participants) writes the same access as starts one by one."""
    from engine.runtime.engine import Engine

    named_first = [{"firm_code": f"F-{n}", "case_org": "F-1", "lane_users": {"申报人": [f"insp{n}"]}} for n in ("", 2)]
    with time_machine.travel(START, tick=False):
        campaign = cases.start_case(Engine(batch_starts=batch_starts), session, "campaign",
                                    {"divisors": {}, "extra_items": named_first}, org_code="city")
    found = {c.meta["firm_code"]: c.id for c in children(session, campaign.id)}
    assert visible_ids(session, u(session, "insp"), found.values()) == [found["F-"]]
    assert visible_ids(session, u(session, "insp2"), found.values()) == [found["F-2"]]
    assert visible_ids(session, u(session, "insp3"), found.values()) == []


def test_after_completing_his_task_the_inspector_still_reads_the_case(engine, session, panel):
    insp = u(session, "insp")
    _, _, named, review = at_review(engine, session, lane_users={"审核人": ["insp"]})
    with time_machine.travel(START, tick=False):
        cases.complete_task(engine, session, review.id, RECOMMEND, user=insp)
    session.expire_all()
    assert [t.id for t in worklists.inbox(session, insp, "done")] == [review.id]
    assert worklists.inbox(session, insp, "group") == []
    assert scope.scoped_case(session, insp, named.id).id == named.id
    assert scope.scoped_task(session, insp, review.id).status == "completed"


def test_a_transfer_outside_the_subtree_lets_the_receiver_see_the_case(engine, session, panel):
    """The review lane belongs to the panel (lane_orgs), outside the firm's county: its staff are the receivers."""
    _, _, named, review = at_review(engine, session, lane_users={"审核人": ["insp"]}, lane_orgs={"审核人": "panel"})
    insp, insp2 = u(session, "insp"), u(session, "insp2")
    with pytest.raises(NotFound):
        scope.scoped_case(session, insp2, named.id)
    with time_machine.travel(START, tick=False):
        tasks.transfer(engine, session, review.id, insp, "insp2", reason="回避")
    assert scope.scoped_case(session, insp2, named.id).id == named.id
    assert [t.id for t in worklists.inbox(session, insp2, "mine")] == [review.id]
    with time_machine.travel(START, tick=False):
        cases.complete_task(engine, session, review.id, RECOMMEND, user=insp2)
    reasons = dict(session.execute(select(CaseAccess.user_id, CaseAccess.reason)
                                   .where(CaseAccess.case_id == named.id)).all())
    assert reasons == {insp.id: "named", insp2.id: "transferred"}
    assert visible_ids(session, u(session, "insp3"), [named.id]) == []


def test_a_delegate_outside_the_subtree_sees_the_case_and_the_owner_gets_it_back(engine, session, panel):
    _, _, named, review = at_review(engine, session, lane_users={"审核人": ["insp"]}, lane_orgs={"审核人": "panel"})
    insp, insp3 = u(session, "insp"), u(session, "insp3")
    with time_machine.travel(START, tick=False):
        tasks.claim(engine, session, review.id, insp)
        tasks.delegate(engine, session, review.id, insp, "insp3", note="请先阅")
        assert scope.scoped_task(session, insp3, review.id).assignee_id == insp3.id
        tasks.resolve(engine, session, review.id, insp3, note="已阅")
    assert scope.scoped_case(session, insp3, named.id).id == named.id      # the record he worked on stays his
    assert scope.scoped_task(session, insp, review.id).assignee_id == insp.id


def test_the_case_list_and_counts_add_named_cases_to_the_subtree(engine, session, panel):
    """A county handler keeps their subtree and gains only the case that names them."""
    campaign, found, named, _ = at_review(engine, session, lane_users={"审核人": ["carl"]})
    carl = u(session, "carl")              # county-b: none of these cases lies in his subtree
    assert [c.id for c in worklists.search_cases(session, carl)] == [named.id]
    assert worklists.running_counts(session, carl) == {"participant": 1}
    assert worklists.inbox_counts(session, carl, START, START)["group"] == 1


def test_0008_backfills_the_people_existing_tasks_name(engine, session, panel, db_url):
    _, _, named, review = at_review(engine, session, lane_users={"审核人": ["insp"]}, lane_orgs={"审核人": "panel"})
    with time_machine.travel(START, tick=False):
        tasks.claim(engine, session, review.id, u(session, "insp"))
        tasks.delegate(engine, session, review.id, u(session, "insp"), "insp3")
    case_id = named.id
    session.commit()
    session.close()
    command.downgrade(alembic_config(db_url), "0007")
    command.upgrade(alembic_config(db_url), "head")
    found = {(r.user_id, r.reason) for r in session.execute(
        text("SELECT user_id, reason FROM case_access WHERE case_id = :id"), {"id": case_id})}
    insp, insp3 = u(session, "insp"), u(session, "insp3")
    assert found == {(insp3.id, "claimed"), (insp.id, "delegated")}     # assignee, owner; insp once, as owner
    assert scope.scoped_case(session, insp, case_id).id == case_id


def test_drawn_inspectors_open_the_firm_case_they_are_drawn_for_and_not_the_campaign(engine, session,
                                                                                   sanctions_setup):
    """The law-firm procedure: the inspectors sign in at the bar or a county; the two drawn for F-0001 open its
    case and its 实地检查评分 in their inbox, not the campaign nor another firm outside their subtree, and the one
    who scored still reads the case after."""
    add_law_firm_people(session)
    away = [{"inspector": name, "reason": "出差"} for name, (home, _) in INSPECTORS.items() if home == "city"]
    with time_machine.travel(at("2025-10-13T09:00"), tick=True) as clock:
        campaign_case = campaign(engine, session)
        case = applied_and_recommended(engine, session, clock)
        arranged(engine, session, clock, campaign_case, {**POOL, "unavailable": away})
        task = next(t for t in ready(session, case.id) if t.name == "实地检查评分")
        others = {campaign_case.id: "city", application(session, "F-0002").id: "F-0002",
                  application(session, "F-0003").id: "F-0003"}
        assert len(task.candidate_users) == 2
        for username in task.candidate_users:
            inspector = u(session, username)
            assert inspector.org.code != "city" and scope.scoped_case(session, inspector, case.id).id == case.id
            assert [t.id for t in worklists.inbox(session, inspector, "group")] == [task.id]
            in_subtree = [i for i, code in others.items()
                          if people.organization(session, code).path.startswith(inspector.org.path)]
            assert visible_ids(session, inspector, others) == in_subtree
            assert campaign_case.id not in in_subtree
        inspected(engine, session, clock, case, 86)
    scorer = u(session, task.candidate_users[0])
    assert scope.scoped_case(session, scorer, case.id).id == case.id
