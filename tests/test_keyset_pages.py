"""Keyset pagination (issue 23, part "generator"): the inbox and the case search page by a cursor, not OFFSET;
rows that share the sort key are neither repeated nor skipped across pages, on both databases."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import time_machine

from engine.core import people, DataValidationError
from engine.runtime import cases
from engine.work import worklists

MOMENT = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def seven_cases(engine, session, deployed):
    """Seven sample cases of county A started at the same moment (so their tasks share created and due times),
    and two more a day later."""
    started = []
    for moment, count in ((MOMENT, 7), (MOMENT + timedelta(days=1), 2)):
        with time_machine.travel(moment, tick=False):
            started += [cases.start_case(engine, session, "sample_review", {}, org_code="county-a", actor="alice").id
                        for _ in range(count)]
    session.commit()
    return started


def _pages(fetch, cursor_of, limit):
    """Every page in turn, by the cursor of the one before; (rows, how many pages)."""
    seen, cursor, pages = [], None, 0
    while True:
        page = fetch(cursor)
        seen.extend(page)
        pages += 1
        cursor = cursor_of(page)
        if cursor is None:
            return seen, pages
        assert pages < 20


@pytest.mark.parametrize("sort", ["due", "newest", "oldest"])
def test_inbox_pages_by_cursor_without_repeats_or_gaps_when_tasks_share_the_sort_key(session, seven_cases, sort):
    alice = people.user_by_name(session, "alice")
    whole = [t.id for t in worklists.inbox(session, alice, "group", sort=sort, limit=500)]
    assert len(whole) == 9
    seen, pages = _inbox_pages(session, alice, sort)
    assert seen == whole and pages == 5


def _inbox_pages(session, user, sort):
    tasks, pages = _pages(lambda cursor: worklists.inbox(session, user, "group", sort=sort, limit=2, cursor=cursor),
                          lambda page: worklists.inbox_cursor(page, 2, "group", sort), 2)
    return [t.id for t in tasks], pages


def test_case_search_pages_by_cursor_newest_first(session, seven_cases):
    alice = people.user_by_name(session, "alice")
    tasks, pages = _pages(lambda c: worklists.search_cases(session, alice, limit=4, cursor=c),
                          lambda page: worklists.case_cursor(page, 4), 4)
    assert [c.id for c in tasks] == sorted(seven_cases, reverse=True) and pages == 3


def test_a_cursor_that_is_not_ours_is_refused_at_the_cursor_field(session, seven_cases):
    alice = people.user_by_name(session, "alice")
    for bad in ("nonsense", "W10", "WyJ4Il0"):          # not base64 JSON; an empty list; a list without an id
        with pytest.raises(DataValidationError) as refused:
            worklists.search_cases(session, alice, cursor=bad)
        assert refused.value.errors[0].field == "cursor"
    with pytest.raises(DataValidationError):
        worklists.inbox(session, alice, "group", cursor="WzEsMl0")     # two keys where the due sort wants them as


def test_the_case_export_streams_every_case_past_a_page_of_the_search(app, client, monkeypatch):
    """The CSV is a streamed response read page by page (here pages of 2), whole and without repeats."""
    from sqlalchemy import select

    from engine.core import Case as CaseRow
    from tests.web_helpers import login
    from web.database import session as db_session

    real = worklists.all_cases
    monkeypatch.setattr(worklists, "all_cases", lambda *a, **kw: real(*a, **{**kw, "chunk": 2}))
    with app.app_context():
        db = db_session()
        chen = people.user_by_name(db, "chen")
        visible = {c.business_number for c in db.scalars(select(CaseRow)) if c.org.path.startswith(chen.org.path)}
    login(client, "chen")
    exported = client.get("/cases.csv")
    assert exported.is_streamed
    rows = exported.get_data().decode("utf-8")[1:].splitlines()[1:]
    numbers = [r.split(",")[0] for r in rows]
    assert len(numbers) == len(set(numbers)) and set(numbers) == visible and len(visible) > 2


def test_case_search_in_a_date_range_pages_newest_first_and_keeps_to_the_range(session, seven_cases):
    alice = people.user_by_name(session, "alice")
    first_day = dict(since=MOMENT - timedelta(hours=1), until=MOMENT + timedelta(hours=1))
    found, pages = _pages(lambda c: worklists.search_cases(session, alice, limit=3, cursor=c, **first_day),
                          lambda page: worklists.case_cursor(page, 3), 3)
    assert [c.id for c in found] == sorted(seven_cases[:7], reverse=True) and pages == 3
    later = worklists.search_cases(session, alice, since=MOMENT + timedelta(hours=12))
    assert [c.id for c in later] == sorted(seven_cases[7:], reverse=True)
