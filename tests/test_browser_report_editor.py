"""In real Chromium, a policy officer adds a figure through 流程定义 with no Python change: in a new draft, "new
report" opens the report editor; the officer names the report, picks the process and groups by a declared field
(respondent_type) with the mouse, adds a second measure whose condition is chosen from the form's values, tries a
ranking formula that does not compile and one that reads no measure (each shown beside the formula), types a filter
on an unknown field in the raw JSON view (shown beside that condition), removes it, saves clean and publishes. The
statistics page then shows the report with the counts made by hand from the demo cases."""
from __future__ import annotations

import re
from collections import Counter

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from engine.core.models import Case, Organization, User
from web.database import session as db_session

from .browser import saved, shot, sign_in
from . import test_browser_policy as policy_pages

pytestmark = pytest.mark.browser
REPORT = "forms/reports/complaint_kinds.report.json"


def type_into(page, locator, value: str) -> None:
    locator.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(value)


def save(page) -> str:
    return saved(page, "#report-editor", "#save-report")


def by_hand(app) -> dict[str, tuple[int, int]]:
    """The demo complaints under the admin's organisation by respondent kind: (received, accepted)."""
    with app.app_context():
        db = db_session()
        root = db.scalar(select(User).where(User.username == "admin")).org
        rows = db.execute(select(Case.meta, Organization.path).join(Organization, Case.org_id == Organization.id)
                          .where(Case.process_key == "lawyer_complaint")).all()
        mine = [meta or {} for meta, path in rows if path.startswith(root.path)]
    received = Counter(m.get("respondent_type") or "" for m in mine)
    accepted = Counter(m.get("respondent_type") or "" for m in mine if m.get("decision") == "accepted")
    return {kind: (n, accepted[kind]) for kind, n in received.items()}


def test_a_policy_officer_adds_a_figure_by_a_declared_field_and_it_appears_on_the_stats_page(app, live_server,
                                                                                          new_page):
    expected = by_hand(app)
    assert sum(n for n, _ in expected.values()) >= 3 and any(a for _, a in expected.values())
    page = new_page()
    sign_in(page, live_server, "admin")
    draft_url = policy_pages.new_draft(page, live_server, "新增统计：被投诉人类别与受理")
    page.fill("#new-report-name", "complaint_kinds")
    page.click("#new-report-open")
    page.wait_for_selector("#report-editor[data-ready=true]")
    assert page.input_value("#report-key") == "complaint_kinds"
    type_into(page, page.locator("#report-title"), "投诉按被投诉人类别")
    page.locator("#report-process").select_option("lawyer_complaint")
    page.locator("#report-group").select_option(label="被投诉人类别（respondent_type）")
    type_into(page, page.locator("#report-group-label"), "被投诉人类别")
    page.locator("#report-chart").select_option(label="柱状图")
    first = page.locator("fieldset.measure").nth(0)
    type_into(page, first.locator("input.measure-label"), "收到投诉")
    page.click("#add-measure")
    second = page.locator("fieldset.measure").nth(1)
    type_into(page, second.locator("input.measure-label"), "受理")
    type_into(page, second.locator("input.measure-name"), "accepted")
    second.locator('button[data-act="add-condition"]').click()
    second = page.locator("fieldset.measure").nth(1)
    row = second.locator(".condition-row").first
    row.locator("select.condition-field").select_option("decision")
    row = page.locator("fieldset.measure").nth(1).locator(".condition-row").first
    for box in row.locator(".choices input:checked").all():                 # the first value comes ticked
        box.click()
    row.locator('.choices input[data-value="accepted"]').click()

    page.click("#ranking-on")                                                 # a formula that does not compile
    type_into(page, page.locator("#ranking-formula"), "accepted / max(received, 1) *")
    assert "accepted" in page.inner_text("#formula-help") and "received" in page.inner_text("#formula-help")
    assert "问题" in save(page)
    beside = page.locator('.line[data-pointer="/ranking/formula"] > .problem-slot')
    assert beside.inner_text().startswith("排名公式无法在沙箱中编译")
    assert f"{REPORT}:" in page.inner_text("#save-problems")
    type_into(page, page.locator("#ranking-formula"), "accepted / max(received_count, 1)")
    save(page)
    assert beside.inner_text() == "排名公式引用了 received_count，它不是本报表的指标"
    page.click("#ranking-on")                                                 # no ranking after all
    assert not page.locator("#ranking-formula").count()

    page.locator("#report-raw summary").click()                               # an unknown field, typed as JSON
    raw = page.locator("#report-json")
    expect(raw).to_have_value(re.compile('"groupBy": "respondent_type"'))      # filled when the view opens
    text = raw.input_value()
    assert '"groupBy": "respondent_type"' in text and '"decision": "accepted"' in text
    raw.click()
    page.keyboard.press("Control+Home")
    page.keyboard.press("ArrowDown")
    page.keyboard.type('  "filters": {"respondent_kind": "lawyer"},\n')
    save(page)
    condition = page.locator('#filters-condition .condition-row[data-pointer="/filters/respondent_kind"]')
    assert condition.locator(".problem-slot").inner_text() == \
        "respondent_kind 不是流程 lawyer_complaint 声明的统计字段（reportableFields）"
    assert re.search(re.escape(REPORT) + r":2 \[/filters/respondent_kind\]", page.inner_text("#save-problems"))
    shot(page, "report-editor-unknown-field")
    page.locator("#report-raw summary").click()                               # back to the form only
    condition.locator('button[data-act="remove-condition"]').click()
    result = save(page)
    assert REPORT not in page.inner_text("#save-problems"), result
    shot(page, "report-editor-saved")

    policy_pages.publish(page, draft_url, "新增被投诉人类别统计")
    page.locator("#nav-stats").click()
    page.wait_for_url(re.compile(r".*/stats$"))
    section = page.locator("#report-complaint_kinds")
    assert section.locator("h3").inner_text() == "投诉按被投诉人类别"
    shown = {}
    for line in section.locator("tr[data-group]").all():
        cells = line.locator("td").all_inner_texts()
        shown[line.get_attribute("data-group")] = (int(cells[1]), int(cells[2]))
    assert shown == expected
    assert section.locator("tr.total th").nth(1).inner_text() == str(sum(n for n, _ in expected.values()))
    section.scroll_into_view_if_needed()
    shot(page, "report-editor-on-stats")


def test_a_policy_officer_gives_a_report_the_organisation_chart_by_mouse_and_keyboard(app, live_server, new_page):
    """The 组织机构图 choice offers the report's rates only when it is grouped by unit; chosen with the keyboard, it
    follows its measure's new name; grouped by month it is refused beside the choice; back on units it saves clean,
    and once published the 统计 page draws the chart for the new report."""
    page = new_page()
    sign_in(page, live_server, "admin")
    draft_url = policy_pages.new_draft(page, live_server, "新增统计：受理率组织机构图")
    page.fill("#new-report-name", "acceptance_tree")
    page.click("#new-report-open")
    page.wait_for_selector("#report-editor[data-ready=true]")
    type_into(page, page.locator("#report-title"), "各单位受理率")
    page.locator("#report-process").select_option("lawyer_complaint")
    tree = page.locator("#report-tree")
    assert tree.locator("option").all_inner_texts() == ["不画组织机构图"]      # a count cannot colour the chart
    type_into(page, page.locator("fieldset.measure").nth(0).locator("input.measure-label"), "收到投诉")
    page.click("#add-measure")
    second = page.locator("fieldset.measure").nth(1)
    type_into(page, second.locator("input.measure-label"), "受理率")
    type_into(page, second.locator("input.measure-name"), "acceptance")
    second.locator("select.measure-kind").select_option("rate")
    second = page.locator("fieldset.measure").nth(1)
    second.locator("#measure-1-where").locator('button[data-act="add-condition"]').click()
    row = page.locator("#measure-1-where .condition-row").first
    row.locator("select.condition-field").select_option("decision")
    row = page.locator("#measure-1-where .condition-row").first
    for box in row.locator(".choices input:checked").all():
        box.click()
    row.locator('.choices input[data-value="accepted"]').click()
    expect(tree.locator("option")).to_have_text(["不画组织机构图", "受理率（acceptance）"])
    tree.focus()                                                              # chosen with the keyboard
    page.keyboard.press("ArrowDown")
    expect(tree).to_have_value("acceptance")
    type_into(page, page.locator("fieldset.measure").nth(1).locator("input.measure-name"), "accepted_rate")
    expect(tree).to_have_value("accepted_rate")                               # the chart follows the rename
    expect(tree.locator("option")).to_have_text(["不画组织机构图", "受理率（accepted_rate）"])

    page.locator("#report-group").select_option("@month")                     # not by unit: refused beside it
    expect(page.locator("#report-tree")).to_have_value("accepted_rate")
    assert "问题" in save(page)
    beside = page.locator('.line[data-pointer="/orgTree"] > .problem-slot')
    assert beside.inner_text().startswith("组织机构图（orgTree）须按单位分组"), page.inner_text("#save-problems")
    page.locator("#report-group").select_option("@org")
    result = save(page)
    assert REPORT.replace("complaint_kinds", "acceptance_tree") not in page.inner_text("#save-problems"), result
    assert beside.inner_text() == ""
    page.locator("#report-raw summary").click()
    expect(page.locator("#report-json")).to_have_value(re.compile('"orgTree": "accepted_rate"'))
    shot(page, "report-editor-org-tree")

    policy_pages.publish(page, draft_url, "新增受理率组织机构图")
    page.locator("#nav-stats").click()
    page.wait_for_url(re.compile(r".*/stats$"))
    chart = page.locator("#chart-acceptance_tree-tree")
    chart.scroll_into_view_if_needed()
    chart.locator("canvas").first.wait_for(state="visible")
    assert "受理率" in page.locator("#report-acceptance_tree .org-tree-legend").inner_text()
