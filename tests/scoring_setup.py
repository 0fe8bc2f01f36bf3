"""Test processes for the score-sheet and campaign pages: a case scored twice on a small standard (self-assessment,
then an inspection beside it), and a campaign whose participants are cases of their own."""
from __future__ import annotations

import json

from sqlalchemy import update

from engine.core import people, Case
from engine.definitions import bundles
from engine.runtime import cases
from web.database import session as db_session
from web.workflow import engine as web_engine

from .conftest import bundle_with
from .diagrams import flow, process, user_task

STANDARD = {
    "title": "测试评分标准", "scale": 20,
    "dimensions": [
        {"code": "D1", "title": "制度建设", "points": 8, "items": [
            {"code": "D1.1", "title": "党组织设置", "points": 4, "evidence": "支部设立文件",
             "deduction": {"kind": "fixed", "points": 4, "label": "应设未设党支部"}},
            {"code": "D1.2", "title": "三会一课记录", "points": 4, "evidence": "会议记录",
             "deduction": {"kind": "per_occurrence", "points": 1, "cap": 4, "unit": "季度",
                           "label": "每缺一个季度的记录"}}]},
        {"code": "D2", "title": "执业管理", "points": 12, "items": [
            {"code": "D2.1", "title": "收费公示", "points": 7, "veto": True},
            {"code": "D2.2", "title": "评估期内无查实投诉", "points": 5,
             "deduction": {"kind": "per_occurrence", "points": 2, "cap": 5, "label": "每件查实的投诉"},
             "auto": {"process": "score_test", "match": {"firm_code": "firm_code"}, "where": [{"firm_code": ["F-1"]}],
                      "period": ["period_from", "period_to"]}}]}],
    "bonus": [{"code": "B1", "title": "公益法律服务突出", "points": 2}],
    "vetoes": [{"code": "V1", "title": "评估期内受到行政处罚"}, {"code": "V4", "title": "申报弄虚作假"}],
    "pass": {"min_total": 16, "no_veto": True},
    "bands": [{"code": "exemplary", "label": "示范", "min": 18, "passed": True},
              {"code": "standard", "label": "达标", "min": 16, "max": 18, "passed": True},
              {"code": "rectify", "label": "限期整改", "min": 14, "max": 16},
              {"code": "failed", "label": "不达标", "max": 14}],
    "veto_band": "failed"}

NOTE_LIMIT = {"items": {"type": "object", "properties": {"D1.2": {"type": "object", "properties": {
    "note": {"type": "string", "maxLength": 10, "title": "备注"}}}}}}


def _form(field: str, title: str, **extra) -> bytes:
    prop = {"type": "object", "title": title, "x-standard": "scoretest/standard.json", "properties": NOTE_LIMIT,
            **extra}
    return json.dumps({"type": "object", "required": [field], "properties": {field: prop}},
                      ensure_ascii=False).encode()


def _score_process() -> bytes:
    return process("score_test", [
        '<bpmn:startEvent id="StartEvent"/>', user_task("Task_self", "scoretest/self.schema.json", "自评"),
        user_task("Task_inspect", "scoretest/inspect.schema.json", "检查评分"), '<bpmn:endEvent id="EndEvent"/>',
    ], [flow("Flow_1", "StartEvent", "Task_self"), flow("Flow_2", "Task_self", "Task_inspect"),
        flow("Flow_3", "Task_inspect", "EndEvent")],
        lanes={"经办人": ["StartEvent", "Task_self"], "负责人": ["Task_inspect", "EndEvent"]},
        properties={"businessNumberPattern": "评{seq:03d}", "reportableFields": "firm_code", "titleField": "firm_name"})


def _campaign_process() -> bytes:
    figures = ("invited=*:已邀请, applied=stage!=待申报:已申报, recommended=stage=已推荐;已检查;整改中;已命名:已推荐, "
               "inspected=stage=已检查;整改中;已命名:已检查, named=stage=已命名:已命名, rectifying=stage=整改中:整改中, "
               "overdue=@overdue:超期, rate=named/inspected:达标率")
    return process("campaign_test", [
        '<bpmn:startEvent id="StartEvent"/>', user_task("Task_run", "sample/apply.schema.json", "组织验收"),
        '<bpmn:endEvent id="EndEvent"/>',
    ], [flow("Flow_1", "StartEvent", "Task_run"), flow("Flow_2", "Task_run", "EndEvent")],
        lanes={"分管领导": ["StartEvent", "Task_run", "EndEvent"]},
        properties={"businessNumberPattern": "验收{seq:03d}",
                    "participantColumns": "stage:阶段, self_total:自评分, inspection_total:检查得分, band:等次",
                    "participantFigures": figures})


def _participant_process() -> bytes:
    return process("participant_test", [
        '<bpmn:startEvent id="StartEvent"/>',
        user_task("Task_wait", "sample/apply.schema.json", "申报", dueExpression="due"),
        '<bpmn:endEvent id="EndEvent"/>',
    ], [flow("Flow_1", "StartEvent", "Task_wait"), flow("Flow_2", "Task_wait", "EndEvent")],
        lanes={"经办人": ["StartEvent", "Task_wait", "EndEvent"]},
        properties={"businessNumberPattern": "参评{seq:03d}", "titleField": "firm_name",
                    "reportableFields": "firm_name,stage,self_total,inspection_total,band"})


FILES = {
    "forms/scoretest/standard.json": json.dumps(STANDARD, ensure_ascii=False).encode(),
    "forms/scoretest/self.schema.json": _form("self_score", "自评表"),
    "forms/scoretest/inspect.schema.json": _form("inspection_score", "检查评分表", **{"x-standard-compare": "self_score"}),
    "processes/scoretest/score_test.bpmn": _score_process(),
    "processes/scoretest/campaign_test.bpmn": _campaign_process(),
    "processes/scoretest/participant_test.bpmn": _participant_process(),
}


def deploy(app) -> None:
    """The project's bundle with the test processes, published."""
    with app.app_context():
        bundles.deploy(db_session(), bundle_with(FILES), engine=web_engine())


def start_scored_case(app, data: dict | None = None) -> tuple[int, str]:
    """A case to score, after an earlier case of the same firm: what the standard's auto item D2.2 finds."""
    deploy(app)
    with app.app_context():
        db, eng = db_session(), web_engine()
        base = {"firm_code": "F-1", "firm_name": "示范律师事务所", "period_from": "2025-01-01",
                "period_to": "2025-12-31"}
        earlier = cases.start_case(eng, db, "score_test", base, org_code="county-a", actor="zhang")
        case = cases.start_case(eng, db, "score_test", {**base, **(data or {})}, org_code="county-a", actor="zhang")
        return case.id, case.business_number


def ready_task(app, case_id: int, name: str) -> int:
    """The id of a case's ready task by name."""
    with app.app_context():
        return next(t.id for t in cases.case_tasks(db_session(), case_id, "ready") if t.name == name)


def complete(app, case_id: int, name: str, username: str, data: dict) -> None:
    """Complete a case's ready task through the engine, as a person."""
    with app.app_context():
        db = db_session()
        task_id = next(t.id for t in cases.case_tasks(db, case_id, "ready") if t.name == name)
        cases.complete_task(web_engine(), db, task_id, data, user=people.user_by_name(db, username))


PARTICIPANTS = [   # firm, organisation, stage, self score, inspection score, band, overdue
    ("甲律师事务所", "county-a", "已命名", 19, 18, "示范", False),
    ("乙律师事务所", "county-a", "整改中", 17, 15, "限期整改", True),
    ("丙律师事务所", "county-b", "已检查", 16, 17, "达标", False),
    ("丁律师事务所", "county-b", "已推荐", 15, None, None, False),
    ("戊律师事务所", "county-c", "待申报", None, None, None, True),
]


def start_campaign(app) -> tuple[int, list[int]]:
    """A campaign of the city bureau with five participants in three counties (two overdue)."""
    deploy(app)
    with app.app_context():
        db, eng = db_session(), web_engine()
        campaign = cases.start_case(eng, db, "campaign_test", {}, org_code="city-bureau", actor="admin")
        ids = []
        for firm, org, stage, self_total, inspection_total, band, overdue in PARTICIPANTS:
            data = {"firm_name": firm, "stage": stage, "self_total": self_total, "inspection_total": inspection_total,
                    "band": band, "due": "2025-10-01T00:00:00+08:00" if overdue else "2025-12-31T00:00:00+08:00"}
            ids.append(cases.start_case(eng, db, "participant_test", {k: v for k, v in data.items() if v is not None},
                                        org_code=org, actor="admin").id)
        db.execute(update(Case).where(Case.id.in_(ids)).values(parent_id=campaign.id))
        db.commit()
        return campaign.id, ids
