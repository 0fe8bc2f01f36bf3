"""In real Chromium on a phone-sized screen (390 px wide): a complainant files a complaint with evidence on the portal
and checks it; the intake clerk opens the inbox through the folded navigation, registers the complaint and reads the
case page, and prints the task and the case. No page scrolls sideways."""
from __future__ import annotations

import re

import pytest

from .browser import fill_form, shot, sign_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
PORTAL = {"complainant_name": "赵某", "complainant_type": "person", "complainant_phone": "13800000077",
          "respondent_id": "L-0001", "facts": "律师收取代理费后未按约出庭，也拒绝退费。", "requests": "查处并退还代理费"}


def fits(page, name: str) -> None:
    """The page is no wider than the screen (read only to measure; the driving is by mouse and keyboard)."""
    page.wait_for_load_state("load")
    scroll, client = page.evaluate("[document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]")
    shot(page, f"phone-{name}")
    assert client == PHONE["width"] and scroll <= client, f"{name}: {scroll} px wide on a {client} px screen"


def phone(new_page):
    page = new_page()
    page.set_viewport_size(PHONE)
    return page


def open_menu(page, link: str) -> None:
    """Unfold the navigation with 菜单 and follow one of its links."""
    target = page.locator("#site-nav a", has_text=link).first
    assert not target.is_visible()
    page.click("#nav-toggle")
    assert target.is_visible()
    target.click()


def test_the_portal_the_inbox_a_task_and_the_case_fit_a_phone(live_server, new_page, tmp_path):
    evidence = tmp_path / "收费收据.pdf"
    evidence.write_bytes(b"%PDF-1.4 the receipt for the fee")
    public = phone(new_page)
    public.goto(f"{live_server}/portal/")
    fits(public, "portal-index")
    public.locator("main a[href='/portal/lawyer_complaint']").first.click()
    fits(public, "portal-form")
    public.select_option("#f-org", "county-a")
    fill_form(public, PORTAL, "#portal-form")
    public.set_input_files("#f-evidence_files", str(evidence))
    public.click("#submit")
    number = public.locator("#case-number").inner_text()
    code = public.locator("#access-code").inner_text()
    fits(public, "portal-receipt")
    open_menu(public, "办理进度查询")
    public.fill("#number", number)
    public.fill("#code", code)
    public.click("#check")
    assert public.locator("#stage").inner_text() == "已收到，待登记"
    fits(public, "portal-status")

    clerk = phone(new_page)
    sign_in(clerk, live_server, "xu")
    fits(clerk, "inbox")
    open_menu(clerk, "案件")
    fits(clerk, "cases")
    open_menu(clerk, "待办")
    clerk.click("#tab-group")
    clerk.locator("#inbox tr", has_text=number).filter(has_text="投诉登记").get_by_role("button", name="签收").click()
    clerk.wait_for_selector("#task-form")
    assert clerk.locator('[data-field="evidence_files"] label.file', has_text="收费收据.pdf").is_visible()
    fits(clerk, "task")
    with clerk.expect_popup() as opened:
        clerk.click("#print-task")
    printed = opened.value
    printed.set_viewport_size(PHONE)
    assert printed.locator("#site-nav").count() == 0 and number in printed.locator("#print-number").inner_text()
    form = printed.locator("#print-form").inner_text()
    assert "律师收取代理费后未按约出庭" in form and "收费收据.pdf" in form and "网上投诉" in form
    fits(printed, "task-print")
    printed.close()
    fill_form(clerk, {"received_on": "2025-10-13"}, "#task-form")
    clerk.click("#complete")
    clerk.wait_for_url(re.compile(r".*/inbox$"))
    clerk.click("#tab-done")
    clerk.locator("#inbox tr", has_text=number).locator("a[href^='/cases/']").first.click()
    clerk.wait_for_selector("#diagram[data-rendered=true]")
    assert clerk.locator("#attachments a", has_text="收费收据.pdf").is_visible()
    fits(clerk, "case")
    with clerk.expect_popup() as opened:
        clerk.click("#print-case")
    printed = opened.value
    printed.set_viewport_size(PHONE)
    assert "投诉登记" in printed.locator("#print-history").inner_text()
    assert "收费收据.pdf" in printed.locator("#print-files").inner_text()
    assert "赵某" in printed.locator("#print-fields").inner_text()
    fits(printed, "case-print")
