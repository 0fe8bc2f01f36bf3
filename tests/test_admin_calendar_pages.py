"""系统管理 · 工作日历 on the pages (issue 22): the administrator reads a year, previews the deadlines a schedule
moves (his subtree only), and saves only what he previewed, audited; a mistake in the lists is refused with its
list and entry named and nothing saved; only administrators reach the page; English is complete. Both databases."""
from __future__ import annotations

import re

import time_machine
from sqlalchemy import func, select

from engine.core import AuditEvent, people
from engine.core.models import CalendarYear
from web.auth import hash_password
from web.database import session as db_session

from .calendar_setup import HOLIDAYS, OFFICIAL_DAY, PROVISIONAL_DAY, WORKDAYS, at, deadline_cases, due_days
from .web_helpers import csrf, field_errors, login

PAGE = "/admin/calendar"
NOW = "2026-12-30T10:00"


def post(client, path, data):
    return client.post(path, data={"csrf_token": csrf(client, PAGE), **data})


def moves(html: str) -> list[tuple[str, str, str]]:
    """The preview's rows: case id, current deadline day, new deadline day."""
    return re.findall(r'<tr data-case="(\d+)">.*?class="before" data-deadline="([\d-]+)".*?class="after" '
                      r'data-deadline="([\d-]+)"', html, re.S)


def saved(app) -> tuple[int, int]:
    """Years entered, and calendar audit events."""
    with app.app_context():
        db = db_session()
        return (db.scalar(select(func.count()).select_from(CalendarYear)),
                db.scalar(select(func.count()).where(AuditEvent.action == "admin.calendar_entered")))


def test_the_administrator_previews_a_year_and_saves_it_and_the_deadlines_move_as_previewed(app, client):
    mine, theirs = deadline_cases(app)
    with time_machine.travel(at(NOW), tick=False):
        login(client, "admin")       # signed in on the day: a session of the demo's 2025 would have lapsed
        page = client.get(PAGE).get_data(as_text=True)
        assert 'name="year" value="2027"' in page          # the first year pending deadlines need
        assert "2027 年的官方节假日安排尚未录入" in page and 'id="missing-years"' in page
        assert 'data-day="2027-01-01"' in page and 'class="day holiday" data-day="2027-01-01"' in page

        form = {"year": "2027", "holidays": HOLIDAYS, "workdays": WORKDAYS, "note": "国办发明电"}
        shown = post(client, f"{PAGE}/preview", form)
        assert shown.status_code == 200
        html = shown.get_data(as_text=True)
        assert sorted(moves(html)) == sorted([(str(mine), PROVISIONAL_DAY, OFFICIAL_DAY)] * 2
                                             + [(str(theirs), PROVISIONAL_DAY, OFFICIAL_DAY)] * 2)
        digest = re.search(r'name="previewed" value="([^"]+)"', html).group(1)
        recomputed = int(re.search(r"保存时将重新计算 (\d+) 个案件的期限", html).group(1))
        assert recomputed >= 2          # ours, and any demo case with a timer in 2027
        assert saved(app) == (0, 0) and due_days(app, mine)["按表达式计时"] == PROVISIONAL_DAY

        changed = post(client, PAGE, {**form, "holidays": "2027-01-01", "previewed": digest})
        assert changed.status_code == 200 and 'id="preview-changed"' in changed.get_data(as_text=True)
        assert saved(app) == (0, 0)                       # a schedule not previewed as it stands is not saved

        done = post(client, PAGE, {**form, "previewed": digest})
        assert done.status_code == 302 and done.location.endswith(f"{PAGE}?year=2027")
        page = client.get(done.location).get_data(as_text=True)
        trail = client.get("/admin/audit").get_data(as_text=True)
    assert f"已录入 2027 年节假日安排，重新计算了 {recomputed} 个案件的期限" in page
    assert "已由 admin 于 2026-12-30 10:00 录入" in page and "国办发明电" in page
    assert due_days(app, mine) == due_days(app, theirs) == {"按表达式计时": OFFICIAL_DAY, "按定时器计时": OFFICIAL_DAY}
    assert saved(app) == (1, 1)
    assert "录入节假日安排" in trail


def test_a_mistake_is_refused_naming_the_list_and_entry_and_nothing_is_saved(app, client):
    (mine,) = deadline_cases(app, ("county-a",))
    with time_machine.travel(at(NOW), tick=False):
        login(client, "admin")
        for path in (f"{PAGE}/preview", PAGE):
            bad = post(client, path, {"year": "2027", "holidays": "2027-01-01, 2027-13-01", "workdays": "2027-01-09",
                                      "previewed": "x"})
            assert bad.status_code == 422
            assert field_errors(bad.get_data(as_text=True)) == {
                "holidays": "第 2 项「2027-13-01」不是日期（YYYY-MM-DD）或日期区间（YYYY-MM-DD~YYYY-MM-DD）"}
        both = post(client, PAGE, {"year": "2027", "holidays": "2027-01-09", "workdays": "2027-01-09"})
        assert field_errors(both.get_data(as_text=True)) == {"workdays": "2027-01-09 同时是节假日和调休工作日"}
        outside = post(client, f"{PAGE}/preview", {"year": "2027", "holidays": "2028-01-01", "workdays": ""})
        assert field_errors(outside.get_data(as_text=True)) == {"holidays": "2028-01-01 不在 2027 年"}
        no_year = post(client, f"{PAGE}/preview", {"year": "明年", "holidays": "", "workdays": ""})
        assert no_year.status_code == 422 and "明年 不是 2000 至 2100 之间的年份" in no_year.get_data(as_text=True)
    assert saved(app) == (0, 0) and due_days(app, mine)["按表达式计时"] == PROVISIONAL_DAY


def test_a_county_administrator_previews_only_his_own_subtrees_deadlines(app, client):
    with app.app_context():
        db = db_session()
        people.add_user(db, "admin_a", "甲区管理员", "county-a", ["admin"], password_hash=hash_password("demo1234"))
        db.commit()
    mine, theirs = deadline_cases(app)
    with time_machine.travel(at(NOW), tick=False):
        login(client, "admin_a")
        html = post(client, f"{PAGE}/preview", {"year": "2027", "holidays": HOLIDAYS,
                                                "workdays": WORKDAYS}).get_data(as_text=True)
    assert {case for case, _, _ in moves(html)} == {str(mine)}
    assert "其中另有 2 项待办期限属于您管辖范围以外的机构" in html and "B县司法局" not in html


def test_only_administrators_reach_the_calendar(app, client):
    login(client, "zhang")
    assert client.get(PAGE).status_code == 403
    token = csrf(client, "/inbox")
    for path in (PAGE, f"{PAGE}/preview"):
        form = {"csrf_token": token, "year": "2027", "holidays": HOLIDAYS, "workdays": WORKDAYS}
        assert client.post(path, data=form).status_code == 403
    assert saved(app) == (0, 0)


def test_the_calendar_page_and_its_refusals_read_in_english(app, client):
    login(client, "admin")
    client.get("/lang/en")
    page = client.get(f"{PAGE}?year=2026").get_data(as_text=True)
    assert "Working-day calendar" in page and "has not been entered" in page and "Preview the deadline changes" in page
    bad = post(client, f"{PAGE}/preview", {"year": "2026", "holidays": "soon", "workdays": ""})
    assert field_errors(bad.get_data(as_text=True)) == {
        "holidays": "Entry 1 (soon) is not a date (YYYY-MM-DD) or a range of dates (YYYY-MM-DD~YYYY-MM-DD)"}
