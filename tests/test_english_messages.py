"""Engine messages the web shows read in the reader's language: a notice the engine stored, a holiday-schedule
error, a portal refusal and the key of a whole-form error; text stored before messages were codes shows as it is."""
from __future__ import annotations

from datetime import date

import pytest
from flask import session as browser_session
from sqlalchemy import select

from engine.core import DataValidationError
from engine.core.models import BundleFile, Case, User
from engine.core.case_records import Notification
from engine.time.calendar_store import store_year
from web.database import session as db_session
from web.engine_text import engine_text, field_name
from web.workflow import engine

from .helpers import zh
from .test_hostile_files import APPLY_FORM, apply_form_with
from .test_work_pages import post, ready_task, text
from .web_helpers import csrf, field_errors, login


def test_a_notice_the_engine_stored_reads_in_each_readers_language(app, client):
    task_id, _ = ready_task(app, "sample_review", "county-a")
    login(client, "zhang")
    post(client, f"/tasks/{task_id}/transfer", {"to": "li", "reason": "本人出差"}, f"/tasks/{task_id}")
    with app.app_context():          # a notice stored before notices were messages: plain Chinese text
        db = db_session()
        li = db.scalar(select(User).where(User.username == "li"))
        db.add(Notification(user_id=li.id, kind="notice", title="旧通知：请阅", body="旧的正文",
                            created_at=engine().now()))
        db.commit()
    login(client, "li")
    client.get("/lang/en")
    page = text(client.get("/notifications"))
    assert "Transferred: 填写申请" in page and "transferred the task to you. 本人出差" in page
    assert "转办：" not in page and "将任务转办给您" not in page
    assert "旧通知：请阅" in page and "旧的正文" in page
    client.get("/lang/zh")
    page = text(client.get("/notifications"))
    assert "转办：填写申请" in page and "将任务转办给您。本人出差" in page and "旧通知：请阅" in page


def test_a_holiday_schedule_error_reads_in_english_in_the_english_interface(app):
    with app.app_context():
        with pytest.raises(DataValidationError) as refused:
            store_year(engine(), db_session(), 2026, [date(2027, 1, 1)], [date(2026, 3, 2)], actor="admin")
    errors = refused.value.errors
    assert [(e.field, zh(e)) for e in errors] == [("holidays", "2027-01-01 不在 2026 年"),
                                                   ("workdays", "2026-03-02 是工作日（周一至周五），无需列为调休")]
    with app.test_request_context():
        browser_session["lang"] = "en"
        assert engine_text(refused.value) == "The calendar data is wrong"
        assert [engine_text(e) for e in errors] == [
            "2027-01-01 is not in 2026",
            "2026-03-02 is a working day (Monday to Friday) and need not be listed as a make-up day"]


def test_a_portal_refusal_reads_in_english_in_the_english_interface(client):
    client.get("/lang/en?next=/portal/")
    wrong = client.post("/portal/status", data={"csrf_token": csrf(client, "/portal/status"), "number": "nope",
                                                "code": "AAAAAAAA"})
    assert wrong.status_code == 404
    assert "The case number or the access code is wrong" in text(wrong) and "查询码不正确" not in text(wrong)
    refused = client.post("/portal/lawyer_complaint", data={"csrf_token": csrf(client, "/portal/lawyer_complaint"),
                                                            "org": ""})
    assert refused.status_code == 422 and field_errors(text(refused))["org"] == "Choose the receiving authority"


def test_a_whole_form_error_is_keyed_by_no_field_and_named_in_the_readers_language(app):
    with app.test_request_context():
        assert field_name("") == "(表单)" and field_name("parties.0.name") == "parties.0.name"
    with app.test_request_context():
        browser_session["lang"] = "en"
        assert field_name("") == "(the form)"


def test_the_task_page_shows_an_error_of_the_whole_form_above_its_fields(app, client):
    task_id, case_id = ready_task(app, "sample_review", "county-a")
    with app.app_context():           # a form stored before references were checked: it cannot be checked now
        db = db_session()
        bundle_id = db.get(Case, case_id).definition.bundle_id
        stored = db.scalar(select(BundleFile).where(BundleFile.bundle_id == bundle_id, BundleFile.path == APPLY_FORM))
        stored.content = apply_form_with(title={"$ref": "https://example.invalid/title.json"})
        db.commit()
    login(client, "zhang")
    post(client, f"/tasks/{task_id}/claim", {})
    refused = post(client, f"/tasks/{task_id}", {"action": "complete", "title": "购置打印机", "reason": "旧打印机已损坏"},
                   f"/tasks/{task_id}")
    assert refused.status_code == 422
    shown = text(refused).split('id="form-error">', 1)[1].split("<", 1)[0]
    assert "表单以外" in shown
