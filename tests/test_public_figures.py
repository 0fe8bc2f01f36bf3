"""公开数据 on the public portal (有诉必复, 信息公开), on both databases, on the demo data: the year's figures of the
reports marked public, per organisation under the top of the tree, equal counts made by hand; the page holds no
link to a case, no case number and no name; another year shows zeros and 无数据; the staff statistics page still
shows the report to the roles it names."""
from __future__ import annotations

import re
from collections import Counter

from sqlalchemy import select

from engine.core.models import Case, HumanTask, Organization
from web.database import session as db_session

from .test_complaint_sanctions import sanctions_setup  # noqa: F401 - a fixture
from .test_work_pages import text
from .web_helpers import login

KEY = "public_complaint_figures"


def _by_hand(app, year: int) -> tuple[dict, dict, list[str]]:
    """Received and completed complaints of the year by the top organisation's child (or itself), in Python,
    the names of the people the cases name, and the cases' numbers."""
    with app.app_context():
        db = db_session()
        top = db.scalar(select(Organization).where(Organization.parent_id.is_(None)))
        children = list(db.scalars(select(Organization).where(Organization.parent_id == top.id)))
        received, completed, personal = Counter(), Counter(), []
        for case, path in db.execute(select(Case, Organization.path).join(Organization, Case.org_id == Organization.id)
                                     .where(Case.process_key == "lawyer_complaint")):
            if case.created_at.year != year:          # the demo cases sit far from new year (China day = UTC day)
                continue
            row = next((c.name for c in children if path.startswith(c.path)), top.name)
            received[row] += 1
            completed[row] += case.status == "completed"
            personal += [case.business_number, *(str((case.meta or {}).get(k) or "") for k in
                                                 ("complainant_name", "respondent_name", "complainant_id"))]
        late = db.scalar(select(HumanTask.id).where(HumanTask.element_id == "Task_investigate"))
        return received, completed, [p for p in personal if p], late


def _table(page: str) -> dict[str, list[str]]:
    section = page.split(f'id="figures-{KEY}"', 1)[1].split("</section>", 1)[0]
    rows = {}
    for label, cells in re.findall(r'<tr data-group="[^"]*"><td>([^<]*)</td>(.*?)</tr>', section, re.S):
        rows[label] = re.findall(r"<td>([^<]*)</td>", cells)
    return rows


def test_the_public_sees_the_years_counts_per_organisation_equal_to_counts_by_hand(app, client):
    received, completed, personal, _ = _by_hand(app, 2025)
    assert sum(received.values()) == 5
    index = client.get("/portal/").get_data(as_text=True)
    assert 'id="public-figures-link"' in index
    answer = client.get("/portal/figures?year=2025")
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    rows = _table(page)
    shown = {label: int(cells[0]) for label, cells in rows.items() if int(cells[0])}
    assert shown == dict(received)
    assert {label: int(cells[1]) for label, cells in rows.items() if int(cells[1])} == \
        {k: v for k, v in completed.items() if v}
    assert all(cells[2] == "无数据" or cells[2].endswith(")") for cells in rows.values())
    assert "/stats/" not in page and "/cases/" not in page and "href=\"/case" not in page
    for value in personal:
        assert value not in page, value


def test_a_year_without_cases_shows_zeros_and_no_data(client):
    page = client.get("/portal/figures?year=2024").get_data(as_text=True)
    rows = _table(page)
    assert rows and all(cells[0] == "0" and cells[2] == "无数据" for cells in rows.values())


def test_the_public_figures_read_in_english(client):
    client.get("/lang/en")
    page = text(client.get("/portal/figures?year=2025"))
    assert "Public figures" in page and "Every complaint answered" in page and "Total" in page
    assert "公开数据" not in page and "<label>Year " in page


def test_staff_still_open_the_public_report_on_the_stats_page(client):
    login(client, "admin")
    assert f'id="report-{KEY}"' in client.get("/stats").get_data(as_text=True)


def test_the_figures_page_links_to_the_published_sanctions_which_show_no_complainant(
        engine, session, sanctions_setup, db_url):
    """A 通报批评 decided by the bar and served (published): from 公开数据, the link 律师协会行业处分公开 leads to a
    list with the sanctioned lawyer and the sanction, and neither the complainant nor the case's title."""
    import time_machine
    from web import create_app

    from .complaint_steps import answers_discipline_referred, at, do
    from .test_complaint_answers import INVESTIGATED, VOTE

    with time_machine.travel(at("2025-10-16T16:00"), tick=True) as clock:
        case = answers_discipline_referred(engine, session, clock)
        do(engine, session, case.id, "惩戒立案审查", "dc_member", {"discipline_filed": True,
                                                              "discipline_filing_opinion": "立案"})
        do(engine, session, case.id, "通知被投诉会员", "dc_worker",
           {"member_notified_on": "2025-10-20", "member_notice_method": "post"})
        do(engine, session, case.id, "惩戒调查", "dc_worker", INVESTIGATED)
        clock.move_to(at("2025-10-21T10:00"))
        do(engine, session, case.id, "惩戒委员会决定", "dc_member", {**VOTE, "discipline_sanction": "circulated_criticism"})
        do(engine, session, case.id, "送达处分决定", "dc_worker", {
            "discipline_service_method": "post", "discipline_served_on": "2025-10-21",
            "discipline_service_proof": "EMS5550001"})
    title, number = case.title, case.business_number
    assert title and "刘某" in title                                   # the complainant is in the case's title
    app = create_app({"DATABASE_URL": db_url, "SECRET_KEY": "test-secret", "TESTING": True,
                      "TOTP_REQUIRED_ROLES": ""})
    try:
        client = app.test_client()
        figures = client.get("/portal/figures?year=2025")
        assert figures.status_code == 200
        link = re.search(r'<a href="([^"]+)">律师协会行业处分公开（通报批评以上）</a>', figures.get_data(as_text=True))
        assert link and link.group(1) == "/portal/lists/lawyer_complaint/sanctions"
        listed = client.get(link.group(1))
        assert listed.status_code == 200
        table = listed.get_data(as_text=True).split('id="public-list"', 1)[1].split("</table>", 1)[0]
        assert "王某某律师" in table and "通报批评" in table and number in table
        page = listed.get_data(as_text=True)
        for private in ("刘某", title, "13800000001", f"/cases/{case.id}"):
            assert private not in page, private
    finally:
        app.extensions["lawflow.sql"].dispose()
