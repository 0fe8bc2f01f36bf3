"""The case search finds what people remember, on both databases: the complaint's facts, a phone number (typed with
or without spaces), the respondent's firm by name — the text of the data the process declares in `searchFields`,
kept on the case row at each step — within the searcher's scope only; and it lists each case's current steps."""
from __future__ import annotations

import time_machine
from sqlalchemy import select

from engine.core import people
from engine.core.models import Case
from engine.records import directory
from engine.runtime.search_text import compact_number, search_text
from engine.work import worklists

from .complaint_steps import at, do, register, review

MONDAY = at("2025-10-13T09:00")


def found(session, username, q) -> list[int]:
    return [c.id for c in worklists.search_cases(session, people.user_by_name(session, username), q=q)]


def test_search_text_joins_the_declared_fields_and_compacts_numbers():
    data = {"facts": "律师未出庭", "phone": "138 0013-8000", "tags": ["退费", 3, True, None], "other": "不查"}
    assert search_text(data, ["facts", "phone", "tags", "missing"]) == "律师未出庭\n138 0013-8000\n13800138000\n退费\n3"
    assert search_text({}, ["facts"]) is None
    assert compact_number("(0571) 8888-0000") == "057188880000" and compact_number("2025-10") is None


def test_facts_phone_and_firm_find_the_case_within_scope_only(engine, session, complaint_setup):
    directory.add_entry(session, "respondent", "F-0009", "衡正律师事务所", org_code="county-a", data={"type": "firm"})
    directory.add_entry(session, "respondent", "L-0009", "赵某某律师", org_code="county-a",
                        data={"type": "lawyer", "firm": "F-0009"})
    session.commit()
    with time_machine.travel(MONDAY, tick=False):
        case = register(engine, session, respondent_id="L-0009", complainant_phone="139 0571 0001",
                        facts="律师收取两万元代理费后从未出庭，也拒绝退费。")
        other = register(engine, session)            # 刘某 against 王某某律师, facts of its own
    row = session.scalar(select(Case).where(Case.id == case.id))
    assert "衡正律师事务所" in row.search_text and "衡正" not in str(row.meta)     # the firm's name: only searchable
    for q in ("从未出庭", "13905710001", "139 0571 0001", "139-0571-0001", "衡正律师事务所", "GD20251013001"):
        assert case.id in found(session, "chen", q), q
        assert found(session, "b_worker", q) == [], q            # county B sees none of county A's cases
        assert found(session, "bar_chief", q) == [], q
    assert found(session, "chen", "从未出庭") == [case.id] and found(session, "chen", "出庭三次") == [other.id]
    assert set(found(session, "chen", "GD20251013001")) == {case.id, other.id}
    assert found(session, "chen", "无此内容") == []


def test_the_text_follows_the_case_and_the_list_shows_its_current_steps(engine, session, complaint_setup):
    with time_machine.travel(MONDAY, tick=False):
        case = register(engine, session)
        chen = people.user_by_name(session, "chen")
        listed = worklists.search_cases(session, chen, q="13800000001")
        steps = worklists.current_steps(session, listed)
        assert [t.name for t in steps[case.id]] == ["初审"] and steps[case.id][0].due_at is not None
        do(engine, session, case.id, "初审", "chen", review("accept"))
        session.expire_all()
        listed = worklists.search_cases(session, chen, q="13800000001")
        assert [t.name for t in worklists.current_steps(session, listed)[case.id]] == ["受理审查决定"]
    assert worklists.current_steps(session, []) == {}
