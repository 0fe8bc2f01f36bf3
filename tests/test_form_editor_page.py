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
