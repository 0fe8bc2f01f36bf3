"""The try-run page of a draft (web/policy_trial.py), through the test client: start, fill a form (refused data
shown on its field), move to the next timer, save a scenario and run it again; nothing is kept."""
from __future__ import annotations

import json
import re

from sqlalchemy import func, select

from engine.core import Base
from web.database import session as db_session

from .web_helpers import csrf, login


def _counts(app) -> dict:
    with app.app_context():
        db = db_session()
        return {t.name: db.execute(select(func.count()).select_from(t)).scalar_one() for t in Base.metadata.sorted_tables
                if t.name not in ("bundle_draft", "draft_file", "sign_in_session", "rate_limit_counter")}


def _draft(client) -> str:
    response = client.post("/policy/drafts", data={"csrf_token": csrf(client, "/policy/"), "name": "试运行"})
    return response.headers["Location"]


def _state(html: str) -> dict:
    """The hidden fields the page carries from one run to the next."""
    form = html[html.index('id="trial-task-form"') if 'id="trial-task-form"' in html else html.index('id="trial-save"'):]
    form = form[:form.index("</form>")]
    return {name: value.replace("&#34;", '"').replace("&quot;", '"').replace("&amp;", "&")
            for name, value in re.findall(r'<input type="hidden" name="(t_\w+|csrf_token)" value="([^"]*)"', form)}


def test_a_test_case_runs_step_by_step_on_the_draft_and_nothing_is_kept(app, client):
    login(client, "admin")
    draft_url = _draft(client)
    before = _counts(app)
    page = client.get(f"{draft_url}/trial").get_data(as_text=True)
    assert 'id="trial-start"' in page
    token = csrf(client, f"{draft_url}/trial")
    page = client.post(f"{draft_url}/trial", data={"csrf_token": token, "t_action": "start", "t_process": "sample_review",
                                                   "t_org": "county-a", "t_start": "2027-03-01"}).get_data(as_text=True)
    assert "2027-03-08" in page and "填写申请" in page          # its deadline: 5 working days
    assert "经办人填写申请事项和理由" in page                    # its legal basis
    state = _state(page)
    refused = client.post(f"{draft_url}/trial", data={**state, "title": "x"})
    assert refused.status_code == 422
    assert 'data-field="reason"' in refused.get_data(as_text=True) and "field-error" in refused.get_data(as_text=True)
    done = client.post(f"{draft_url}/trial", data={**state, "title": "办公设备采购", "reason": "旧设备已无法使用"})
    html = done.get_data(as_text=True)
    assert done.status_code == 200, re.findall(r"flash [a-z]+\" role=\"status\">([^<]*)", html)
    assert 'id="trial-route"' in html and "审核" in html
    steps = json.loads(_state(html)["t_steps"])
    assert steps[0]["task"] == "Task_fill" and steps[0]["values"]["title"] == "办公设备采购"
    saved = client.post(f"{draft_url}/trial", data={**_state(html), "t_action": "save", "t_name": "直接提交"})
    assert "forms/sample_review/scenarios/直接提交.json" in saved.get_data(as_text=True)
    again = client.post(f"{draft_url}/trial", data={"csrf_token": token, "t_action": "scenario",
                                                    "t_scenario": "forms/sample_review/scenarios/直接提交.json"})
    assert 'id="trial-no-changes"' in again.get_data(as_text=True)
    advanced = client.post(f"{draft_url}/trial", data={**state, "t_action": "advance"}).get_data(as_text=True)
    assert "临期提醒" in advanced and re.search(r'id="trial-clock">2027-03-05 00:00', advanced)
    checked = client.post(f"{draft_url}/trial", data={"csrf_token": token, "t_action": "all"}).get_data(as_text=True)
    assert 'class="same"' in checked and 'class="changed"' not in checked
    table = "forms/sample/limits.json"                 # the limit of 填写申请: 5 → 7 working days, one cell
    content = client.get(f"{draft_url}/raw/{table}").get_data()
    saved = client.put(f"{draft_url}/files/{table}", headers={"X-CSRF-Token": token},
                       data=content.replace(b'"value": 5, "unit": "working_days"', b'"value": 7, "unit": "working_days"'))
    assert saved.status_code == 200, saved.get_data(as_text=True)[:300]
    checked = client.post(f"{draft_url}/trial", data={"csrf_token": token, "t_action": "all"}).get_data(as_text=True)
    row = checked[checked.index('class="changed"'):]
    assert "填写申请：2027-03-08 → 2027-03-10" in row[:row.index("</tr>")]
    assert _counts(app) == before


def test_the_try_run_page_reads_in_english(app, client):
    login(client, "admin")
    draft_url = _draft(client)
    client.get("/lang/en")
    page = client.post(f"{draft_url}/trial", data={"csrf_token": csrf(client, f"{draft_url}/trial"), "t_action": "start",
                                                   "t_process": "sample_review", "t_org": "county-a",
                                                   "t_start": "2027-03-01"}).get_data(as_text=True)
    assert "Try-run" in page and "Advance the clock to the next timer" in page and "Legal basis" in page
    assert "试运行时钟" not in page and "将生成的文书" not in page
    assert "Messages the case waits for" in page and "Send the message to the case" in page


def _message_state(html: str) -> dict:
    form = html[html.index('id="trial-message"'):]
    form = form[:form.index("</form>")]
    return {name: value.replace("&#34;", '"').replace("&quot;", '"').replace("&amp;", "&")
            for name, value in re.findall(r'<input type="hidden" name="(t_\w+|csrf_token)" value="([^"]*)"', form)}


def test_the_try_run_sends_the_case_a_waiting_message_and_saves_it(app, client):
    login(client, "admin")
    draft_url = _draft(client)
    before = _counts(app)
    token = csrf(client, f"{draft_url}/trial")
    page = client.post(f"{draft_url}/trial", data={"csrf_token": token, "t_action": "start", "t_process": "sample_review",
                                                   "t_org": "county-a", "t_start": "2027-03-01"}).get_data(as_text=True)
    assert '<option value="withdraw">撤回申请（withdraw）</option>' in page      # the message the case waits for
    state = _message_state(page)
    unknown = client.post(f"{draft_url}/trial", data={**state, "t_message": "cancel"})
    text = unknown.get_data(as_text=True)
    assert unknown.status_code == 422 and "steps[1].message：第 1 步：草稿中没有流程等待消息「cancel」" in text
    sent = client.post(f"{draft_url}/trial", data={**state, "t_message": "withdraw", "t_note": "申请人不再需要"})
    html = sent.get_data(as_text=True)
    assert sent.status_code == 200
    assert 'id="trial-sent"' in html and "<strong>撤回申请</strong>" in html and "申请人不再需要" in html
    assert "案件当前不等待任何消息。" in html and 'id="trial-message"' not in html
    steps = json.loads(_state(html)["t_steps"])
    assert steps == [{"message": "withdraw", "payload": {"note": "申请人不再需要"}}]
    saved = client.post(f"{draft_url}/trial", data={**_state(html), "t_action": "save", "t_name": "撤回"})
    assert "forms/sample_review/scenarios/撤回.json" in saved.get_data(as_text=True)
    again = client.post(f"{draft_url}/trial", data={"csrf_token": token, "t_action": "scenario",
                                                    "t_scenario": "forms/sample_review/scenarios/撤回.json"})
    assert 'id="trial-no-changes"' in again.get_data(as_text=True) and 'id="trial-sent"' in again.get_data(as_text=True)
    assert _counts(app) == before


def test_the_try_run_api_runs_a_message_step_and_names_an_unknown_one(app, client):
    from .web_helpers import token_for

    policy = token_for(app, "admin")
    draft = client.post("/api/v1/drafts", json={"name": "撤回"}, headers=policy).get_json()
    before = _counts(app)
    scenario = {"process": "sample_review", "org": "county-a", "start": "2027-03-01",
                "steps": [{"message": "withdraw", "payload": {"note": "申请人不再需要"}}]}
    ran = client.post(f"/api/v1/drafts/{draft['id']}/trial", json={"scenario": scenario}, headers=policy)
    assert ran.status_code == 200 and ran.get_json()["failed_step"] is None
    assert ran.get_json()["status"] == "completed"
    unknown = {**scenario, "steps": [{"message": "cancel"}]}
    bad = client.post(f"/api/v1/drafts/{draft['id']}/trial", json={"scenario": unknown}, headers=policy)
    assert bad.status_code == 422
    assert "steps[1].message" in bad.get_data(as_text=True)
    assert _counts(app) == before
