"""The form editor's page (issue 21): its labels in each interface language and the directories a field may name."""
from __future__ import annotations

import html
import json
import re

from .web_helpers import csrf, login


def editor_page(client, lang: str) -> str:
    login(client, "admin")
    client.get(f"/lang/{lang}")
    response = client.post("/policy/drafts", data={"csrf_token": csrf(client, "/policy/"), "name": "看表单"})
    return client.get(f"{response.headers['Location']}/files/forms/complaint/preliminary.schema.json").get_data(as_text=True)


def labels(page: str) -> dict:
    return json.loads(re.search(r'<script type="application/json" id="form-editor-labels">(.*?)</script>', page, re.S).group(1))


def test_the_editor_speaks_chinese_and_its_english_interface_is_complete(app, client):
    chinese = labels(editor_page(client, "zh"))
    assert chinese["add_field"] == "添加字段" and chinese["required_when"] == "条件必填"
    english = labels(editor_page(client, "en"))
    assert english["add_field"] == "Add a field" and english["kind_directory"] == "Directory entry"
    assert set(english) == set(chinese)
    assert [k for k, v in english.items() if re.search(r"[\u4e00-\u9fff]", v)] == []


def test_the_editor_offers_the_directories_there_are(app, client):
    page = editor_page(client, "zh")
    found = re.search(r'data-directories="([^"]*)"', page).group(1)
    assert "respondent" in json.loads(html.unescape(found))


def test_the_editors_save_refuses_what_breaks_the_form_and_keeps_what_was_wrong_before(app, client):
    from engine.definitions import drafts
    from web.database import session as db_session

    login(client, "admin")
    token = csrf(client, "/policy/")
    draft = client.post("/policy/drafts", data={"csrf_token": token, "name": "看保存"}).headers["Location"]
    url = f"{draft}/files/forms/complaint/preliminary.schema.json"
    form = json.loads(client.get(url.replace("/files/", "/raw/")).get_data())
    headers = {"X-CSRF-Token": token, "Content-Type": "application/json"}

    def put(**changes):
        fields = dict(form["properties"], **changes)
        return client.put(f"{url}?refuse=own-problems", headers=headers,
                          data=json.dumps(dict(form, properties=fields), ensure_ascii=False).encode())

    def stored() -> dict:
        with app.app_context():
            return json.loads(drafts.files(db_session(), int(draft.rsplit("/", 1)[1]))[
                "forms/complaint/preliminary.schema.json"])

    lookahead = {"type": "string", "title": "执业证号", "pattern": "^(?=.*1)[0-9]{17}$"}
    refused = put(licence_no=lookahead)              # RE2 cannot run it: refused on its field, nothing stored
    assert refused.status_code == 422 and refused.json["saved"] is False
    assert [e["element"] for e in refused.json["errors"]] == ["properties/licence_no"]
    assert "licence_no" not in stored()["properties"]
    plain = client.put(url, headers=headers, data=json.dumps(dict(form, properties=dict(
        form["properties"], licence_no=lookahead)), ensure_ascii=False).encode())
    assert plain.json["saved"] is True and plain.json["problems"]       # other clients still save, and are told
    again = put(licence_no=lookahead, note={"type": "string", "title": "备注"})
    assert again.json["saved"] is True                                     # a problem already there does not block
    assert "note" in stored()["properties"]
