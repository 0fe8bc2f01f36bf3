"""No raw codes on the pages of a whole complaint: filed on the portal, registered, reviewed, accepted, investigated
after a 转办, decided with an order to correct, replied to, followed up once the correction period ended, archived.
After every step each person's pages (the 流程 page, the inbox, the case, its tasks, the case list, the overview,
notifications) are read as text and searched for the forms' field keys, the diagram's variable names, the demo
directory's registry codes, usernames and process keys; the English interface's own texts read in English."""
from __future__ import annotations

import html
import json
import re
from pathlib import Path

import time_machine
from sqlalchemy import select

from engine.core import Case
from engine.runtime import cases, fire_due_timers
from web.database import session as db_session
from web.workflow import engine

from .complaint_steps import EXPLANATION, REGISTRATION, at, do, review
from .test_work_pages import post, text
from .web_helpers import csrf, login

ROOT = Path(__file__).resolve().parent.parent
PEOPLE = ("xu", "chen", "lin", "zhou", "sun")
PAGES = ("/", "/inbox", "/inbox?view=group", "/inbox?view=done", "/cases", "/overview", "/notifications")
FINDINGS = {"investigators": ["陈刚", "林涛"], "explanation_received": True,
            "findings": "调取代理合同及庭审记录，被投诉律师确未按约出庭。"}


def _words() -> dict[str, set[str]]:
    """What must not show: field keys, variable names, registry codes, usernames, process keys."""
    keys = set()
    for form in (ROOT / "forms/complaint").glob("*.schema.json"):
        keys |= _property_names(json.loads(form.read_text(encoding="utf-8")))
    diagram = (ROOT / "processes/complaint/lawyer_complaint.bpmn").read_text(encoding="utf-8")
    variables = set(re.findall(r"^\s*([a-z][a-z0-9]*_[a-z0-9_]+) =", diagram, re.M))
    demo = json.loads((ROOT / "web/demo_data.json").read_text(encoding="utf-8"))
    processes = set(re.findall(r'<bpmn:process id="([a-z_]+)"', "".join(
        p.read_text(encoding="utf-8") for p in (ROOT / "processes").rglob("*.bpmn"))))
    return {"field key": keys, "variable": variables, "process key": processes,
            "registry code": {e["key"] for e in demo["directories"]},
            "username": {u["username"] for u in demo["users"]}}


def _property_names(schema) -> set[str]:
    found = set()
    if isinstance(schema, dict):
        found |= set((schema.get("properties") or {}).keys())
        for value in schema.values():
            found |= _property_names(value)
    elif isinstance(schema, list):
        for value in schema:
            found |= _property_names(value)
    return found


WORDS = _words()


def visible(page: str) -> str:
    """A page's text as a reader sees it (tags, scripts and styles removed)."""
    page = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", page)
    return html.unescape(re.sub(r"(?s)<[^>]+>", " ", page))


def raw_codes(page: str) -> list[tuple[str, str]]:
    """Each field key, variable name, registry code, username or process key a page shows."""
    shown = visible(page)
    words = set(re.findall(r"(?<![A-Za-z0-9_-])[A-Za-z][A-Za-z0-9_-]*(?![A-Za-z0-9_-])", shown))
    return sorted((kind, word) for kind, names in WORDS.items() for word in words & names)


class Reader:
    """Reads pages as each person, collecting what should not be there."""

    def __init__(self, app, client):
        self.app, self.client, self.found, self.read = app, client, {}, 0

    def page(self, who: str, path: str, response=None) -> str:
        if response is None:
            response = self.client.get(path)
        assert response.status_code in (200, 422), (who, path, response.status_code)
        body = text(response)
        self.read += 1
        for hit in raw_codes(body):
            self.found.setdefault(hit, f"{who} {path}")
        return body

    def as_person(self, who: str, case_id: int, everything: bool = False) -> None:
        login(self.client, who)
        for path in (*(PAGES if everything else ("/inbox", "/inbox?view=group")), f"/cases/{case_id}"):
            self.page(who, path)
        with self.app.app_context():
            ids = [t.id for t in _tasks(case_id, "ready" if not everything else None)]
        for task_id in ids:
            self.page(who, f"/tasks/{task_id}")

    def refused_form(self, who: str, task_id: int, data: dict) -> str:
        """Submit a task's form wrong and read the errors."""
        login(self.client, who)
        post(self.client, f"/tasks/{task_id}/claim", {}, f"/tasks/{task_id}")
        response = post(self.client, f"/tasks/{task_id}", {"action": "complete", **data}, f"/tasks/{task_id}")
        return self.page(who, f"/tasks/{task_id} (refused)", response)


def _tasks(case_id: int, status: str | None):
    db = db_session()
    db.expire_all()
    return cases.case_tasks(db, case_id, status)


def _task(case_id: int, name: str):
    return next(t for t in _tasks(case_id, "ready") if t.name == name)


def _walk(app, client) -> Reader:
    reader = Reader(app, client)
    with time_machine.travel(at("2025-10-16T09:00"), tick=False) as clock:
        portal = dict(REGISTRATION, complainant_id_number="110101199001011234", org="county-a")
        for key in ("channel", "received_on", "work_order_no"):
            portal.pop(key)
        receipt = reader.page("public", "/portal/lawyer_complaint (receipt)", client.post(
            "/portal/lawyer_complaint", data={"csrf_token": csrf(client, "/portal/lawyer_complaint"), **portal}))
        assert "收件回执" in receipt and "不表示已经受理或立案" in receipt
        number = re.search(r'id="case-number">([^<]+)<', receipt).group(1)
        with app.app_context():
            case_id = db_session().scalar(select(Case.id).where(Case.business_number == number))
            registration = _task(case_id, "投诉登记")
        refused = reader.refused_form("xu", registration.id, {"facts": ""})
        assert "投诉事实和理由" in refused
        steps = [("投诉登记", "xu", {**REGISTRATION, "complainant_id_number": "110101199001011234"}),
                 ("初审", "chen", review("accept")),
                 ("受理审查决定", "zhou", {"decision": "accepted", "decision_reason": "属于受理范围"}),
                 ("告知投诉人", "chen", {"notice_method": "post", "notified_on": "2025-10-16"}),
                 ("被投诉人书面说明", "chen", EXPLANATION)]
        for name, who, data in steps:
            _step(app, reader, case_id, name, who, data)
        with app.app_context():
            investigation = _task(case_id, "调查核实")   # 转办 from chen to lin, through the pages
        refused = reader.refused_form("chen", investigation.id, {"next_step": "suspend"})
        assert "中止事由为必填项" in refused
        post(client, f"/tasks/{investigation.id}/transfer", {"to": "lin", "reason": "本人另有专项任务"},
             f"/tasks/{investigation.id}")
        assert "→ 林涛" in visible(reader.page("chen", f"/cases/{case_id}"))
        for name, who, data in (
                ("调查核实", "lin", {**FINDINGS, "next_step": "report"}),
                ("处理意见", "lin", {"outcome": "order_correct", "outcome_reason": "未按约出庭，违反执业规范",
                                  "legal_basis": "《律师执业管理办法》第五十条", "rectification_period": 1}),
                ("处理决定审批", "sun", {"approved": True, "approval_opinion": "同意"}),
                ("答复送达", "lin", {"service_method": "direct", "served_on": "2025-10-16", "service_proof": "刘某签收"})):
            _step(app, reader, case_id, name, who, data)
        _step(app, reader, case_id, "送达限期整改通知书", "lin", {     # issue 19: the month runs from service
            "rectification_service_method": "direct", "rectification_served_on": "2025-10-16",
            "rectification_service_proof": "王某某签收"})
        with app.app_context():
            assert [t.name for t in _tasks(case_id, "ready")] == []      # the correction period runs: nothing to do
        clock.move_to(at("2025-11-18T09:00"))                     # 11-16 is a Sunday: the month ends with 11-17
        with app.app_context():
            fire_due_timers(engine(), db_session())
        _step(app, reader, case_id, "整改跟踪", "lin", {"rectified": True, "followup_note": "已退还部分代理费"})
        _step(app, reader, case_id, "报送整改情况", "lin", {"rectification_reported_on": "2025-11-18",
                                                       "rectification_report_method": "document"})
        _step(app, reader, case_id, "归档", "lin", {"archive_no": "2025-TS-0101"})
        for who in PEOPLE:
            reader.as_person(who, case_id, everything=True)
        login(client, "xu")                              # a clerk reads processes by title, without versions
        assert "（v1）" not in visible(reader.page("xu", f"/cases/{case_id}"))
        assert "流程包版本" not in visible(reader.page("xu", "/"))
        reader.page("public", "/portal/status", client.post("/portal/status", data={
            "csrf_token": csrf(client, "/portal/status"), "number": number,
            "code": re.search(r'id="access-code">([^<]+)<', receipt).group(1)}))
    reader.case_id = case_id
    return reader


def _step(app, reader: Reader, case_id: int, name: str, who: str, data: dict) -> None:
    """Do one step as its person, then read every person's inbox, the case and its open tasks."""
    with app.app_context():
        do(engine(), db_session(), case_id, name, who, data)
    for person in PEOPLE:
        reader.as_person(person, case_id)


def test_no_page_of_a_whole_complaint_shows_a_raw_code_and_english_pages_read_in_english(app, client):
    assert raw_codes("<p>→ lin，L-0001 <b>suspension_ground</b>为必填项 (lawyer_complaint)</p>") == [
        ("field key", "suspension_ground"), ("process key", "lawyer_complaint"), ("registry code", "L-0001"),
        ("username", "lin")]
    reader = _walk(app, client)
    assert reader.read > 150
    assert reader.found == {}
    chrome = ("办理记录", "任务与期限", "无期限", "剩余", "（周", "流程包版本", "待签收", "我的待办",
              "办理人", "创建：", "已办结", "办理角色：")
    for who in ("lin", "sun"):
        login(client, who)
        client.get("/lang/en")
        with app.app_context():
            done = [t.id for t in _tasks(reader.case_id, "completed")][:4]
        for path in (*PAGES, f"/cases/{reader.case_id}", *(f"/tasks/{t}" for t in done)):
            shown = visible(text(client.get(path)))
            assert [word for word in chrome if word in shown] == [], (who, path)
    for path in ("/portal/", "/portal/lawyer_complaint", "/portal/status"):
        shown = visible(text(client.get(path)))
        assert [word for word in ("办理进度查询", "查询码", "请选择") if word in shown] == [], path
