"""The legal-aid case-quality check (legal_aid_quality_check), on both databases: the centre samples an
institution's closed files of a period from the imported ledger (60%, or N per lawyer) with a recorded draw that
re-runs to the same files, draws two reviewers per file never of the file's firm or the file's lawyer, starts one
file review per file, and its page counts sampled, reviewed, grades, 优良率, 回访率 and 满意率 as results come in."""
from __future__ import annotations

import io
from datetime import datetime, timezone

import pytest
import time_machine

from engine.core import people
from engine.core.case_records import RandomDraw
from engine.core.models import Case
from engine.records import draws, ledger_import
from engine.runtime import cases
from engine.runtime.timers import fire_due_timers
from engine.work import participants
from engine.work.casework import case_data

from .complaint_steps import at
from .helpers import ready
from .ledger_data import LEDGER, case_row, csv_bytes
from .legal_aid_quality_steps import REVIEWERS, VISIT, add_quality_people, do_as, score

# (number, lawyer, licence, firm): ten files of LA-a closed in the third quarter of 2025, by three lawyers.
LAWYERS = {"周正": ("13101201510021", "F-0001", "示范明德律师事务所"),
           "孙丽": ("13101201610022", "F-0002", "示范信达律师事务所"),
           "钱进": ("13101201710023", "F-0003", "示范正言律师事务所")}
FILES = [(f"（2025）东法援民字第{n}号", lawyer) for n, lawyer in
         zip(range(1, 11), ["周正"] * 4 + ["孙丽"] * 3 + ["钱进"] * 3)]
ORGANISE = {"institution_code": "LA-a", "period_from": "2025-07-01", "period_to": "2025-09-30",
            "sample_percent": 60, "gap_threshold": 10, "max_per_reviewer": 10}
NO_RATE = {k: v for k, v in ORGANISE.items() if k != "sample_percent"}


def row(number: str, lawyer: str, **changes) -> list:
    licence, firm, firm_name = LAWYERS[lawyer]
    return case_row(number, org="LA-a", closed="2025-08-15", **{"承办律师": lawyer, "律师执业证号": licence,
                    "律师事务所编号": firm, "律师事务所": firm_name, **changes})


@pytest.fixture
def ledger(session, engine, deployed):
    """The panel and people, and LA-a's ledger: ten files in the period, one closed before it; one of LA-b."""
    add_quality_people(session)
    people.add_organization(session, "LA-b", "西城县法律援助中心", "county-b", "legal_aid")
    rows = [row(number, lawyer) for number, lawyer in FILES]
    rows += [row("（2025）东法援民字第0号", "周正", **{"结案日期": "2025-06-30"}),
             case_row("（2025）西法援民字第1号", org="LA-b", closed="2025-08-15")]
    ledger_import.import_file(session, engine, people.user_by_name(session, "fang"), LEDGER, "台账.csv",
                              io.BytesIO(csv_bytes(rows)))
    session.commit()


def organised(engine, session, data=ORGANISE) -> Case:
    """The centre's organiser opens a check and submits the organising form."""
    case = cases.start_case(engine, session, "legal_aid_quality_check", {}, org_code="city", actor="fang")
    do_as(engine, session, case.id, "组织案件质量检查", "fang", data)
    return current(session, case.id)


def current(session, case_id: int) -> Case:
    session.commit()
    session.expire_all()
    return session.get(Case, case_id)


def reviews_of(session, check: Case) -> list[Case]:
    session.commit()
    session.expire_all()
    return list(session.query(Case).filter(Case.parent_id == check.id).order_by(Case.id))


def page_figures(session, check: Case) -> dict:
    fang = people.user_by_name(session, "fang")
    found = participants.rows(session, fang, check, datetime.now(timezone.utc))
    return {f["name"]: f["value"] for f in participants.figures(check, found)}


def test_a_check_samples_60_percent_reproducibly_with_reviewers_clear_of_each_files_firm(engine, session, ledger):
    with time_machine.travel(at("2025-11-03T09:00"), tick=True):
        check = organised(engine, session)
        assert (check.meta["pool_count"], check.meta["sampled_count"], check.meta["sample_rate"]) == (10, 6, 60.0)
        assert check.meta["stage"] == "评查中"
        [sample_id] = case_data(engine, session, check)["sample_draw_ids"]
        sample = session.get(RandomDraw, sample_id)
        assert sorted(sample.pool["items"]) == sorted(number for number, _ in FILES)   # the period, LA-a only
        assert sample.criteria["percent"] == 60 and sample.drawn_by == "fang"
        assert draws.rerun(sample) == sample.result and draws.verify(session, sample.id)   # the same files again
        started = reviews_of(session, check)
        assert sorted(c.meta["case_number"] for c in started) == sorted(sample.result["chosen"])
        assert {c.org.code for c in started} == {"LA-a"}
        assignment = session.get(RandomDraw, check.meta["reviewer_draw_id"])
        assert draws.rerun(assignment) == assignment.result
        for review in started:
            pair = assignment.result["assignment"][review.meta["case_number"]]
            assert sorted(t.candidate_users[0] for t in ready(session, review.id)) == sorted(pair)
            for reviewer in pair:                # never of the file's firm, never the file's lawyer
                assert REVIEWERS[reviewer][0] != review.meta["firm_code"]
                assert REVIEWERS[reviewer][1] != review.meta["lawyer_license"]
        assert page_figures(session, check)["sampled"] == 6 and page_figures(session, check)["reviewed"] == 0

        pairs = [(95, 93), (92, 90), (88, 86), (85, 83), (75, 71), (50, 52)]   # within the gap; the last fails
        for review, totals in zip(started, pairs):
            for reviewer, total in zip(sorted(t.candidate_users[0] for t in ready(session, review.id)), totals):
                score(engine, session, review.id, reviewer, total)
        fire_due_timers(engine, session)         # the results reach the check
        session.commit()
        check = current(session, check.id)
        assert check.meta["reviewed_count"] == 6 and [t.name for t in ready(session, check.id)] == ["评查总结"]
        for review in started[:4]:
            do_as(engine, session, review.id, "回访受援人", "la_a", VISIT)
        do_as(engine, session, started[4].id, "回访受援人", "la_a", {**VISIT, "satisfaction": "不满意"})
        shown = page_figures(session, current(session, check.id))
        grades = [c.meta["grade"] for c in reviews_of(session, check)]
        assert grades == ["excellent", "excellent", "good", "good", "pass", "failed"]
        assert (shown["reviewed"], shown["excellent"], shown["good"], shown["passing"], shown["failed"]) == (6, 2, 2, 1, 1)
        assert shown["fine_rate"] == 66.7 and shown["visit_rate"] == 83.3 and shown["satisfaction_rate"] == 80.0
        do_as(engine, session, check.id, "评查总结", "fang", {"summary": "抽查 6 件，优良率 66.7%", "published": True})
        assert current(session, check.id).status == "completed"


def test_n_per_lawyer_draws_each_lawyers_files_and_a_short_pool_goes_back_to_the_form(engine, session, ledger):
    with time_machine.travel(at("2025-11-03T09:00"), tick=True):
        check = organised(engine, session, {**NO_RATE, "per_lawyer": 2})
        check = current(session, check.id)
        ids = case_data(engine, session, check)["sample_draw_ids"]
        assert len(ids) == 3 and check.meta["sampled_count"] == 6          # two of each lawyer's files
        lawyers = sorted(c.meta["lawyer_name"] for c in reviews_of(session, check))
        assert lawyers == ["周正", "周正", "孙丽", "孙丽", "钱进", "钱进"]
        for record in (session.get(RandomDraw, i) for i in ids):
            assert draws.rerun(record) == record.result and record.criteria["per_lawyer"] == 2

        empty = organised(engine, session, {**ORGANISE, "period_from": "2024-01-01", "period_to": "2024-12-31"})
        assert [t.name for t in ready(session, empty.id)] == ["组织案件质量检查"]
        assert "没有已结案卷" in case_data(engine, session, empty)["draw_message"]
        assert reviews_of(session, empty) == []
        everyone = [{"reviewer": name} for name in REVIEWERS if name != "kong"]    # one reviewer left: short
        do_as(engine, session, empty.id, "组织案件质量检查", "fang", {**ORGANISE, "unavailable": everyone})
        short = current(session, empty.id)
        assert [t.name for t in ready(session, short.id)] == ["组织案件质量检查"] and reviews_of(session, short) == []
        assert "draw.short" in case_data(engine, session, short)["draw_message"]
