"""The staff pages for daily work on the demo data: inbox, task forms, operations, notifications, overview."""
from __future__ import annotations

import re

from sqlalchemy import select

from engine.core.models import Case, HumanTask
from web.database import session as db_session

from .web_helpers import csrf, field_errors, login


def ready_task(app, process: str, org: str, name: str | None = None) -> tuple[int, int]:
    with app.app_context():
        db = db_session()
        query = (select(HumanTask.id, Case.id).join(Case, HumanTask.case_id == Case.id)
                 .where(Case.process_key == process, HumanTask.status == "ready")
                 .where(Case.org.has(code=org)).order_by(HumanTask.id))
        if name:
            query = query.where(HumanTask.name == name)
        return db.execute(query).first()


def text(response) -> str:
    return response.get_data(as_text=True)


def post(client, path, data, page="/inbox"):
    return client.post(path, data={"csrf_token": csrf(client, page), **data})


def test_inbox_views_with_counts_and_filters(app, client):
    login(client, "zhang")
    page = text(client.get("/inbox?view=group"))
    assert "填写申请" in page and "签收" in page and "待签收" in page
    assert re.search(r'id="tab-group">待签收<span class="count">1</span>', page)
    assert "填写申请" not in text(client.get("/inbox?view=group&process=lawyer_complaint"))
    assert "没有任务" in text(client.get("/inbox?view=mine"))
    assert client.get("/inbox?view=everything").status_code == 404
    login(client, "xu")
    intake = text(client.get("/inbox?view=group&process=lawyer_complaint"))
    assert "初审" not in intake         # xu registers; the review belongs to the caseworkers
    login(client, "chen")
    assert "初审" in text(client.get("/inbox?view=group&process=lawyer_complaint"))


def test_task_form_renders_the_schema_and_shows_field_errors_in_chinese(app, client):
    task_id, case_id = ready_task(app, "lawyer_complaint", "county-a", "初审")
    login(client, "chen")
    page = text(client.get(f"/tasks/{task_id}"))
    assert 'name="in_scope" value="true"' in page and 'name="review_conclusion"' in page
    assert 'id="legal-basis"' in page and "个工作日" in page
    response = post(client, f"/tasks/{task_id}", {"action": "complete", "in_scope": "true"}, f"/tasks/{task_id}")
    assert response.status_code == 422
    page = text(response)
    errors = field_errors(page)
    assert "必填项" in errors["review_conclusion"] and "in_scope" not in errors
    assert 'value="true" checked' in page          # what was entered stays entered
    with app.app_context():
        assert db_session().get(HumanTask, task_id).status == "ready"


def test_claim_draft_and_complete_through_the_pages(app, client):
    task_id, case_id = ready_task(app, "sample_review", "county-a")
    login(client, "zhang")
    response = post(client, f"/tasks/{task_id}/claim", {})
    assert response.status_code == 302
    assert "已签收" in text(client.get(f"/tasks/{task_id}"))
    post(client, f"/tasks/{task_id}", {"action": "draft", "title": "打印机"}, f"/tasks/{task_id}")
    assert 'value="打印机"' in text(client.get(f"/tasks/{task_id}"))
    done = post(client, f"/tasks/{task_id}", {"action": "complete", "title": "购置打印机", "reason": "旧打印机已损坏"},
                f"/tasks/{task_id}")
    assert done.status_code == 302 and done.headers["Location"].endswith("/inbox")
    assert "已办理「填写申请」" in text(client.get("/inbox"))
    assert "填写申请" in text(client.get("/inbox?view=done"))
    finished = text(client.get(f"/tasks/{task_id}"))
    assert "已办理" in finished and "购置打印机" in finished and 'id="complete"' not in finished


def test_transfer_delegate_urge_copy_and_notifications(app, client):
    task_id, case_id = ready_task(app, "sample_review", "county-a")
    login(client, "zhang")
    refused = post(client, f"/tasks/{task_id}/transfer", {"to": "li", "reason": ""})
    assert refused.status_code == 302 and "请填写转办理由" in text(client.get(f"/tasks/{task_id}"))
    post(client, f"/tasks/{task_id}/delegate", {"to": "li", "note": "请核实"})
    post(client, f"/cases/{case_id}/copy", {"to": "li", "note": "请知悉"})
    delegated = text(client.get("/inbox?view=delegated"))                 # while li has it, it stays in sight
    assert f'href="/tasks/{task_id}"' in delegated and re.search(r'id="tab-delegated">我委派的<span class="count">1<', delegated)
    login(client, "li")
    page = text(client.get("/notifications"))
    assert "委派：填写申请" in page and "抄送" in page
    assert re.search(r'id="unread-count">2<', page)
    opened = client.get(re.search(r'href="(/notifications/\d+/open)">委派：填写申请', page).group(1))
    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"/tasks/{task_id}")
    assert re.search(r'id="unread-count">1<', text(client.get("/notifications")))     # following it read it
    assert "委派给您" in text(client.get(f"/tasks/{task_id}"))
    post(client, f"/tasks/{task_id}/resolve", {"note": "已核实"})
    post(client, "/notifications/read", {}, "/notifications")
    assert "没有未读通知" in text(client.get("/notifications"))
    assert "请知悉" in text(client.get("/inbox?view=copies"))
    post(client, f"/tasks/{task_id}/urge", {"note": "尽快"})
    login(client, "zhang")
    page = text(client.get("/notifications"))
    assert "催办：填写申请" in page
    other = re.search(r'href="(/notifications/\d+/open)"', page).group(1)
    login(client, "li")
    assert client.get(other).status_code == 404                                     # someone else's
    login(client, "zhang")
    assert "已催办 1 次" in text(client.get(f"/tasks/{task_id}"))


def test_another_countys_task_is_404_on_every_page(app, client):
    task_id, case_id = ready_task(app, "sample_review", "county-b")
    login(client, "zhang")
    assert client.get(f"/tasks/{task_id}").status_code == 404
    for operation in ("claim", "release", "transfer", "delegate", "resolve", "urge"):
        assert post(client, f"/tasks/{task_id}/{operation}", {"to": "li", "reason": "x"}).status_code == 404
    assert post(client, f"/tasks/{task_id}", {"action": "complete"}).status_code == 404
    assert post(client, f"/cases/{case_id}/comment", {"text": "x"}).status_code == 404
    assert post(client, f"/cases/{case_id}/copy", {"to": "li"}).status_code == 404
    assert client.get(f"/cases/{case_id}/attachments/1").status_code == 404
    assert client.get(f"/cases/{case_id}").status_code == 404
    assert client.get(f"/cases/{case_id}/diagram.bpmn").status_code == 404
    assert client.get(f"/cases/{case_id}/documents/1").status_code == 404
    assert post(client, f"/cases/{case_id}/actions/withdraw", {}).status_code == 404


def test_overview_counts_per_organisation_and_lists_led_cases(app, client):
    login(client, "admin")
    page = text(client.get("/overview"))
    rows = dict(re.findall(r"<tr><td>([^<]+)</td><td>(\d+)</td>", page))
    assert rows["东城区司法局"] == "4" and rows["西城县司法局"] == "2" and rows["南湖区司法局"] == "0"
    login(client, "zhang")
    page = text(client.get("/overview"))
    assert "东城区司法局" in page and "西城县司法局" not in page


def test_files_uploaded_with_a_form_are_kept_when_it_is_refused_and_downloadable_after(app, client):
    import io

    with app.app_context():
        from engine.runtime import cases
        from web.workflow import engine

        db = db_session()
        case = cases.start_case(engine(), db, "lawyer_complaint", {}, org_code="county-a", actor="xu")
        task_id = cases.case_tasks(db, case.id, "ready")[0].id
    login(client, "xu")
    token = csrf(client, f"/tasks/{task_id}")
    refused = client.post(f"/tasks/{task_id}", content_type="multipart/form-data", data={
        "csrf_token": token, "action": "complete", "channel": "letter",
        "evidence_files": (io.BytesIO(b"%PDF-1.4 receipt"), "收据.pdf")})
    assert refused.status_code == 422
    page = text(refused)
    kept = re.search(r'name="evidence_files.keep" value="(\d+)" checked> 收据.pdf', page)
    assert kept, page
    bad = client.post(f"/tasks/{task_id}", content_type="multipart/form-data", data={
        "csrf_token": token, "action": "complete", "evidence_files": (io.BytesIO(b"MZ"), "tool.exe")})
    assert bad.status_code == 422 and "不支持 .exe 文件" in text(bad)
    data = {"csrf_token": token, "action": "complete", "channel": "letter", "received_on": "2025-10-13",
            "complainant_name": "刘某", "complainant_phone": "13800000001", "respondent_id": "L-0001",
            "facts": "律师收费后未提供任何法律服务。", "requests": "退还费用", "evidence_files.keep": kept.group(1)}
    done = client.post(f"/tasks/{task_id}", data=data)
    assert done.status_code == 302
    finished = text(client.get(f"/tasks/{task_id}"))
    assert "收据.pdf" in finished
    download = client.get(f"/cases/{case.id}/attachments/{kept.group(1)}")
    assert download.status_code == 200 and download.data == b"%PDF-1.4 receipt"
    login(client, "wang")
    assert client.get(f"/cases/{case.id}/attachments/{kept.group(1)}").status_code == 404


def test_english_is_a_second_interface_language(app, client):
    task_id, case_id = ready_task(app, "sample_review", "county-a")
    login(client, "zhang")
    assert "我的待办" in text(client.get("/inbox"))
    switched = client.get("/lang/en?next=/inbox")
    assert switched.status_code == 302 and switched.headers["Location"].endswith("/inbox")
    page = text(client.get("/inbox"))
    assert 'lang="en"' in page and "My tasks" in page and "To claim" in page and "Sign out" in page
    assert "我的待办" not in page
    group = text(client.get("/inbox?view=group"))
    assert "working days left" in group and "剩余" not in group
    task = text(client.get(f"/tasks/{task_id}"))
    assert "This task is for" in task or "Held by" in task
    assert "Case started" in text(client.get(f"/cases/{case_id}"))
    client.get("/lang/zh")
    assert "我的待办" in text(client.get("/inbox"))
    assert client.get("/lang/fr").status_code == 302 and "我的待办" in text(client.get("/inbox"))


def test_inbox_filters_by_date_and_keyword(app, client):
    login(client, "chen")
    assert "初审" in text(client.get("/inbox?view=group&since=2025-10-13&until=2025-10-13"))
    assert "没有任务" in text(client.get("/inbox?view=group&since=2025-10-14"))
    assert "没有任务" in text(client.get("/inbox?view=group&q=无此案号"))
    assert "初审" in text(client.get("/inbox?view=group&q=L-000"))


def test_a_task_is_handed_only_to_staff_of_the_organisation_handling_it(app, client):
    task_id, _ = ready_task(app, "sample_review", "county-a")
    login(client, "zhang")
    page = text(client.get(f"/tasks/{task_id}"))
    choices = page.split('id="transfer-to"', 1)[1].split("</select>", 1)[0]
    assert "李华" in choices and "系统管理员" not in choices and "市局" not in choices and "张明" not in choices
    post(client, f"/tasks/{task_id}/transfer", {"to": "qian", "reason": "请市局办理"}, f"/tasks/{task_id}")
    assert "不是东城区司法局的工作人员" in text(client.get(f"/tasks/{task_id}"))
    assert 'id="urge-note"' in page                                   # unclaimed: others may be urged
    post(client, f"/tasks/{task_id}/claim", {}, f"/tasks/{task_id}")
    assert 'id="urge-note"' not in text(client.get(f"/tasks/{task_id}"))  # nobody to urge but myself


def test_an_engine_refusal_reads_in_the_interface_language(app, client):
    task_id, _ = ready_task(app, "sample_review", "county-a")
    login(client, "zhang")
    client.get("/lang/en")
    post(client, f"/tasks/{task_id}/transfer", {"to": "qian", "reason": "please"}, f"/tasks/{task_id}")
    page = text(client.get(f"/tasks/{task_id}"))
    assert "User qian does not exist or is not staff of 东城区司法局" in page and "的工作人员" not in page
    client.get("/lang/zh")
    post(client, f"/tasks/{task_id}/transfer", {"to": "qian", "reason": "请市局办理"}, f"/tasks/{task_id}")
    assert "用户 qian 不存在或不是东城区司法局的工作人员" in text(client.get(f"/tasks/{task_id}"))


def test_every_interface_text_has_an_english_translation():
    """Each literal given to _() or _l() in the templates and the web code, and each label shown through them."""
    from pathlib import Path

    from babel.messages.pofile import read_po

    from web.pages import ACTION_LABELS, STATUS_LABELS

    web = Path(__file__).resolve().parent.parent / "web"
    with (web / "translations/en/LC_MESSAGES/messages.po").open("rb") as po:
        translated = {m.id for m in read_po(po) if m.id and m.string}
    wanted = set(ACTION_LABELS.values()) | set(STATUS_LABELS.values())
    for path in [*web.rglob("*.html"), *web.rglob("*.py")]:
        wanted |= {m.group(2) for m in re.finditer(r"\b_l?\(\s*(['\"])(.+?)\1", path.read_text(encoding="utf-8"))}
    assert sorted(wanted - translated) == []
