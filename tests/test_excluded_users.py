"""Two generic pieces the case-quality check needs, on both databases: a user task's `excludedUsers` refuses the
completion of a user it names with its `excludedReason` and nothing saved (others complete it), a bad expression is
a deploy problem and a wrong answer an error of the case; the helper `standard_band` grades a total a diagram
computed by a standard's own bands."""
from __future__ import annotations

import pytest

from engine.core import CaseFailed, NotAllowed
from engine.core.errors import BundleInvalid
from engine.definitions import bundles
from engine.runtime import cases
from engine.work.casework import case_data

from . import diagrams
from .complaint_steps import user
from .conftest import bundle_with
from .helpers import only_ready, zh

FORM = "legal_aid/quality_summary.schema.json"
STANDARD = "legal_aid/quality_civil.standard.json"


def excluding(expression: str) -> bytes:
    return diagrams.process("excluding", [
        '<bpmn:startEvent id="StartEvent"/>',
        diagrams.user_task("Task_check", FORM, "核对", excludedUsers=expression, excludedReason="本人承办，应当回避。"),
        '<bpmn:endEvent id="EndEvent"/>'],
        [diagrams.flow("F1", "StartEvent", "Task_check"), diagrams.flow("F2", "Task_check", "EndEvent")],
        lanes={"经办人": ["StartEvent", "Task_check", "EndEvent"]})


def grading(total: str, veto: str = "False", standard: str = STANDARD) -> bytes:
    script = f'band = standard_band("{standard}", {total}, {veto})'
    return diagrams.process("grading", [
        '<bpmn:startEvent id="StartEvent"/>', diagrams.script_task("Script_grade", script),
        diagrams.user_task("Task_read", FORM, "阅"), '<bpmn:endEvent id="EndEvent"/>'],
        [diagrams.flow("F1", "StartEvent", "Script_grade"), diagrams.flow("F2", "Script_grade", "Task_read"),
         diagrams.flow("F3", "Task_read", "EndEvent")], lanes={"经办人": ["StartEvent", "Script_grade", "Task_read",
                                                                       "EndEvent"]})


def deploy(engine, session, **files: bytes) -> None:
    bundles.deploy(session, bundle_with({f"processes/test/{name}.bpmn": xml for name, xml in files.items()}),
                   engine=engine)
    session.commit()


def test_a_user_the_task_excludes_is_refused_with_the_reason_and_another_completes_it(engine, session, deployed):
    deploy(engine, session, excluding=excluding("[&quot;amy&quot;]"))
    case = cases.start_case(engine, session, "excluding", {}, org_code="county-a", actor="alice")
    session.commit()
    task = only_ready(session, case.id)
    with pytest.raises(NotAllowed) as refused:
        cases.complete_task(engine, session, task.id, {"summary": "已核对"}, user=user(session, "amy"))
    assert zh(refused.value) == "amy 须回避，不能办理「核对」。本人承办，应当回避。"
    assert only_ready(session, case.id).status == "ready"
    cases.complete_task(engine, session, task.id, {"summary": "已核对"}, user=user(session, "alice"))
    assert cases.get_case(session, case.id).status == "completed"


def test_an_excluded_users_expression_that_does_not_compile_or_answers_text_is_caught(engine, session, deployed):
    with pytest.raises(BundleInvalid) as invalid:
        deploy(engine, session, excluding=excluding("[amy"))
    assert any("excludedUsers" in zh(p) for p in invalid.value.problems)
    deploy(engine, session, excluding=excluding("&quot;amy&quot;"))
    case = cases.start_case(engine, session, "excluding", {}, org_code="county-a", actor="alice")
    session.commit()
    with pytest.raises(CaseFailed) as failed:
        cases.complete_task(engine, session, only_ready(session, case.id).id, {"summary": "已核对"},
                            user=user(session, "alice"))
    assert "excludedUsers" in zh(failed.value) and "用户名列表" in zh(failed.value)


@pytest.mark.parametrize(("total", "veto", "band"), [("89.5", "False", ("good", "良好", True)),
                                                     ("90", "False", ("excellent", "优秀", True)),
                                                     ("59.9", "False", ("failed", "不合格", False)),
                                                     ("95", "True", ("failed", "不合格", False))])
def test_standard_band_grades_a_total_by_the_standards_bands(engine, session, deployed, total, veto, band):
    deploy(engine, session, grading=grading(total, veto))
    case = cases.start_case(engine, session, "grading", {}, org_code="county-a", actor="alice")
    session.commit()
    found = case_data(engine, session, cases.get_case(session, case.id))["band"]
    assert (found["code"], found["label"], found["passed"]) == band


def test_standard_band_of_no_number_or_no_standard_fails_the_case_naming_it(engine, session, deployed):
    for files, says in ((grading("&quot;九十&quot;"), "总分须为数字"),
                        (grading("90", standard="legal_aid/none.standard.json"), "forms/legal_aid/none.standard.json")):
        deploy(engine, session, grading=files)
        with pytest.raises(CaseFailed) as failed:
            cases.start_case(engine, session, "grading", {}, org_code="county-a", actor="alice")
        assert says in zh(failed.value)
        session.rollback()
