"""The `directory_entries` helper: a diagram reads a whole directory (active entries, filtered) and changes
nothing."""
from __future__ import annotations

from uuid import UUID

import pytest

from engine.core.models import DirectoryEntry
from engine.definitions import bundles
from engine.records import directory
from engine.runtime import cases

from .conftest import bundle_with
from .diagrams import flow, process, script_task, user_task
from .helpers import only_ready

SCRIPT = """everyone = [e["key"] for e in directory_entries("reviewer")]
from_bar = [e["key"] for e in directory_entries("reviewer", org="bar")]
either = [e["name"] for e in directory_entries("reviewer", org=["bar", "city"], seniority=3)]
nobody = directory_entries("nobody")"""


def registers() -> bytes:
    """A script that reads the reviewer register four ways before a task."""
    return process("registers", [
        '<bpmn:startEvent id="StartEvent"/>', script_task("Script_read", SCRIPT), user_task("Task_look"),
        '<bpmn:endEvent id="EndEvent"/>',
    ], [flow("Flow_1", "StartEvent", "Script_read"), flow("Flow_2", "Script_read", "Task_look"),
        flow("Flow_3", "Task_look", "EndEvent")],
        lanes={"经办人": ["StartEvent", "Script_read", "Task_look", "EndEvent"]})


@pytest.fixture
def register_bundle(session, engine, org_tree):
    for key, name, data in (("r3", "丙", {"org": "bar", "seniority": 3}), ("r1", "甲", {"org": "city", "seniority": 3}),
                            ("r2", "乙", {"org": "bar", "seniority": 1}), ("r4", "丁", {"org": "bar"})):
        directory.add_entry(session, "reviewer", key, name, data=data)
    directory.add_entry(session, "reviewer", "r5", "戊", data={"org": "bar", "seniority": 3}).active = False
    directory.add_entry(session, "other", "x1", "己", data={"org": "bar"})
    session.commit()
    return bundles.deploy(session, bundle_with({"processes/test/registers.bpmn": registers()}), engine=engine).bundle


def test_a_diagram_reads_the_active_entries_of_a_directory_filtered_by_their_fields(engine, session,
                                                                                      register_bundle):
    before = session.query(DirectoryEntry).count()
    case = cases.start_case(engine, session, "registers", {}, org_code="county-a")
    task = only_ready(session, case.id)
    data = engine.load_workflow(session, case).get_task_from_id(UUID(task.task_uuid)).data
    assert data["everyone"] == ["r1", "r2", "r3", "r4"]          # key order; r5 is inactive, x1 another kind
    assert data["from_bar"] == ["r2", "r3", "r4"]
    assert data["either"] == ["甲", "丙"]                          # a list value is any of; r4 has no seniority
    assert data["nobody"] == []
    assert session.query(DirectoryEntry).count() == before
