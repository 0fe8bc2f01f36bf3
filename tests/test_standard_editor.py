"""The scoring standard editor for policy staff, on both databases: the table editor page, saving a changed or a
broken standard through the draft's save endpoint, the standard as an Excel workbook exported from a draft or a
version and imported back (a broken workbook refused with sheet, row and column, the draft unchanged), and the
draft's diff naming a changed band boundary in Chinese and in English."""
from __future__ import annotations

import copy
import io
import json
import re

from openpyxl import load_workbook

from engine.definitions import bundles, drafts
from web.database import session as db_session

from .web_helpers import csrf, login

PATH = "forms/law_firm/standard.json"
SHEETS = ["标准", "维度与评分项", "加分项", "否决项", "等次"]


def new_draft(client, name: str = "评分标准调整") -> int:
    login(client, "admin")
    made = client.post("/policy/drafts", data={"name": name, "csrf_token": csrf(client, "/policy/")})
    return int(re.search(r"/policy/drafts/(\d+)$", made.location).group(1))


def draft_standard(app, draft_id: int) -> bytes:
    with app.app_context():
        return drafts.files(db_session(), draft_id)[PATH]


def active_version(app) -> int:
    with app.app_context():
        return bundles.active_bundle(db_session()).version


def save(client, draft_id: int, standard: dict):
    token = csrf(client, f"/policy/drafts/{draft_id}")
    body = json.dumps(standard, ensure_ascii=False, indent=2).encode()
    return client.put(f"/policy/drafts/{draft_id}/files/{PATH}", data=body,
                      headers={"X-CSRF-Token": token, "Content-Type": "application/json"})


def shipped(app, draft_id: int) -> dict:
    return json.loads(draft_standard(app, draft_id))


def item(standard: dict, code: str) -> dict:
    return next(i for d in standard["dimensions"] for i in d["items"] if i["code"] == code)


def band(standard: dict, code: str) -> dict:
    return next(b for b in standard["bands"] if b["code"] == code)


def moved_boundary(standard: dict, value: int) -> dict:
    """The standard with the 达标/限期整改 boundary moved from 80 to `value`."""
    changed = copy.deepcopy(standard)
    band(changed, "standard")["min"] = value
    band(changed, "rectify")["max"] = value
    return changed


def blocking(answer: dict) -> list[dict]:
    return [p for p in answer["problems"] if p["severity"] != "warning"]


def test_a_standard_opens_in_the_table_editor_in_chinese_and_english(app, client):
    draft_id = new_draft(client)
    page = client.get(f"/policy/drafts/{draft_id}/files/{PATH}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="standard-editor"' in html and "standard-editor.js" in html
    data = re.search(r'<script type="application/json" id="standard-data">(.*?)</script>', html, re.S).group(1)
    assert json.loads(data) == shipped(app, draft_id)             # the table is built from the draft's file
    labels = re.search(r'id="standard-labels">(.*?)</script>', html, re.S).group(1)
    assert json.loads(labels)["items_sum"] == "评分项合计" and "导出 Excel" in html and "导入 Excel" in html
    assert f'data-save="/policy/drafts/{draft_id}/files/{PATH}"' in html
    client.get("/lang/en")
    english = client.get(f"/policy/drafts/{draft_id}/files/{PATH}").get_data(as_text=True)
    labels = json.loads(re.search(r'id="standard-labels">(.*?)</script>', english, re.S).group(1))
    assert labels["items_sum"] == "Items total" and labels["kind_per_occurrence"] == "Per occurrence"
    assert "Export to Excel" in english and "导出 Excel" not in english


def test_a_standard_that_is_not_json_opens_as_text(app, client):
    draft_id = new_draft(client)
    token = csrf(client, f"/policy/drafts/{draft_id}")
    client.put(f"/policy/drafts/{draft_id}/files/{PATH}", data=b'{"title": ', headers={"X-CSRF-Token": token})
    html = client.get(f"/policy/drafts/{draft_id}/files/{PATH}").get_data(as_text=True)
    assert 'id="not-a-table"' in html and '{&#34;title&#34;: </textarea>' in html and 'id="standard-data"' not in html
    refused = client.get(f"/policy/drafts/{draft_id}/workbook/{PATH}")           # no workbook of a broken standard
    assert refused.status_code == 302 and refused.location.endswith(f"/files/{PATH}")
    assert f"无法导出：{PATH}:1" in client.get(refused.location).get_data(as_text=True)


def test_a_changed_standard_is_saved_and_published(app, client):
    draft_id = new_draft(client)
    changed = shipped(app, draft_id)
    item(changed, "D1.2")["deduction"]["points"] = 2
    answer = save(client, draft_id, changed).get_json()
    assert answer["saved"] is True and blocking(answer) == []
    published = client.post(f"/policy/drafts/{draft_id}/publish",
                            data={"note": "调整扣分", "csrf_token": csrf(client, f"/policy/drafts/{draft_id}")})
    assert published.status_code == 302 and active_version(app) == 2
    with app.app_context():
        stored = json.loads(bundles.bundle_file(db_session(), bundles.active_bundle(db_session()).id, PATH))
    assert item(stored, "D1.2")["deduction"]["points"] == 2
    shown = client.get(f"/policy/drafts/{draft_id}/files/{PATH}").get_data(as_text=True)   # published: read only
    assert 'data-readonly="true"' in shown and 'id="save-standard"' not in shown and 'id="import-form"' not in shown


def test_a_broken_standard_is_saved_with_located_problems_and_never_published(app, client):
    draft_id = new_draft(client)
    broken = shipped(app, draft_id)
    band(broken, "rectify")["max"] = 78                      # 78 … 80 belongs to no band
    item(broken, "D1.1")["points"] = 40                      # above its dimension, whose items no longer add up
    answer = save(client, draft_id, broken).get_json()
    mine = {p["element"]: p for p in blocking(answer) if p["file"] == PATH}
    assert "78" in mine["/bands/1"]["message"] and "80" in mine["/bands/1"]["message"]
    assert "D1.1" in mine["/dimensions/0/items/0"]["message"] and "D1" in mine["/dimensions/0"]["message"]
    lines = json.dumps(broken, ensure_ascii=False, indent=2).splitlines()
    assert mine["/bands/1"]["line"] == next(n for n, line in enumerate(lines, 1) if '"code": "standard"' in line)
    assert mine["/dimensions/0/items/0"]["line"] == next(n for n, line in enumerate(lines, 1) if '"D1.1"' in line)
    refused = client.post(f"/policy/drafts/{draft_id}/publish",
                          data={"note": "x", "csrf_token": csrf(client, f"/policy/drafts/{draft_id}")})
    assert refused.status_code == 302 and active_version(app) == 1
    assert "发布失败" in client.get(refused.location).get_data(as_text=True)


def workbook_of(response):
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    return load_workbook(io.BytesIO(response.get_data()))


def test_the_standard_is_exported_as_a_workbook_from_a_draft_and_from_a_version(app, client):
    draft_id = new_draft(client)
    book = workbook_of(client.get(f"/policy/drafts/{draft_id}/workbook/{PATH}"))
    assert book.sheetnames == SHEETS
    rows = list(book["维度与评分项"].iter_rows(values_only=True))
    assert rows[0][:6] == ("维度编码", "维度", "维度分值", "编码", "评分项", "分值")
    assert ("D1", "政治建设", 15, "D1.2") == rows[2][:4] and rows[2][7] == "按次扣分" and rows[2][8] == 1
    assert [r[0] for r in book["等次"].iter_rows(min_row=2, values_only=True)] == [
        b["code"] for b in shipped(app, draft_id)["bands"]]
    listed = client.get("/policy/versions/1/standards").get_data(as_text=True)
    assert f"/policy/versions/1/workbook/{PATH}" in listed
    assert workbook_of(client.get(f"/policy/versions/1/workbook/{PATH}")).sheetnames == SHEETS
    assert client.get("/policy/versions/1/workbook/forms/law_firm/nothing.standard.json").status_code == 404
    assert client.get(f"/policy/versions/99/workbook/{PATH}").status_code == 404


def import_workbook(client, draft_id: int, content: bytes, name: str = "标准.xlsx"):
    return client.post(f"/policy/drafts/{draft_id}/workbook/{PATH}", content_type="multipart/form-data", data={
        "csrf_token": csrf(client, f"/policy/drafts/{draft_id}"), "workbook": (io.BytesIO(content), name)})


def edited(book, sheet: str, code: str, header: str, value) -> bytes:
    """The workbook with one cell changed: the row whose 编码 is `code`, the column headed `header`."""
    rows = list(book[sheet].iter_rows())
    names = [c.value for c in rows[0]]
    row = next(r for r in rows[1:] if code in (r[0].value, r[3].value if len(r) > 3 else None))
    row[names.index(header)].value = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_workbook_is_imported_into_the_draft(app, client):
    draft_id = new_draft(client)
    original = shipped(app, draft_id)
    book = workbook_of(client.get(f"/policy/drafts/{draft_id}/workbook/{PATH}"))
    edited(book, "等次", "standard", "下限(含)", 85)
    content = edited(book, "等次", "rectify", "上限(不含)", 85)
    book = load_workbook(io.BytesIO(content))
    content = edited(book, "维度与评分项", "D1.2", "扣分值", 2)
    answer = import_workbook(client, draft_id, content)
    assert answer.status_code == 302 and answer.location.endswith(f"/files/{PATH}")
    expected = moved_boundary(original, 85)
    item(expected, "D1.2")["deduction"]["points"] = 2
    assert shipped(app, draft_id) == expected
    assert "已从工作簿导入" in client.get(answer.location).get_data(as_text=True)


def test_a_broken_workbook_is_refused_with_sheet_row_and_column_and_the_draft_is_unchanged(app, client):
    draft_id = new_draft(client)
    before = draft_standard(app, draft_id)
    book = workbook_of(client.get(f"/policy/drafts/{draft_id}/workbook/{PATH}"))
    answer = import_workbook(client, draft_id, edited(book, "维度与评分项", "D1.2", "分值", "四分"))
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422 and 'id="import-problems"' in html
    assert "工作表「维度与评分项」第 3 行 F 列：应填数字，实为：四分" in html
    assert "工作簿有误，未导入，草稿未改变" in html
    assert draft_standard(app, draft_id) == before
    not_a_workbook = import_workbook(client, draft_id, b"name,points\nD1,15\n", "标准.csv")
    assert not_a_workbook.status_code == 422 and "不是 Excel 工作簿" in not_a_workbook.get_data(as_text=True)
    assert import_workbook(client, draft_id, b"", "").status_code == 302          # no file chosen: told, nothing read
    assert draft_standard(app, draft_id) == before


def test_a_workbook_past_the_import_limit_is_refused_unread(app, client):
    draft_id = new_draft(client)
    before = draft_standard(app, draft_id)
    content = client.get(f"/policy/drafts/{draft_id}/workbook/{PATH}").get_data()
    app.config["IMPORT_MAX_BYTES"] = len(content) // 2
    assert import_workbook(client, draft_id, content).status_code == 413
    assert draft_standard(app, draft_id) == before


def test_the_drafts_diff_names_a_changed_band_boundary_in_chinese_and_english(app, client):
    draft_id = new_draft(client)
    changed = moved_boundary(shipped(app, draft_id), 85)
    item(changed, "D1.2")["deduction"]["points"] = 2
    assert blocking(save(client, draft_id, changed).get_json()) == []
    html = client.get(f"/policy/drafts/{draft_id}").get_data(as_text=True)
    change = html.split(f'data-path="{PATH}"', 1)[1].split('<div class="change"', 1)[0]
    band_line = change.split('data-key="standard"', 1)[1].split("</li>", 1)[0]
    assert "修改 等次 <strong>规范化（达标）</strong>" in band_line
    assert re.search(r"等次下限（含）</td><td><del><pre>80</pre></del></td><td><ins><pre>85</pre>", band_line)
    item_line = change.split('data-key="D1.2"', 1)[1].split("</li>", 1)[0]
    assert re.search(r"扣分值</td><td><del><pre>1</pre></del></td><td><ins><pre>2</pre>", item_line)
    client.get("/lang/en")
    english = client.get(f"/policy/drafts/{draft_id}").get_data(as_text=True)
    band_line = english.split('data-key="standard"', 1)[1].split("</li>", 1)[0]
    assert "Changed Bands" in band_line and "Band from (inclusive)</td><td><del><pre>80</pre>" in band_line
    assert "等次" not in band_line
