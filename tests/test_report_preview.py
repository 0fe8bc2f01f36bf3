"""The report editor's preview (issue 21), on both databases: the title, description and column headings as the
statistics page shows them, `{limit:…}` filled from the draft's own limits table (the form preview's expander), so
a changed row of the draft shows at once; an unknown name is listed with its JSON pointer; bad JSON is refused."""
from __future__ import annotations

import json
import re

from engine.definitions import limit_tables

from .test_report_editor import new_draft, save
from .web_helpers import csrf

REPORT = "forms/complaint/handling.report.json"
TABLE = "forms/complaint/limits.json"


def preview(client, draft_id: int, path: str, report) -> tuple[int, str]:
    token = csrf(client, f"/policy/drafts/{draft_id}")
    body = report if isinstance(report, bytes) else json.dumps(report, ensure_ascii=False).encode()
    answer = client.post(f"/policy/drafts/{draft_id}/report-preview?path={path}", data=body,
                         headers={"X-CSRF-Token": token, "Content-Type": "application/json"})
    return answer.status_code, answer.get_data(as_text=True)


def description(html: str) -> str:
    return re.search(r'id="report-preview-description">(.*?)</p>', html, re.S).group(1)


def test_the_editor_page_carries_the_preview(client):
    draft_id = new_draft(client)
    page = client.get(f"/policy/drafts/{draft_id}/files/{REPORT}").get_data(as_text=True)
    assert 'id="report-preview"' in page
    assert f'data-preview="/policy/drafts/{draft_id}/report-preview?path={REPORT}"' in page.replace("%2F", "/")


def test_the_preview_shows_the_limits_of_the_drafts_own_table_after_a_row_changes(client):
    draft_id = new_draft(client)
    raw = client.get(f"/policy/drafts/{draft_id}/raw/{REPORT}").get_data()
    report = json.loads(raw)
    status, html = preview(client, draft_id, REPORT, report)
    assert status == 200 and "{limit:" not in html
    table = json.loads(client.get(f"/policy/drafts/{draft_id}/raw/{TABLE}").get_data())
    rows = limit_tables.rows_by_name(table)
    assert description(html) == limit_tables.fill_placeholders(report["description"], rows)
    assert "调查核实 60日期限" in description(html)
    next(r for r in table["limits"] if r["name"] == "handling").update(value=45)
    assert save(client, draft_id, TABLE, limit_tables.table_bytes(table)).status_code == 200
    status, html = preview(client, draft_id, REPORT, report)
    changed = limit_tables.rows_by_name(table)
    assert description(html) == limit_tables.fill_placeholders(report["description"], changed)
    assert "调查核实 45日期限" in description(html) and "60日" not in description(html)
    assert "{limit:" not in html and 'id="report-preview-problems"' not in html


def test_an_unknown_limit_is_listed_with_its_json_pointer(client):
    draft_id = new_draft(client)
    report = json.loads(client.get(f"/policy/drafts/{draft_id}/raw/{REPORT}").get_data())
    report["measures"][1]["label"] = "审查按期率（{limit:no_such_row.text}）"
    status, html = preview(client, draft_id, REPORT, report)
    assert status == 200
    problems = re.search(r'id="report-preview-problems">(.*?)</ul>', html, re.S).group(1)
    assert 'data-pointer="/measures/1/label"' in problems and "no_such_row" in problems and TABLE in problems
    assert "{limit:no_such_row.text}" in html              # the text keeps what it could not fill


def test_bad_json_is_refused_with_its_reason(client):
    draft_id = new_draft(client)
    status, html = preview(client, draft_id, REPORT, b'{"title": ')
    assert status == 422 and "JSON 有误" in html
    status, html = preview(client, draft_id, REPORT, b"[1, 2]")
    assert status == 422 and "报表定义必须是 JSON 对象" in html
