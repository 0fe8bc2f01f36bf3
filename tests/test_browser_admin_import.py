"""In a real browser (issue 22): the administrator downloads nothing by hand but fills an Excel file of users, one
row of which names an organisation that does not exist; uploading it through the users page imports nothing and
names that row and column; the corrected file imports every row and shows each new user's initial password."""
from __future__ import annotations

import re

from openpyxl import Workbook
from playwright.sync_api import expect

from .browser import shot, sign_in

HEADER = ["用户名", "姓名", "电子邮箱", "所属机构代码", "角色"]


def workbook(path, *rows):
    book = Workbook()
    book.active.append(HEADER)
    for row in rows:
        book.active.append(row)
    book.save(path)
    return str(path)


def test_an_excel_import_with_one_bad_row_imports_nothing_and_names_the_row(live_server, new_page, tmp_path):
    good = ["imp_lu", "陆经办", "", "county-a", "经办人"]
    bad = workbook(tmp_path / "用户.xlsx", good, ["imp_ma", "马经办", "", "county-x", "经办人"])
    page = new_page()
    sign_in(page, live_server, "admin")
    page.click("#nav-admin")
    page.wait_for_url(re.compile(r".*/admin/orgs$"))
    page.click("#tab-users")
    page.wait_for_url(re.compile(r".*/admin/users$"))
    page.set_input_files("#import-file", bad)
    page.click("#import-submit")
    page.wait_for_url(re.compile(r".*/admin/import-users$"))
    errors = page.locator("#import-errors tr")
    expect(errors).to_have_count(2)
    expect(errors.nth(1).locator("td")).to_have_text(["3", "所属机构代码", "机构 county-x 不存在"])
    expect(page.locator(".flash.error")).to_contain_text("未导入任何记录")
    shot(page, "admin-import-refused")

    page.click("text=返回用户列表")
    page.wait_for_url(re.compile(r".*/admin/users$"))
    page.fill("#user-filters input[name=q]", "imp_")
    page.press("#user-filters input[name=q]", "Enter")
    page.wait_for_url(re.compile(r".*/admin/users\?.*q=imp_"))
    expect(page.locator("#user-list")).to_contain_text("没有符合条件的用户")     # the good row was not kept either

    fixed = workbook(tmp_path / "用户-改.xlsx", good, ["imp_ma", "马经办", "", "county-b", "经办人"])
    page.set_input_files("#import-file", fixed)
    page.click("#import-submit")
    page.wait_for_url(re.compile(r".*/admin/import-users$"))
    expect(page.locator("#import-done")).to_contain_text("新增 2 条")
    expect(page.locator("#import-passwords tr")).to_have_count(3)
    shot(page, "admin-import-done")
