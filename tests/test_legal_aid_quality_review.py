"""One sampled legal-aid file's peer review (legal_aid_file_review), on both databases: two reviewers score it on
the 评查表 of its type, a gap above the check's threshold brings a drawn third review that decides, the grade
comes from the standard's bands, the lawyer gets the 评查结果通知, a 不合格 goes to rectification and a lawyer's
second 不合格 flags him for 暂停指派 and tells the centre; a reviewer of the file's firm is refused, as are a score
above an item's maximum and a veto without grounds."""
from __future__ import annotations

import pytest
import time_machine
from sqlalchemy import select

from engine.core import DataValidationError, NotAllowed
from engine.core.case_records import Notification, RandomDraw
from engine.core.models import Case
from engine.records import draws
from engine.records.findings import findings
from engine.runtime import cases
from engine.work.casework import case_data

from .complaint_steps import at, document_text, user
from .helpers import ready, zh
from .legal_aid_steps import STANDARD as AUDIT_STANDARD
from .legal_aid_quality_steps import (CRIMINAL, VISIT, add_quality_people, do_as, file_review, review_task, score,
                                      sheet)


@pytest.fixture
def panel(session, deployed):
    """The project deployed with the centre, an institution, its contact and the peer reviewers."""
    add_quality_people(session)


def names(session, case_id: int) -> list[str]:
    return sorted(t.name for t in ready(session, case_id))


def current(session, case_id: int) -> Case:
    session.commit()
    session.expire_all()
    return session.get(Case, case_id)


def test_two_close_scores_give_the_mean_its_band_and_the_file_ends_after_the_visit(engine, session, panel):
    with time_machine.travel(at("2025-11-03T09:00"), tick=True):
        case = file_review(engine, session)
        tasks = ready(session, case.id)
        assert sorted((t.name, tuple(t.candidate_users)) for t in tasks) == [
            ("案卷评查（民事行政）", ("hou",)), ("案卷评查（民事行政）", ("wu",))]
        assert case_data(engine, session, current(session, case.id))["conflicted"] == ["liang", "tian"]
        score(engine, session, case.id, "hou", 93)
        assert names(session, case.id) == ["案卷评查（民事行政）"]
        score(engine, session, case.id, "wu", 86)
        graded = current(session, case.id)
        assert (graded.meta["score_a"], graded.meta["score_b"], graded.meta["third_review"]) == (93, 86, False)
        assert (graded.meta["final_total"], graded.meta["grade"], graded.meta["grade_label"]) == (89.5, "good", "良好")
        assert graded.meta["lawyer_flagged"] is False and graded.meta["stage"] == "已评定"
        assert names(session, case.id) == ["回访受援人"]
        notice = document_text(session, case.id, "评查结果通知")
        assert "周正律师" in notice and "89.5 分，等次为良好" in notice and "请继续保持办案质量" in notice
        assert "93" in document_text(session, case.id, "案件质量评查表") 
        do_as(engine, session, case.id, "回访受援人", "la_a", VISIT)
        done = current(session, case.id)
        assert done.status == "completed" and done.meta["stage"] == "已完成"
        assert (done.meta["visited"], done.meta["satisfied"]) == (True, True)


def test_a_gap_above_the_threshold_brings_a_drawn_third_review_that_decides(engine, session, panel):
    with time_machine.travel(at("2025-11-03T09:00"), tick=True):
        case = file_review(engine, session, ("hou", "wu"), case_type="刑事", case_number="（2025）东法援刑字第3号")
        assert names(session, case.id) == ["案卷评查（刑事）", "案卷评查（刑事）"]
        score(engine, session, case.id, "hou", 92, standard=CRIMINAL)
        score(engine, session, case.id, "wu", 70, standard=CRIMINAL)   # 22 apart, the threshold is 10
        waiting = current(session, case.id)
        assert waiting.meta["third_review"] is True and waiting.meta["stage"] == "第三人评查"
        data = case_data(engine, session, waiting)
        record = session.get(RandomDraw, data["third_draw_id"])
        assert sorted(record.pool["items"]) == ["kong", "shen"]      # not the firm's liang/tian, not hou or wu
        assert record.drawn_by == "wu" and draws.rerun(record) == record.result
        third = data["reviewer_c"]
        assert record.result["chosen"] == [third]
        assert [(t.name, t.candidate_users) for t in ready(session, case.id)] == [("第三人评查（刑事）", [third])]
        with pytest.raises(NotAllowed) as refused:       # a first reviewer may not decide the dispute
            task = ready(session, case.id)[0]
            cases.complete_task(engine, session, task.id, {"criminal_review": sheet(CRIMINAL, 90)},
                                user=user(session, "hou"))
        assert refused.value.message_code == "task.not_assignee"
        score(engine, session, case.id, third, 75, standard=CRIMINAL)
        graded = current(session, case.id)
        assert (graded.meta["final_total"], graded.meta["grade_label"]) == (75, "合格")
        assert "由第三评查人评定" in document_text(session, case.id, "评查结果通知")


def test_a_lawyers_second_failure_flags_him_and_tells_the_centre(engine, session, panel):
    with time_machine.travel(at("2025-11-03T09:00"), tick=True):
        first = file_review(engine, session)
        score(engine, session, first.id, "hou", 55)
        score(engine, session, first.id, "wu", 52)
        failed = current(session, first.id)
        assert (failed.meta["grade"], failed.meta["lawyer_flagged"], failed.meta["stage"]) == ("failed", False, "整改中")
        assert "请于2025年12月3日前完成整改" in document_text(session, first.id, "评查结果通知")
        do_as(engine, session, first.id, "回访受援人", "la_a", {**VISIT, "satisfaction": "不满意"})
        assert names(session, first.id) == ["整改"]
        assert current(session, first.id).meta["satisfied"] is False
        second = file_review(engine, session, case_number="（2025）东法援民字第30号")
        score(engine, session, second.id, "hou", 40)
        score(engine, session, second.id, "wu", 45)
        flagged = current(session, second.id)
        assert (flagged.meta["grade_label"], flagged.meta["lawyer_flagged"]) == ("不合格", True)
        assert case_data(engine, session, flagged)["earlier_failures"] == [failed.business_number]
        sent = session.scalars(select(Notification).where(Notification.user_id == user(session, "fang").id)).all()
        assert [n.title for n in sent] == ["暂停指派提示：周正律师再次评查不合格"]
        assert "评查不合格，2年内此前已有不合格案卷 " in sent[0].body             # the row failure_lookback
        assert "已列入暂停指派提示名单" in document_text(session, second.id, "评查结果通知")
        other = file_review(engine, session, case_number="（2025）东法援民字第31号", lawyer_license="13101201599999",
                            lawyer_name="吴律师")
        score(engine, session, other.id, "hou", 50)
        score(engine, session, other.id, "wu", 50)
        assert current(session, other.id).meta["lawyer_flagged"] is False     # another lawyer's first failure
        do_as(engine, session, first.id, "整改", "la_a",
              {"rectified_on": "2025-11-03", "rectification_measures": "补齐谈话笔录和结案报告，重新装订归档"})
        assert current(session, first.id).status == "completed"
    found = findings(session, AUDIT_STANDARD, {"institution_code": "LA-a"}, None)["A4.2"]     # into the audit's
    assert found["count"] == 3 and {c["id"] for c in found["cases"]} == {first.id, second.id, other.id}   # 质量保证


def test_a_reviewer_of_the_files_firm_is_refused_and_nothing_is_saved(engine, session, panel):
    with time_machine.travel(at("2025-11-03T09:00"), tick=True):
        case = file_review(engine, session, ("liang", "wu"))    # liang practises at F-0001, the file's firm
        version = current(session, case.id).version
        with pytest.raises(NotAllowed) as refused:
            score(engine, session, case.id, "liang", 95)
        assert zh(refused.value) == ("liang 须回避，不能办理「案卷评查（民事行政）」。"
                                     "评查人与本案承办律师或其律师事务所有关联，应当回避。")
        assert current(session, case.id).version == version
        assert review_task(session, case.id, "liang").status == "ready"
        score(engine, session, case.id, "wu", 88)                 # the other reviewer is not held up
        assert names(session, case.id) == ["案卷评查（民事行政）"]


def test_a_score_above_an_items_maximum_or_a_veto_without_grounds_is_refused(engine, session, panel):
    with time_machine.travel(at("2025-11-03T09:00"), tick=True):
        case = file_review(engine, session)
        task = review_task(session, case.id, "hou")
        entry = {"items": {"C3.1": {"score": 15, "reason": "超出分值"}}, "vetoes": {"V1": {"hit": True}}}
        with pytest.raises(DataValidationError) as refused:
            cases.complete_task(engine, session, task.id, {"civil_review": entry}, user=user(session, "hou"))
        errors = {e.field: zh(e) for e in refused.value.errors}
        assert set(errors) == {"civil_review.items.C3.1.score", "civil_review.vetoes.V1.grounds"}
        assert "12" in errors["civil_review.items.C3.1.score"] and "C3.1" in errors["civil_review.items.C3.1.score"]
        assert "V1" in errors["civil_review.vetoes.V1.grounds"]
        assert review_task(session, case.id, "hou").status == "ready"
        score(engine, session, case.id, "hou", 50, vetoes={"V1": "受援人反映承办律师收取交通费 500 元"})
        score(engine, session, case.id, "wu", 55, vetoes={"V1": "回访核实收取财物"})
        vetoed = current(session, case.id)
        assert (vetoed.meta["final_total"], vetoed.meta["grade"]) == (52.5, "failed")
