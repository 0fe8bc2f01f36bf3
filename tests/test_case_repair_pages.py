"""The 案件修复 pages (issue 21): a policy officer previews and confirms a move and a field correction of a visible
case; nothing changes before the confirmation or when it is refused; other staff may not repair."""
from __future__ import annotations

from datetime import datetime

import time_machine
from sqlalchemy import func, select

from engine.core.models import AuditEvent, Case, HumanTask
from engine.runtime import cases
from engine.time.workdays import CHINA_TZ
from web.database import session as db_session
from web.workflow import engine

from .web_helpers import csrf, login

NOW = datetime(2025, 10, 15, 10, 0, tzinfo=CHINA_TZ)


def sample_case(app) -> int:
    """A sample case of 东城 waiting at 填写申请."""
    with app.app_context(), time_machine.travel(datetime(2025, 10, 14, 9, 0, tzinfo=CHINA_TZ), tick=False):
        return cases.start_case(engine(), db_session(), "sample_review", {}, org_code="county-a", actor="zhang").id


def state(app, case_id):
    with app.app_context():
        db = db_session()
        case = db.get(Case, case_id)
        return (case.version, [t for t in db.scalars(select(HumanTask.name).where(
            HumanTask.case_id == case_id, HumanTask.status == "ready"))],
            db.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.case_id == case_id)))


def post(client, path, data, page):
    return client.post(path, data={"csrf_token": csrf(client, page), **data})


def test_a_move_is_previewed_then_confirmed(app, client):
    case_id = sample_case(app)
    login(client, "admin")
    page = f"/cases/{case_id}/repair"
    with time_machine.travel(NOW, tick=False):
        assert "案件修复" in client.get(f"/cases/{case_id}").get_data(as_text=True)
        before = state(app, case_id)
        shown = post(client, f"{page}/move", {"element": "Task_review", "reason": "申请材料已当面补齐"}, page)
        text = shown.get_data(as_text=True)
        assert shown.status_code == 200 and 'id="move-cancelled"' in text and "确认移动" in text
        assert "审核" in text.split('id="move-created"')[1].split("</table>")[0]
        assert "填写申请" in text.split('id="move-cancelled"')[1].split("</table>")[0]
        assert state(app, case_id) == before                     # a preview changes nothing
        done = post(client, f"{page}/move", {"element": "Task_review", "reason": "申请材料已当面补齐",
                                             "confirm": "1"}, page)
        history = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/cases/{case_id}")
    version, ready, audits = state(app, case_id)
    assert ready == ["审核"] and version > before[0] and audits > before[2]
    assert "申请材料已当面补齐" in history


def test_a_refused_move_and_a_bad_correction_say_why_and_change_nothing(app, client):
    case_id = sample_case(app)
    login(client, "admin")
    page = f"/cases/{case_id}/repair"
    before = state(app, case_id)
    with time_machine.travel(NOW, tick=False):
        refused = post(client, f"{page}/move", {"element": "Gateway_decision", "reason": "测试", "confirm": "1"}, page)
        assert refused.status_code in (409, 422) and "只能选择流程顶层的活动或中间事件" in refused.get_data(as_text=True)
        no_reason = post(client, f"{page}/move", {"element": "Task_review", "reason": "", "confirm": "1"}, page)
        assert no_reason.status_code == 422 and "请填写修复理由" in no_reason.get_data(as_text=True)
    assert state(app, case_id) == before


def test_only_policy_staff_repair_and_only_cases_they_may_see(app, client):
    case_id = sample_case(app)
    login(client, "zhang")                         # the case's own handler: not policy staff
    assert client.get(f"/cases/{case_id}/repair").status_code == 403
    assert "案件修复" not in client.get(f"/cases/{case_id}").get_data(as_text=True)
    login(client, "he")                            # 西城: may not see a case of 东城
    assert client.get(f"/cases/{case_id}/repair").status_code == 404
