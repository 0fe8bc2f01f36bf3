"""In real Chromium, the whole life of a complaint: filed on the public portal, registered, reviewed, accepted,
investigated after a 转办 between caseworkers, taken over by a leader, decided, replied to, served and archived;
then the complainant checks the result with the case number and code. Screenshots go to test-artifacts/."""
from __future__ import annotations

import re

import pytest

from .browser import click_confirmed, fill_form, shot, sign_in

pytestmark = pytest.mark.browser

PORTAL = {"complainant_name": "刘某", "complainant_type": "person", "complainant_phone": "13800000009",
          "respondent_id": "L-0001", "facts": "律师收取代理费后两次开庭均未出庭，也不退费。", "requests": "查处并退还代理费"}


def work(page, base: str, number: str, task: str, values: dict, name: str) -> None:
    """Open the task of this case from the inbox (claiming it if it waits in the group view, else it is already
    mine: the diagram kept it with whoever did the case's earlier step), fill, complete."""
    page.goto(f"{base}/inbox?view=group&q={number}")
    row = page.locator("#inbox tr", has_text=task)
    if row.count():
        row.get_by_role("button", name="签收").click()
    else:
        page.goto(f"{base}/inbox?view=mine&q={number}")
        page.locator("#inbox tr", has_text=task).get_by_role("link", name=task).click()
    page.wait_for_selector("#task-form")
    page.wait_for_load_state()                  # the page's scripts (adding list rows, confirmations) are in
    fill_form(page, values, "#task-form")
    shot(page, f"complaint-{name}")
    click_confirmed(page, "#complete")         # an approval asks first (confirmSubmit)
    page.wait_for_url(re.compile(r".*/inbox$"))
    assert f"已办理「{task}」" in page.locator(".flash").inner_text()


def test_a_complaint_from_the_portal_to_the_reply_and_the_status_check(live_server, new_page):
    base = live_server
    public = new_page()
    public.goto(f"{base}/portal/lawyer_complaint")
    public.select_option("#f-org", "county-a")
    fill_form(public, PORTAL, "#portal-form")
    public.click("#submit")
    number = public.locator("#case-number").inner_text()
    code = public.locator("#access-code").inner_text()
    assert re.fullmatch(r"〔2025〕投诉第\d{4}号", number) and re.fullmatch(r"[A-Z2-9]{8}", code)
    shot(public, "complaint-01-portal-receipt")

    intake = new_page()
    sign_in(intake, base, "xu")
    work(intake, base, number, "投诉登记", {"received_on": "2025-10-13"}, "02-registration")

    chen = new_page()
    sign_in(chen, base, "chen")
    work(chen, base, number, "初审", {"in_scope": True, "has_jurisdiction": True, "materials_complete": True,
                                     "repeat_without_new_facts": False, "review_conclusion": "accept",
                                     "review_opinion": "属于受理范围，材料齐全"}, "03-review")
    chief = new_page()
    sign_in(chief, base, "zhou")
    work(chief, base, number, "受理审查决定", {"decision": "accepted", "decision_reason": "属于受理范围"}, "04-decision")
    work(chen, base, number, "告知投诉人", {"notice_method": "post", "notified_on": "2025-10-13"}, "05-notice")
    work(chen, base, number, "被投诉人书面说明", {"explanation_received_on": "2025-10-13", "explanation_method": "post",
                                          "explanation_summary": "因另案开庭冲突未能出庭，同意退还部分费用。"},
         "06-explanation")

    leader = new_page()                                    # 领导包案: the deputy director takes the case over
    sign_in(leader, base, "sun")
    chen.goto(f"{base}/inbox?q={number}")                 # 调查核实 is chen's already: he did the steps before it
    case_href = chen.locator("#inbox tr", has_text="调查核实").locator("a[href^='/cases/']").first.get_attribute("href")
    leader.goto(f"{base}{case_href}")
    leader.locator("#case-actions form", has=leader.locator("#action-leader_takeover")).locator(
        "input[name=note]").fill("重大投诉，本人包案")
    assert click_confirmed(leader, "#action-leader_takeover")
    assert "已办理：领导接管" in leader.locator(".flash").inner_text()
    assert "重大投诉，本人包案" in leader.locator("#timeline").inner_text()
    assert "孙伟" in leader.locator('#case-fields [data-field="lead_leader"]').inner_text()
    leader.wait_for_selector("#diagram[data-rendered=true]")    # the big diagram opens on the current step, readable
    box = leader.locator("#diagram").bounding_box()
    step = leader.locator("#diagram .djs-element.current").first.bounding_box()
    assert step["width"] >= 60 and box["x"] <= step["x"] and step["x"] + step["width"] <= box["x"] + box["width"]
    assert box["y"] <= step["y"] and step["y"] + step["height"] <= box["y"] + box["height"]
    shot(leader, "complaint-07a-case-diagram")
    leader.goto(f"{base}/overview")
    assert leader.locator("#led", has_text=number).count() == 1
    shot(leader, "complaint-07-leader-overview")

    chen.goto(f"{base}/inbox?q={number}")                  # 转办: chen hands the investigation to lin
    chen.locator("#inbox tr", has_text="调查核实").get_by_role("link", name="调查核实").click()
    chen.click("#operations summary:has-text('转办')")
    chen.select_option("#transfer-to", "lin")
    chen.fill("#transfer-reason", "本人另有专项任务")
    assert click_confirmed(chen, "#op-transfer")
    assert "已转办" in chen.locator(".flash").inner_text()

    lin = new_page()
    sign_in(lin, base, "lin")
    lin.goto(f"{base}/notifications")
    assert lin.locator("#notifications tr", has_text="转办：调查核实").count() == 1
    assert lin.locator("#notifications tr", has_text="领导包案").count() == 1       # the diagram told the caseworkers
    work(lin, base, number, "调查核实", {"investigators": ["陈刚", "林涛"], "next_step": "report",
                                     "findings": "调取代理合同及庭审记录，被投诉律师确未按约出庭。"}, "08-investigation")
    work(lin, base, number, "处理意见", {"outcome": "criticism", "outcome_reason": "未按约出庭，损害委托人利益",
                                     "legal_basis": "《律师执业管理办法》第五十条"}, "09-outcome")
    work(leader, base, number, "处理决定审批", {"approved": True, "approval_opinion": "同意"}, "10-leader-approval")
    work(lin, base, number, "答复送达", {"service_method": "post", "served_on": "2025-10-13",
                                     "service_proof": "EMS1234567890", "respondent_notified": True}, "11-reply")
    work(lin, base, number, "归档", {"archive_no": "2025-TS-0099"}, "12-archive")

    lin.goto(f"{base}{case_href}")
    lin.wait_for_selector("#diagram[data-rendered=true]")
    assert "已办结" in lin.locator("#summary").inner_text()
    timeline = lin.locator("#timeline").inner_text()
    for step in ("转办", "收到消息", "答复送达", "归档"):
        assert step in timeline
    assert lin.locator("#documents li", has_text="答复书").count() == 1
    shot(lin, "complaint-13-case-page")

    public.goto(f"{base}/portal/status")
    public.fill("#number", number)
    public.fill("#code", code)
    public.click("#check")
    result = public.locator("#status-result").inner_text()
    assert "已办结" in result and "批评教育" in result and "王某某" not in result
    shot(public, "complaint-14-status-check")
    assert not _raw_codes_on_the_pages_of(base, case_href, {"xu": intake, "chen": chen, "zhou": chief, "lin": lin,
                                                            "sun": leader}, public)


def _raw_codes_on_the_pages_of(base: str, case_href: str, readers: dict, public) -> dict:
    """Every page of the finished walk as each person reads it in Chromium — the case, each of its tasks, the
    inbox views, the case list, the overview, notifications — and the portal's status page: {(who, url): the field
    keys, variable names, registry codes, usernames and process keys its text shows} (empty: none anywhere)."""
    from .test_plain_pages import raw_codes

    pages = ("/inbox", "/inbox?view=group", "/inbox?view=done", "/cases", "/overview", "/notifications")
    readers[next(iter(readers))].goto(f"{base}{case_href}")
    tasks = {a.get_attribute("href") for a in readers[next(iter(readers))].locator("a[href^='/tasks/']").all()}
    assert len(tasks) >= 10, tasks                              # every step of the walk, open or done
    found = {}
    for who, page in readers.items():
        for url in (*pages, case_href, *sorted(tasks)):
            page.goto(f"{base}{url}")
            shown = raw_codes(page.locator("body").inner_text())
            if shown:
                found[(who, url)] = shown
    shown = raw_codes(public.locator("body").inner_text())
    if shown:
        found[("public", "/portal/status")] = shown
    return found
