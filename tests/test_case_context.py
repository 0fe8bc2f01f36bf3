"""Diagram helpers that look around the case: related (repeat) cases and directory entries; directory fields."""
from __future__ import annotations

from uuid import UUID

import pytest

from engine.core import people
from engine.core.errors import DataValidationError
from engine.definitions import bundles
from engine.records import directory
from engine.runtime import cases

from . import diagrams
from .conftest import bundle_with
from .helpers import only_ready, zh


@pytest.fixture
def repeats_bundle(session, engine, org_tree):
    directory.add_entry(session, "practitioner", "L-001", "王律师", org_code="county-a", data={"firm": "甲律师事务所"})
    directory.add_entry(session, "practitioner", "L-002", "赵律师", org_code="county-b")
    session.commit()
    return bundles.deploy(session, bundle_with({"processes/test/repeats.bpmn": diagrams.repeats(),
                                                "forms/test/respondent.schema.json": diagrams.RESPONDENT_FORM}),
                          engine=engine).bundle


def data_at_task(engine, session, case):
    task = only_ready(session, case.id)
    return engine.load_workflow(session, case).get_task_from_id(UUID(task.task_uuid)).data


def test_repeat_cases_are_found_by_reportable_fields(engine, session, repeats_bundle):
    same = {"complainant_id": "P-9", "respondent_id": "L-001"}
    first = cases.start_case(engine, session, "repeats", same, org_code="county-a")
    cases.start_case(engine, session, "repeats", {**same, "respondent_id": "L-002"}, org_code="county-a")
    third = cases.start_case(engine, session, "repeats", same, org_code="county-a")
    assert data_at_task(engine, session, first)["repeat_count"] == 0
    data = data_at_task(engine, session, third)
    assert data["repeat_count"] == 1 and data["earlier"][0]["number"] == first.business_number
    assert data["respondent"] == {"kind": "practitioner", "key": "L-001", "name": "王律师", "firm": "甲律师事务所"}


def test_directory_fields_refuse_unknown_values(engine, session, repeats_bundle):
    case = cases.start_case(engine, session, "repeats", {"complainant_id": "P-1", "respondent_id": "L-001"},
                            org_code="county-a")
    task = only_ready(session, case.id)
    alice = people.user_by_name(session, "alice")
    with pytest.raises(DataValidationError) as err:
        cases.complete_task(engine, session, task.id, {"respondent_id": "L-404", "others": ["L-002", "X"]},
                            user=alice)
    assert [(e.field, e.rule) for e in err.value.errors] == [("respondent_id", "directory"), ("others.1", "directory")]
    assert "不在被投诉人的名录中" in zh(err.value.errors[0])
    cases.complete_task(engine, session, task.id, {"respondent_id": "L-002", "others": ["L-001"]}, user=alice)
    assert cases.get_case(session, case.id).status == "completed"
