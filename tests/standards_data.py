"""A small scoring standard and a bundle that scores it, for the standards and score-sheet tests."""
from __future__ import annotations

import copy
import json

from . import diagrams

MINI = {
    "title": "测试评分标准", "scale": 10,
    "dimensions": [
        {"code": "A", "title": "制度", "points": 6, "items": [
            {"code": "A1", "title": "组织设置", "points": 4,
             "deduction": {"kind": "fixed", "points": 4, "label": "应设未设"}},
            {"code": "A2", "title": "无查实事件", "points": 2,
             "deduction": {"kind": "per_occurrence", "points": 1, "cap": 2, "label": "每件查实事件"},
             "auto": {"process": "incident", "match": {"party": "party_code"},
                      "where": [{"result": ["upheld", "partly"]}], "period": ["period_from", "period_to"]}}]},
        {"code": "B", "title": "文化", "points": 4, "items": [
            {"code": "B1", "title": "公示", "points": 4, "veto": True}]},
    ],
    "bonus": [{"code": "X1", "title": "创新", "points": 2}],
    "vetoes": [{"code": "V1", "title": "受到处罚",
                "auto": {"process": "incident", "match": {"party": "party_code"}, "where": [{"result": "severe"}],
                         "period": ["period_from", "period_to"]}},
               {"code": "V2", "title": "弄虚作假"}],
    "pass": {"min_total": 8, "no_veto": True},
    "bands": [{"code": "top", "label": "示范", "min": 9, "passed": True},
              {"code": "good", "label": "达标", "min": 8, "max": 9, "passed": True},
              {"code": "fix", "label": "整改", "min": 7, "max": 8},
              {"code": "failed", "label": "不达标", "max": 7}],
    "veto_band": "failed",
}

SCORE_FORM = {"type": "object", "required": ["score"], "properties": {
    "score": {"type": "object", "title": "评分表", "x-standard": "test/mini.standard.json",
              "x-standard-compare": "self_score"},
    "comment": {"type": "string", "title": "意见"}}}
NOTE_FORM = {"type": "object", "properties": {"result": {"type": "string", "title": "结果"}}}


def mini(**changes) -> dict:
    """A copy of the small standard with top-level keys replaced."""
    return {**copy.deepcopy(MINI), **changes}


def encoded(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2).encode()


def scored_process() -> bytes:
    """A user task with a score sheet, then a second task that shows where the band led."""
    return diagrams.process("scored", [
        '<bpmn:startEvent id="StartEvent"/>', diagrams.user_task("Task_score", "test/score.schema.json", name="评分"),
        diagrams.user_task("Task_after", "test/note.schema.json", name="后续"), '<bpmn:endEvent id="EndEvent"/>',
    ], [
        diagrams.flow("Flow_1", "StartEvent", "Task_score"), diagrams.flow("Flow_2", "Task_score", "Task_after"),
        diagrams.flow("Flow_3", "Task_after", "EndEvent"),
    ], lanes={"经办人": ["StartEvent", "Task_score", "Task_after", "EndEvent"]},
        properties={"businessNumberPattern": "S{seq}", "reportableFields": "party_code"})


def incident_process() -> bytes:
    """Cases the auto rules look at: their reportable party and result are set when they start."""
    return diagrams.process("incident", [
        '<bpmn:startEvent id="StartEvent"/>', diagrams.user_task("Task_note", "test/note.schema.json"),
        '<bpmn:endEvent id="EndEvent"/>',
    ], [diagrams.flow("Flow_1", "StartEvent", "Task_note"), diagrams.flow("Flow_2", "Task_note", "EndEvent")],
        lanes={"经办人": ["StartEvent", "Task_note", "EndEvent"]},
        properties={"businessNumberPattern": "I{year}-{seq}", "reportableFields": "party,result"})


def bundle(standard: dict | None = None, extra: dict[str, bytes] | None = None) -> dict[str, bytes]:
    """The two processes, their forms and the standard (replaced by `standard` when given)."""
    files = {"processes/test/scored.bpmn": scored_process(), "processes/test/incident.bpmn": incident_process(),
             "forms/test/score.schema.json": encoded(SCORE_FORM), "forms/test/note.schema.json": encoded(NOTE_FORM),
             "forms/test/mini.standard.json": encoded(standard or MINI)}
    files.update(extra or {})
    return files
