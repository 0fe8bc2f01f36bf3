"""DMN decision tables deploy with the bundle and run in the sandbox."""
from __future__ import annotations

import pytest

from engine.core.errors import BundleInvalid
from engine.definitions import bundles
from engine.runtime import cases

from . import diagrams
from .conftest import bundle_with
from .helpers import only_ready, zh


def files(input_expression: str = "amount"):
    return bundle_with({"processes/test/graded.bpmn": diagrams.graded(),
                        "processes/test/grade.dmn": diagrams.decision_table(input_expression)})


@pytest.mark.parametrize("amount, grade", [(50000, "重大"), (800, "一般")])
def test_decision_table_sets_case_data(engine, session, org_tree, amount, grade):
    bundles.deploy(session, files(), engine=engine)
    case = cases.start_case(engine, session, "graded", {"amount": amount}, org_code="county-a")
    task = only_ready(session, case.id)
    assert task.name == "Task_read"
    assert engine.load_workflow(session, case).get_task_from_id(
        __import__("uuid").UUID(task.task_uuid)).data["grade"] == grade


def test_unsafe_decision_expression_is_refused(engine, session, org_tree):
    with pytest.raises(BundleInvalid) as err:
        bundles.deploy(session, files("amount.__class__"), engine=engine)
    [problem] = err.value.problems
    assert (problem.file, problem.element) == ("processes/test/grade.dmn", "Input_amount")
    assert "决策表「分级」输入列「金额」" in zh(problem) and "__class__" in zh(problem) and problem.line == 5


def test_unsafe_rule_entry_is_refused_on_its_cell(engine, session, org_tree):
    dmn = diagrams.decision_table().replace('"一般"'.encode(), b"open('x')")
    broken = bundle_with({"processes/test/graded.bpmn": diagrams.graded(), "processes/test/grade.dmn": dmn})
    with pytest.raises(BundleInvalid) as err:
        bundles.deploy(session, broken, engine=engine)
    assert [(p.file, p.element) for p in err.value.problems] == [("processes/test/grade.dmn", "Out_small")]
