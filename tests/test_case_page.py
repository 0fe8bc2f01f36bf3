"""The case page on the demo data: diagram, deadlines with their legal basis, timeline, related cases, takeover."""
from __future__ import annotations

import json
import re

from sqlalchemy import select

from engine.core.models import Case
from web.database import session as db_session

from .web_helpers import csrf, login


def complaints(app) -> list[int]:
    with app.app_context():
        return list(db_session().scalars(select(Case.id).where(Case.process_key == "lawyer_complaint").order_by(Case.id)))


def text(response) -> str:
    return response.get_data(as_text=True)


def test_case_page_shows_diagram_path_deadlines_and_timeline(app, client):
    case_id = complaints(app)[2]            # 西城: 投诉登记 and 初审 done, 受理审查决定 waiting
    login(client, "he")
    page = text(client.get(f"/cases/{case_id}"))
    done = json.loads(re.search(r'data-done="([^"]*)"', page).group(1).replace("&#34;", '"'))
    current = json.loads(re.search(r'data-current="([^"]*)"', page).group(1).replace("&#34;", '"'))
    assert "Task_register" in done and current == ["Task_decide"]
    assert "受理审查决定" in page and "个工作日" in page
    assert "须在审查期限内作出" in page                  # the rule behind the deadline, from the diagram
    timeline = page[page.index('id="timeline"'):]
    assert "创建案件" in timeline and "办理" in timeline and "投诉登记" in timeline
    diagram = client.get(f"/cases/{case_id}/diagram.bpmn")
    assert diagram.status_code == 200 and b'id="Task_decide"' in diagram.data
    login(client, "xu")
    assert client.get(f"/cases/{case_id}/diagram.bpmn").status_code == 404
    assert client.get(f"/cases/{case_id}").status_code == 404


def test_a_director_takes_over_a_case_from_its_page(app, client):
    case_id = complaints(app)[0]
    login(client, "chen")
    assert 'id="action-leader_takeover"' not in text(client.get(f"/cases/{case_id}"))
    refused = client.post(f"/cases/{case_id}/actions/leader_takeover",
                          data={"csrf_token": csrf(client, f"/cases/{case_id}")})
    assert refused.status_code == 302 and "不能对本案执行此操作" in text(client.get(f"/cases/{case_id}"))
    login(client, "sun")
    page = text(client.get(f"/cases/{case_id}"))
    assert 'id="action-leader_takeover"' in page and "领导接管" in page
    client.post(f"/cases/{case_id}/actions/leader_takeover",
                data={"csrf_token": csrf(client, f"/cases/{case_id}"), "note": "本人包案"})
    page = text(client.get(f"/cases/{case_id}"))
    assert "已办理：领导接管" in page
    timeline = page[page.index('id="timeline"'):]
    assert "收到消息" in timeline and "本人包案" in timeline           # the note said with it is kept
    assert re.search(r'data-field="lead_leader">孙伟', page)             # the lead leader by name
    assert 'id="action-leader_takeover"' not in page                     # not offered to the leader who leads it
    assert case_id in _led(client)


def _led(client) -> list[int]:
    section = text(client.get("/overview")).split('id="led"', 1)[1].split("</table>", 1)[0]
    return [int(n) for n in re.findall(r'href="/cases/(\d+)"', section)]


def test_related_cases_share_complainant_and_respondent(app, client):
    with app.app_context():
        db = db_session()
        rows = db.scalars(select(Case).where(Case.process_key == "lawyer_complaint").order_by(Case.id)).all()
        metas = [(c.id, c.org.code, c.meta.get("complainant_id"), c.meta.get("respondent_id")) for c in rows]
    login(client, "admin")
    for case_id, org, complainant, respondent in metas:
        related = text(client.get(f"/cases/{case_id}")).split('id="related"', 1)[1].split("</ul>", 1)[0]
        expected = {other for other, _, c, r in metas if other != case_id and (c, r) == (complainant, respondent)
                    and complainant is not None}
        assert {int(n) for n in re.findall(r'href="/cases/(\d+)"', related)} == expected


def test_case_search_filters_within_the_subtree(app, client):
    login(client, "admin")
    everything = text(client.get("/cases"))
    assert "东城区司法局" in everything and "西城县司法局" in everything
    only_b = text(client.get("/cases?org=county-b&process=lawyer_complaint"))
    rows = only_b.split('id="cases"', 1)[1]
    assert "西城县司法局" in rows and "东城区司法局" not in rows
    assert "没有符合条件的案件" in text(client.get("/cases?since=2030-01-01"))
    assert "东城区司法局" in text(client.get("/cases?since=2025-10-13&until=2025-10-13")).split('id="cases"', 1)[1]
    assert "没有符合条件的案件" in text(client.get("/cases?q=不存在的被投诉人"))
    by_respondent = text(client.get("/cases?q=L-0001")).split('id="cases"', 1)[1]
    assert "投诉第" in by_respondent and "样例审批" not in by_respondent
    login(client, "zhang")
    assert "西城县司法局" not in text(client.get("/cases?org=county-b")).split('id="cases"', 1)[1]


def test_case_fields_and_people_are_shown_by_their_labels_and_names(app, client):
    case_id = complaints(app)[0]
    with app.app_context():
        meta = db_session().get(Case, case_id).meta
    login(client, "chen")
    page = text(client.get(f"/cases/{case_id}"))
    fields = page.split('id="case-fields"', 1)[1].split("</dl>", 1)[0]
    shown = dict(re.findall(r'<dt>([^<]*)</dt><dd data-field="[^"]*">([^<]*)</dd>', fields))
    assert shown and not {"channel", "repeat_count", "complainant_id"} & set(shown)
    assert meta["channel"] not in shown.values() and shown["投诉来源"]          # a choice's label, not its code
    assert "此前同类投诉次数" in shown
    timeline = page[page.index('id="timeline"'):]
    assert "<td>许静" in timeline and "<td>xu</td>" not in timeline              # display names, not usernames


def test_a_case_page_reads_the_people_it_shows_in_one_query_each(app, client):
    """Its tasks' holders, the names its timeline shows and the colleagues it may copy to are a query each, the
    signed-in user's roles come with the user (not a user query and a role query per person: 33 statements for
    this page before, issue 23)."""
    from sqlalchemy import event

    case_id = complaints(app)[0]
    login(client, "chen")
    client.get(f"/cases/{case_id}")              # forms and diagrams read once per version: not counted
    seen: list[str] = []
    listener = lambda *args: seen.append(" ".join(args[2].split()))  # noqa: E731 - the statement
    sql_engine = app.extensions["lawflow.sql"]
    event.listen(sql_engine, "before_cursor_execute", listener)
    try:
        page = client.get(f"/cases/{case_id}")
    finally:
        event.remove(sql_engine, "before_cursor_execute", listener)
    timeline = text(page)[text(page).index('id="timeline"'):]
    assert page.status_code == 200 and "<td>许静" in timeline
    people = [s for s in seen if "FROM user_account" in s or "FROM user_role" in s]
    assert len(people) == 4 and not [s for s in seen if s.startswith("SELECT user_role")]
    assert len(seen) <= 22


def test_the_holders_of_every_task_read_at_once_are_its_assignee_or_its_candidates(app):
    from engine.core import people
    from engine.core.models import HumanTask, User

    with app.app_context():
        db = db_session()
        tasks = list(db.scalars(select(HumanTask).order_by(HumanTask.id)))
        held = people.holders(db, tasks)
        assert set(held) == {t.id for t in tasks} and any(held.values())
        for task in tasks:
            expected = [db.get(User, task.assignee_id)] if task.assignee_id is not None else people.candidates(db, task)
            assert held[task.id] == expected, task.name
