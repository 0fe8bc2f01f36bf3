"""The pages of work that stays with its handler, on both databases: 我的待办 shows my tasks and below them the ones I
may claim, each with its claim button (the other views as they were); a member of staff who starts a case from the
start page lands on its first task, already his; the case history names the automatic assignment."""
from __future__ import annotations

import re

from sqlalchemy import select

from engine.core.models import HumanTask, User
from web.database import session as db_session

from .test_work_pages import post, text
from .web_helpers import login


def claimable_part(html: str) -> str:
    """The 待签收 part of 我的待办 (what follows its heading)."""
    return html[html.index('id="claimable-heading"'):]


def test_my_inbox_shows_what_i_may_claim_below_my_own_tasks(app, client):
    login(client, "chen")
    page = client.get("/inbox").get_data(as_text=True)
    mine, claimable = page[:page.index('id="claimable-heading"')], claimable_part(page)
    assert "初审" not in mine and "没有任务" in mine        # nothing of his own: what waits is in sight all the same
    [(task_id,)] = re.findall(r'href="/tasks/(\d+)">初审</a>', claimable)
    assert f'action="/tasks/{task_id}/claim"' in claimable and ">签收</button>" in claimable
    assert 'id="claimable"' not in client.get("/inbox?view=group").get_data(as_text=True)
    post(client, f"/tasks/{task_id}/claim", {"next": f"/tasks/{task_id}"})
    page = client.get("/inbox").get_data(as_text=True)
    assert f'href="/tasks/{task_id}">初审</a>' not in claimable_part(page)
    assert f'href="/tasks/{task_id}">初审</a>' in page[:page.index('id="claimable-heading"')]
    assert "没有待签收的任务" in text(client.get("/inbox?process=sample_review"))
    client.get("/lang/en")
    assert "Nothing waiting to be claimed" in text(client.get("/inbox?process=sample_review"))


def test_starting_a_case_from_its_page_gives_the_starter_its_first_task(app, client):
    login(client, "xu")
    answer = post(client, "/start/lawyer_complaint", {"org": "county-a"}, "/start/lawyer_complaint")
    task_id = int(re.fullmatch(r"/tasks/(\d+)", answer.headers["Location"]).group(1))
    with app.app_context():
        db = db_session()
        task = db.get(HumanTask, task_id)
        assert task.name == "投诉登记" and task.assignee_id == db.scalar(select(User.id).where(User.username == "xu"))
        case_id = task.case_id
    assert "投诉登记" in text(client.get("/inbox"))
    history = text(client.get(f"/cases/{case_id}"))
    assert re.search(r"<td>系统</td><td>自动分派</td>\s*<td>投诉登记 → 许静（东城接待登记）", history)
