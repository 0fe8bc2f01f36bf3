"""The registry pages under 流程定义 and the /api/v1 registry routes: a policy officer edits, creates, deactivates
and imports entries (each change audited and shown in the entry's history); a handler can neither open the pages
nor change an entry through the API; the CLI imports a workbook."""
from __future__ import annotations

import io

import openpyxl
from sqlalchemy import select

from engine.core.models import AuditEvent
from web.cli import main
from web.database import session as db_session

from .web_helpers import csrf, login, token_for

PAGE = "/policy/registries/respondent"
ENTRY = f"{PAGE}/entries/L-0001"
LAWYER = {"name": "吴某某律师（示范明德律师事务所）", "org": "county-a", "data.type": "lawyer",
          "data.licence": "13110200000001", "data.firm": "F-0001", "data.position": ""}


def text(response) -> str:
    return response.get_data(as_text=True)


def workbook(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    book.active.append(["编号", "名称", "管辖司法局", "类别", "执业证号", "所在律师事务所", "职务"])
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_policy_officer_edits_a_lawyers_entry_and_the_history_shows_before_and_after(app, client):
    login(client, "admin")
    listing = text(client.get("/policy/registries/"))
    assert "律师和律师事务所名录" in listing and "规范化考评人员库" in listing and "法律援助案件评查专家库" in listing
    assert "L-0001" in text(client.get(PAGE + "?q=吴某某"))
    saved = client.post(ENTRY, data={**LAWYER, "data.position": "partner", "csrf_token": csrf(client, ENTRY)})
    assert saved.status_code == 302
    page = text(client.get(ENTRY))
    assert "已保存" in page and '<option value="partner" selected>合伙人</option>' in page
    assert "职务：— → 合伙人" in page
    with app.app_context():
        audit = db_session().scalar(select(AuditEvent).where(AuditEvent.action == "registry_entry_updated"))
        assert audit.actor == "admin" and audit.detail["after"]["data"]["position"] == "partner"


def test_a_wrong_edit_is_shown_again_with_each_field_named_and_nothing_changed(app, client):
    login(client, "admin")
    refused = client.post(ENTRY, data={**LAWYER, "data.licence": "12ab", "data.type": "judge",
                                       "csrf_token": csrf(client, ENTRY)})
    assert refused.status_code == 422
    page = text(refused)
    assert "执业证号应为 14 至 18 位数字" in page and "「judge」不是可选值（律师事务所/律师）" in page
    assert 'value="12ab"' in page                       # what was typed stays to be corrected
    assert "13110200000001" in text(client.get(ENTRY))
    with app.app_context():
        assert db_session().scalar(select(AuditEvent).where(AuditEvent.action.like("registry_%"))) is None


def test_a_new_entry_is_created_and_a_deactivated_one_leaves_the_portals_choice(app, client):
    login(client, "admin")
    created = client.post(f"{PAGE}/entries", data={**LAWYER, "key": "L-0100", "name": "新来的律师",
                                                   "csrf_token": csrf(client, f"{PAGE}/new")})
    assert created.status_code == 302 and created.headers["Location"].endswith(f"{PAGE}/entries/L-0100")
    assert "新来的律师" in text(client.get("/portal/lawyer_complaint"))
    done = client.post(f"{PAGE}/entries/L-0100/active", data={"active": "0", "csrf_token": csrf(client, ENTRY)})
    assert done.status_code == 302
    page = text(client.get(f"{PAGE}/entries/L-0100"))
    assert "已停用" in page and "停用" in page
    assert "新来的律师" not in text(client.get("/portal/lawyer_complaint"))
    assert "L-0100" in text(client.get(PAGE + "?status=inactive"))


def test_the_import_is_all_or_nothing_names_the_row_and_column_and_is_idempotent(app, client):
    login(client, "admin")
    good = [["L-0200", "导入律师", "county-b", "律师", "13110200000200", "F-0002", None]]
    bad = good + [["L-0201", "错误律师", "county-b", "律师", "abc", "F-0002", None]]
    refused = client.post(f"{PAGE}/imports", data={"csrf_token": csrf(client, PAGE),
                                                   "file": (io.BytesIO(workbook(bad)), "bad.xlsx")},
                          content_type="multipart/form-data")
    assert refused.status_code == 422
    assert "<td>3</td><td>执业证号</td><td>执业证号应为 14 至 18 位数字</td>" in text(refused)
    assert 'data-key="L-0200"' not in text(client.get(PAGE + "?q=L-0200"))
    for added in (1, 0):
        done = client.post(f"{PAGE}/imports", data={"csrf_token": csrf(client, PAGE),
                                                    "file": (io.BytesIO(workbook(good)), "good.xlsx")},
                           content_type="multipart/form-data")
        assert done.status_code == 302
        assert f"新增 {added} 条，更新 0 条，未变 {1 - added} 条" in text(client.get(PAGE))
    template = client.get(f"{PAGE}/template.xlsx")
    header = next(openpyxl.load_workbook(io.BytesIO(template.data)).worksheets[0].iter_rows(values_only=True))
    assert header == ("编号", "名称", "管辖司法局", "类别", "执业证号", "所在律师事务所", "职务")


def test_a_handler_can_open_no_registry_page_and_change_nothing_through_the_api(app, client):
    login(client, "zhang")
    assert client.get("/policy/registries/").status_code == 403
    assert client.get(ENTRY).status_code == 403
    assert client.post(ENTRY, data={**LAWYER, "csrf_token": csrf(client, "/inbox")}).status_code == 403
    token = token_for(app, "zhang")
    api = "/api/v1/registries/respondent/entries"
    assert client.get(f"{api}/L-0001", headers=token).get_json()["name"] == LAWYER["name"]
    changed = client.put(f"{api}/L-0001", headers=token, json={"name": "越权改名", "data": {"type": "lawyer"}})
    assert changed.status_code == 403
    assert client.post(f"{api}/L-0001/deactivate", headers=token).status_code == 403
    assert client.post(api, headers=token, json={"key": "L-9", "name": "x", "data": {"type": "lawyer"}}).status_code == 403
    assert client.get(f"{api}/L-0001", headers=token).get_json()["active"] is True


def test_the_api_lists_searches_creates_updates_deactivates_and_imports(app, client):
    token = token_for(app, "admin")
    api = "/api/v1/registries/respondent/entries"
    kinds = [r["key"] for r in client.get("/api/v1/registries", headers=token).get_json()]
    assert kinds == ["respondent", "inspector", "peer_reviewer"]
    first = client.get(f"{api}?limit=3", headers=token).get_json()
    assert [e["key"] for e in first] == ["F-0001", "F-0002", "F-0003"]
    assert [e["key"] for e in client.get(f"{api}?limit=2&after=F-0003", headers=token).get_json()] == ["F-0004",
                                                                                                      "F-0005"]
    created = client.post(api, headers=token, json={"key": "L-0500", "name": "接口律师", "org": "county-a",
                                                    "data": {"type": "lawyer", "firm": "F-0001"}})
    assert created.status_code == 201 and created.get_json()["data"] == {"type": "lawyer", "firm": "F-0001"}
    wrong = client.put(f"{api}/L-0500", headers=token, json={"name": "接口律师", "data": {"type": "lawyer",
                                                                                        "licence": "x"}})
    assert wrong.status_code == 422 and [e["field"] for e in wrong.get_json()["errors"]] == ["data.licence"]
    changed = client.put(f"{api}/L-0500", headers=token, json={"name": "接口律师", "data": {"type": "lawyer",
                                                                                          "position": "partner"}})
    assert changed.get_json()["data"] == {"type": "lawyer", "position": "partner"}
    assert client.post(f"{api}/L-0500/deactivate", headers=token).get_json()["active"] is False
    assert [e["key"] for e in client.get(f"{api}?status=inactive", headers=token).get_json()] == ["L-0500"]
    rows = [["L-0600", "接口导入", "county-a", "律师", None, None, None]]
    done = client.post("/api/v1/registries/respondent/imports?filename=a.xlsx", headers=token,
                       data=workbook(rows))
    assert done.status_code == 201 and done.get_json() == {"added": 1, "updated": 0, "unchanged": 0}
    refused = client.post("/api/v1/registries/respondent/imports", headers=token,
                          data=workbook([["L-0601", "", None, "律师", None, None, None]]))
    assert refused.status_code == 422 and refused.get_json()["errors"][0]["row"] == 2
    assert refused.get_json()["errors"][0]["column"] == "名称"
    spec = client.get("/api/v1/openapi.json").get_json()
    assert {"/api/v1/registries", "/api/v1/registries/{registry}/entries",
            "/api/v1/registries/{registry}/entries/{entry}", "/api/v1/registries/{registry}/imports"} \
        <= set(spec["paths"])


def test_the_cli_imports_a_workbook_and_writes_the_template(app, tmp_path):
    runner = app.test_cli_runner()
    good = tmp_path / "good.xlsx"
    good.write_bytes(workbook([["L-0700", "命令行律师", "county-a", "律师", None, None, None]]))
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(workbook([["L-0701", "命令行律师", "county-x", "律师", None, None, None]]))
    done = runner.invoke(main, ["registry", "import", "respondent", str(good), "--actor", "admin"])
    assert done.exit_code == 0 and "新增 1 条" in done.output
    refused = runner.invoke(main, ["registry", "import", "respondent", str(bad), "--actor", "admin"])
    assert refused.exit_code == 1 and "第 2 行 管辖司法局" in refused.output
    out = tmp_path / "t.xlsx"
    assert runner.invoke(main, ["registry", "template", "respondent", str(out), "--entries"]).exit_code == 0
    keys = [r[0] for r in openpyxl.load_workbook(out).worksheets[0].iter_rows(min_row=2, values_only=True)]
    assert "L-0700" in keys and "F-0001" in keys


def test_the_entry_page_suggests_the_entries_a_field_names_and_reads_in_english(app, client):
    login(client, "admin")
    page = text(client.get(ENTRY))
    assert '<datalist id="l-firm">' in page and '<option value="F-0002">示范正言律师事务所</option>' in page
    client.get("/lang/en")
    english = text(client.get(ENTRY))
    assert "Change history" in english and "No changes yet" in english and "修改记录" not in english
    assert "Search" in text(client.get(PAGE)) and "Registries of lawyers" in text(client.get("/policy/"))
