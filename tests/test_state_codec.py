"""The stored state: written with orjson exactly as SpiffWorkflow's json encoder writes it, and read back whole."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from uuid import UUID

from SpiffWorkflow.task import Task

from engine.core.models import Case
from engine.runtime.live_workflow import LiveTask
from engine.runtime import cases

from .test_cases import start

ODD_DATA = {
    "moment": datetime(2025, 10, 13, 9, 30, tzinfo=timezone(timedelta(hours=8))),
    "span": timedelta(days=3, seconds=5),
    "chosen": {"甲"},
    "nested": {"列表": [1, 2.5, None, True, "中文"], 7: "int key"},
}


def _json_module_text(codec, workflow) -> str:
    """The state as the json module with SpiffWorkflow's encoder writes it (how the codec wrote it before orjson)."""
    codec.registry._encoder_mode = True
    try:
        return json.dumps(codec.state_dict(workflow), cls=codec._encoder, ensure_ascii=False, separators=(",", ":"))
    finally:
        codec.registry._encoder_mode = False


def test_state_text_is_what_the_json_module_writes(engine, session, deployed):
    case = start(engine, session)
    workflow = engine.load_workflow(session, case)
    task = next(t for t in workflow.get_tasks() if t.task_spec.manual)
    task.data.update(ODD_DATA)
    assert engine.codec.dump_state(workflow) == _json_module_text(engine.codec, workflow)


def test_odd_values_survive_a_save_and_reload(engine, session, deployed):
    case = start(engine, session)
    workflow = engine.load_workflow(session, case)
    task = next(t for t in workflow.get_tasks() if t.task_spec.manual)
    # Past 64 bits, written by the json module instead, and read by it too: orjson reads them as floats, in which
    # 2**80 + 1 is 2**80.
    task.data.update(ODD_DATA, huge=2**80 + 1, low=-2**63 - 1)
    text = engine.codec.dump_state(workflow)
    assert '"huge":1208925819614629174706177' in text
    spec, subs = engine.specs(case.definition_id, lambda: case.definition)
    restored = engine.codec.load_state(text, spec, subs, engine.script_engine).get_task_from_id(task.id)
    assert restored.data["moment"] == ODD_DATA["moment"] and restored.data["span"] == ODD_DATA["span"]
    assert restored.data["chosen"] == ["甲"]
    assert (restored.data["huge"], restored.data["low"]) == (2**80 + 1, -2**63 - 1)
    assert type(restored.data["huge"]) is int
    assert restored.data["nested"] == {"列表": [1, 2.5, None, True, "中文"], "7": "int key"}


def test_a_state_with_a_nan_written_by_the_json_module_still_loads(engine, session, deployed):
    case = start(engine, session)
    stored = json.loads(cases.stored_state(session, case.id))
    root = stored["tasks"][stored["root"]]
    root["data"] = {**root.get("data", {}), "ratio": float("nan")}
    older = json.dumps(stored, ensure_ascii=False)
    assert "NaN" in older
    session.get(Case, case.id).state = older
    session.commit()
    engine.forget_all()
    workflow = engine.load_workflow(session, session.get(Case, case.id))
    assert any(t.data.get("ratio") != t.data.get("ratio") for t in workflow.get_tasks())     # NaN is not itself


def test_a_restored_task_is_made_as_spiffworkflow_makes_one(engine, session, deployed):
    case = start(engine, session)
    engine.forget_all()
    workflow = engine.load_workflow(session, session.get(Case, case.id))
    fresh = Task(workflow, workflow.spec.start, id=UUID(int=1))
    del workflow.tasks[fresh.id]
    for task in workflow.tasks.values():
        # the engine's own task class, which adds no attributes to SpiffWorkflow's
        assert type(task) is LiveTask and vars(task).keys() == vars(fresh).keys()
        assert task.id == UUID(str(task.id)) and hash(task.id) == hash(UUID(str(task.id)))
        assert all(isinstance(child, UUID) for child in task._children)


def test_a_json_column_keeps_integers_past_64_bits(session):
    """What `json_text` writes through the json module (integers past 64 bits) a JSON column reads back exact;
    everyday values are read by orjson, and floats and long digit runs inside text stay what they were."""
    from engine.core.db import json_value
    from engine.core.models import AuditEvent

    detail = {"huge": 2**80 + 1, "low": -2**63 - 1, "edge": 2**64 - 1, "ratio": 0.30000000000000004,
              "big_float": 1e22, "account": "6222021234567890123456", "list": [1, 2.5, None, True, "中文"]}
    event = AuditEvent(case_id=None, actor="system", at=datetime(2026, 1, 5, tzinfo=timezone.utc),
                       action="noted", detail=detail)
    session.add(event)
    session.commit()
    stored = session.get(AuditEvent, event.id)
    session.expire(stored)
    assert stored.detail == detail and type(stored.detail["huge"]) is int and type(stored.detail["big_float"]) is float
    assert json_value('{"a": [NaN, 1]}')["a"][1] == 1 and json_value(b'"\\ud800x"') == "\ud800x"
