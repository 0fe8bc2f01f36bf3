"""A new decision table in a draft (engine/definitions/decision_tables.py, the 新建决策表 form of the draft page): a
valid DMN file with one empty table under processes/<folder>/, opened in the decision-table editor; a bad or taken
name is refused with a located message and changes nothing."""
from __future__ import annotations

import pytest

from engine.core import DataValidationError
from engine.definitions import decision_tables, drafts
from web.database import session as db_session

from .web_helpers import csrf, login

NEW = "processes/complaint/amount_threshold.dmn"


def test_a_new_decision_table_is_a_valid_file_of_the_draft(session, engine, deployed):
    draft = drafts.create(session, engine, actor="policy", name="新建决策表")
    path = decision_tables.new_table(session, engine, draft.id, folder="complaint", key="amount_threshold",
                                     name="涉案金额 & 重大", actor="policy", labels=("条件", "结果"))
    assert path == NEW
    xml = drafts.files(session, draft.id)[NEW].decode()
    assert '<decision id="amount_threshold" name="涉案金额 &amp; 重大">' in xml and 'label="条件"' in xml
    assert "<rule" not in xml                                         # one empty table, its rules to be added
    assert [p for p in drafts.validate(session, engine, draft.id) if p.file == NEW] == []


@pytest.mark.parametrize(("form", "field", "code"), [
    ({"key": "1st"}, "key", "dmn_new.bad_key"),
    ({"key": "金额"}, "key", "dmn_new.bad_key"),
    ({"folder": "../x"}, "folder", "dmn_new.bad_folder"),
    ({"name": "  "}, "name", "dmn_new.bad_name"),
    ({"key": "major_case"}, "key", "dmn_new.file_exists"),
    ({"folder": "sample", "key": "major_case"}, "key", "dmn_new.decision_exists"),
])
def test_a_bad_or_taken_name_is_refused_naming_the_field(session, engine, deployed, form, field, code):
    draft = drafts.create(session, engine, actor="policy", name="新建决策表")
    before = drafts.files(session, draft.id)
    with pytest.raises(DataValidationError) as refused:
        decision_tables.new_table(session, engine, draft.id, actor="policy",
                                  **{"folder": "complaint", "key": "amount_threshold", "name": "涉案金额", **form})
    assert [(e.field, e.msg.code) for e in refused.value.errors] == [(field, code)]
    assert drafts.files(session, draft.id) == before


def test_the_draft_page_creates_a_decision_table_and_opens_it_in_the_editor(app, client):
    login(client, "admin")
    draft_url = client.post("/policy/drafts", data={"csrf_token": csrf(client, "/policy/"),
                                                    "name": "新建决策表"}).headers["Location"]
    page = client.get(draft_url).get_data(as_text=True)
    assert 'id="new-dmn"' in page and '<option value="complaint"' in page
    token = csrf(client, draft_url)
    made = client.post(f"{draft_url}/decision-tables", data={"csrf_token": token, "folder": "complaint",
                                                              "key": "amount_threshold", "name": "涉案金额较大"})
    assert made.status_code == 302 and made.headers["Location"].endswith(f"/files/{NEW}")
    editor = client.get(made.headers["Location"]).get_data(as_text=True)
    assert 'id="dmn-editor"' in editor and f"已新建决策表 {NEW}" in editor
    again = client.post(f"{draft_url}/decision-tables", data={"csrf_token": token, "folder": "complaint",
                                                              "key": "amount_threshold", "name": "又一个"},
                        follow_redirects=True)
    text = again.get_data(as_text=True)
    assert f"未新建决策表：决策编号（文件名）：草稿中已有文件 {NEW}" in text
    assert 'value="又一个"' in text                                   # the form shows what was entered
    bad = client.post(f"{draft_url}/decision-tables", data={"csrf_token": token, "folder": "complaint",
                                                            "key": "金额", "name": ""}, follow_redirects=True)
    text = bad.get_data(as_text=True)
    assert "决策编号（文件名）：「金额」不是有效的决策编号" in text and "决策表名称：请填写决策表名称" in text
    with app.app_context():
        files = drafts.files(db_session(), int(draft_url.rsplit("/", 1)[1]))
    assert [p for p in files if p.endswith(".dmn") and "金额" in p or p.endswith("又一个.dmn")] == []
    assert "又一个" not in files[NEW].decode()
