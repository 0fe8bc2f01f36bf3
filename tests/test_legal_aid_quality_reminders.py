"""A failed file's rectification (legal_aid_file_review), on both databases with the clock moved: the contact is
reminded 5 working days before the month ends, the institution's district bureau supervises at the deadline, and
the centre's organiser who ran the check 5 working days later; the 回访 (10 working days) the same way."""
from __future__ import annotations

import pytest
import time_machine
from sqlalchemy import select

from engine.core import people
from engine.core.case_records import Notification

from .complaint_steps import at
from .helpers import ready
from .legal_aid_quality_steps import VISIT, add_quality_people, do_as, file_review, score
from .legal_aid_steps import sweep


@pytest.fixture
def panel(session, deployed):
    """The quality-check people, and county A's legal-aid reviewer `ra`."""
    add_quality_people(session)
    people.add_role(session, "legal_aid_district_reviewer", "区县法律援助审核员")
    people.add_user(session, "ra", "A区审核员", "county-a", ["legal_aid_district_reviewer"])
    session.commit()


def open_tasks(session, case_id: int) -> dict[str, list[str]]:
    """Each ready task's name and who may do it."""
    return {t.name: sorted(u.username for u in people.candidates(session, t)) for t in ready(session, case_id)}


def reminders(session, case_id: int) -> list[str]:
    return list(session.scalars(select(Notification.title).where(Notification.case_id == case_id,
                                                                 Notification.kind == "reminder")))


def test_a_late_rectification_is_reminded_supervised_and_escalated(engine, session, panel):
    with time_machine.travel(at("2025-11-03T09:00"), tick=False) as clock:
        case = file_review(engine, session)
        score(engine, session, case.id, "hou", 55)
        score(engine, session, case.id, "wu", 52)
        do_as(engine, session, case.id, "回访受援人", "la_a", VISIT)           # rectified by the end of 2025-12-03
        clock.move_to(at("2025-11-26T18:00"))
        sweep(engine, session)
        assert reminders(session, case.id) == []
        clock.move_to(at("2025-11-27T09:00"))                                   # 5 working days before
        sweep(engine, session)
        assert reminders(session, case.id) == ["整改临期提醒：（2025）东法援民字第12号"]
        assert list(session.scalars(select(Notification.body).where(Notification.case_id == case.id,
                                                          Notification.kind == "reminder"))) == [
            "评查不合格案卷的整改期限还有5个工作日。"]                               # the row file_rectification_remind
        assert open_tasks(session, case.id) == {"整改": ["la_a"]}
        clock.move_to(at("2025-12-03T18:00"))
        sweep(engine, session)
        assert open_tasks(session, case.id) == {"整改": ["la_a"]}
        clock.move_to(at("2025-12-04T09:00"))
        sweep(engine, session)
        assert open_tasks(session, case.id) == {"整改": ["la_a"], "督办（整改逾期）": ["ra"]}
        clock.move_to(at("2025-12-10T18:00"))
        sweep(engine, session)
        assert "市法律援助中心督办（整改逾期）" not in open_tasks(session, case.id)
        clock.move_to(at("2025-12-11T09:00"))                                   # 5 working days after
        sweep(engine, session)
        assert open_tasks(session, case.id)["市法律援助中心督办（整改逾期）"] == ["fang"]
        do_as(engine, session, case.id, "整改", "la_a",
              {"rectified_on": "2025-12-11", "rectification_measures": "补齐谈话笔录和结案报告，重新装订归档"})
        assert open_tasks(session, case.id).keys() == {"督办（整改逾期）", "市法律援助中心督办（整改逾期）"}


def test_a_late_visit_is_reminded_supervised_and_escalated(engine, session, panel):
    with time_machine.travel(at("2025-11-03T09:00"), tick=False) as clock:
        case = file_review(engine, session)
        score(engine, session, case.id, "hou", 93)
        score(engine, session, case.id, "wu", 86)                               # 良好: the visit within 10 working days
        clock.move_to(at("2025-11-10T18:00"))
        sweep(engine, session)
        assert reminders(session, case.id) == []
        clock.move_to(at("2025-11-11T09:00"))                                   # 5 working days before
        sweep(engine, session)
        assert reminders(session, case.id) == ["回访临期提醒：（2025）东法援民字第12号"]
        clock.move_to(at("2025-11-18T09:00"))                                   # the end of 11-17 has passed
        sweep(engine, session)
        assert open_tasks(session, case.id) == {"回访受援人": ["la_a"], "督办（回访逾期）": ["ra"]}
        clock.move_to(at("2025-11-25T09:00"))                                   # 5 working days after
        sweep(engine, session)
        assert open_tasks(session, case.id)["市法律援助中心督办（回访逾期）"] == ["fang"]
        do_as(engine, session, case.id, "回访受援人", "la_a", {**VISIT, "visited_on": "2025-11-25"})
        assert open_tasks(session, case.id).keys() == {"督办（回访逾期）", "市法律援助中心督办（回访逾期）"}
