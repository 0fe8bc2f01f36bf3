"""Importing organisations and users from Excel (issue 22): checked row by row with the pages' own checks, all or
nothing (one bad row imports nothing and is named by row and column), idempotent by code and username, within the
administrator's subtree; new users get one-time passwords. Engine tests on both databases, then the pages and the
`lawflow admin` commands."""
from __future__ import annotations

import io
import re

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from engine.core import AuditEvent, ImportRefused, Organization, PasswordHistory, User, people
from engine.work import people_import

from .helpers import zh
from .web_helpers import csrf, field_errors, login

ORGS = ["机构代码", "机构名称", "类型", "上级机构代码"]
USERS = ["用户名", "姓名", "电子邮箱", "所属机构代码", "角色"]


def workbook(header: list, *rows: list) -> io.BytesIO:
    book = Workbook()
    book.active.append(header)
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


def fake_hash(password: str) -> str:
    return f"hashed:{password}"


def fake_password(user: User) -> tuple[str, str]:
    """A stand-in for the web's one-time password generator: (password, hash) for a new user."""
    password = f"once-{user.username}-{user.org.code}"
    return password, fake_hash(password)


@pytest.fixture
def admins(session, org_tree):
    """`root` administers the city's tree, `ada` county A's only."""
    people.add_role(session, "admin", "系统管理员")
    people.add_user(session, "root", "市管理员", "city", ["admin"])
    people.add_user(session, "ada", "A区管理员", "county-a", ["admin"])
    session.commit()
    return people.user_by_name(session, "root"), people.user_by_name(session, "ada")


def import_orgs(engine, session, admin, *rows, header=ORGS):
    done = people_import.import_orgs(session, admin, "orgs.xlsx", workbook(header, *rows), engine.now(),
                                     texts=(zh,))
    session.commit()
    return done


def import_users(engine, session, admin, *rows, header=USERS):
    done = people_import.import_users(session, admin, "users.xlsx", workbook(header, *rows), engine.now(),
                                      fake_password, texts=(zh,))
    session.commit()
    return done


def refusal(engine, session, run, *args, **kwargs) -> list[tuple[int, str, str]]:
    with pytest.raises(ImportRefused) as refused:
        run(engine, session, *args, **kwargs)
    session.rollback()
    return [(e.row, e.column, zh(e)) for e in refused.value.errors]


def test_organisations_are_imported_parents_first_and_a_second_import_changes_nothing(engine, session, admins):
    root, _ = admins
    rows = (["unit-y", "Y 组", "unit", "unit-x"],          # its parent comes later in the file
            ["unit-x", "X 科", "unit", "county-a"],
            ["county-d", "丁区司法局", "bureau", "city"])
    done = import_orgs(engine, session, root, *rows)
    assert (done.added, done.updated, done.unchanged) == (3, 0, 0)
    a, x, y = (people.organization(session, c) for c in ("county-a", "unit-x", "unit-y"))
    assert x.path == f"{a.path}{x.id}/" and y.path == f"{x.path}{y.id}/" and y.kind == "unit"

    again = import_orgs(engine, session, root, *rows)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 3)
    renamed = import_orgs(engine, session, root, ["unit-x", "X 科室", "", ""])
    assert (renamed.updated, people.organization(session, "unit-x").name) == (1, "X 科室")
    assert people.organization(session, "unit-x").kind == "unit"           # an empty cell keeps the value
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("admin.org%"))).all()
    assert actions.count("admin.org_created") == 3 and actions.count("admin.org_changed") == 1
    assert actions.count("admin.orgs_imported") == 3


def test_one_bad_organisation_row_imports_nothing_and_each_wrong_row_and_column_is_named(engine, session, admins):
    _, ada = admins
    before = session.scalar(select(func.count()).select_from(Organization))
    errors = refusal(engine, session, import_orgs, ada,
                     ["unit-1", "一科", "unit", "county-a"],
                     ["unit-2", "", "unit", "county-a"],              # no name
                     ["unit-1", "又一科", "unit", "county-a"],        # the code again
                     ["unit-3", "三科", "科室", "county-a"],           # a kind that is no code word
                     ["unit-4", "四科", "unit", "county-b"],          # a parent outside county A
                     ["unit-5", "五科", "unit", "nowhere"],           # a parent that does not exist
                     ["county-b", "抢占", "bureau", "county-a"])      # a code outside the subtree
    assert errors == [
        (3, "机构名称", "必填"),
        (4, "机构代码", "unit-1 已在第 2 行出现"),
        (5, "类型", "类型 科室 无效：应为以字母开头的字母、数字、_ 或 -（如 bureau、law_firm）"),
    ]
    assert session.scalar(select(func.count()).select_from(Organization)) == before
    errors = refusal(engine, session, import_orgs, ada,
                     ["unit-1", "一科", "unit", "county-a"],
                     ["unit-4", "四科", "unit", "county-b"],
                     ["unit-5", "五科", "unit", "nowhere"],
                     ["county-b", "抢占", "bureau", "county-a"],
                     ["c1", "甲", "unit", "c2"], ["c2", "乙", "unit", "c1"])
    assert [(row, column) for row, column, _ in errors] == [
        (3, "上级机构代码"), (4, "上级机构代码"), (5, "机构代码"), (6, "上级机构代码"), (7, "上级机构代码")]
    assert "county-b" in errors[0][2] and "nowhere" in errors[1][2] and "county-b" in errors[2][2]
    assert errors[4][2] == "c2 的上级机构 c1 又回到它自己：形成循环"
    assert session.scalar(select(func.count()).select_from(Organization)) == before      # unit-1 too: all or none
    assert session.scalars(select(AuditEvent).where(AuditEvent.action.like("admin.%"))).all() == []


def test_users_are_imported_with_one_time_passwords_and_updated_by_username(engine, session, admins):
    _, ada = admins
    rows = (["xu", "徐经办", "xu@county-a.example", "county-a", "handler、负责人"],
            ["yan", "严经办", "", "county-a", "handler"])
    done = import_users(engine, session, ada, *rows)
    assert (done.added, done.updated, done.unchanged) == (2, 0, 0)
    passwords = dict(done.passwords)
    xu = people.user_by_name(session, "xu")
    assert sorted(r.code for r in xu.roles) == ["handler", "leader"] and xu.must_change_password
    assert passwords["xu"] == "once-xu-county-a" and xu.password_hash == "hashed:once-xu-county-a"
    assert session.scalars(select(PasswordHistory.password_hash).where(PasswordHistory.user_id == xu.id)).all() == [
        "hashed:once-xu-county-a"]          # the one-time password starts the account's history

    again = import_users(engine, session, ada, *rows)
    assert (again.added, again.updated, again.unchanged, again.passwords) == (0, 0, 2, [])
    changed = import_users(engine, session, ada, ["XU", "徐经办", "", "county-a", "handler"],
                           ["alice", "张三（改）", "", "", ""])
    assert (changed.updated, changed.unchanged) == (2, 0)
    assert [r.code for r in people.user_by_name(session, "xu").roles] == ["handler"]
    assert people.user_by_name(session, "xu").password_hash == f"hashed:{passwords['xu']}"   # no new password
    assert people.user_by_name(session, "alice").display_name == "张三（改）"


def test_one_bad_user_row_imports_nothing_and_names_the_row(engine, session, admins):
    _, ada = admins
    users = session.scalar(select(func.count()).select_from(User))
    errors = refusal(engine, session, import_users, ada,
                     ["new1", "新一", "", "county-a", "handler"],
                     ["new2", "新二", "bad-mail", "county-a", "pilot"],
                     ["new1", "新一again", "", "county-a", ""],
                     ["carl", "抢", "", "county-a", ""],               # county B's user: not ada's
                     ["new3", "新三", "", "county-b", ""],             # an organisation outside her subtree
                     ["x", "太短", "", "county-a", ""])
    assert errors == [
        (4, "用户名", "new1 已在第 2 行出现"),
    ]
    errors = refusal(engine, session, import_users, ada,
                     ["new1", "新一", "", "county-a", "handler"],
                     ["new2", "新二", "bad-mail", "county-a", "pilot"],
                     ["carl", "抢", "", "county-a", ""],
                     ["new3", "新三", "", "county-b", ""],
                     ["x", "太短", "", "county-a", ""])
    assert [(row, column) for row, column, _ in errors] == [
        (3, "电子邮箱"), (3, "角色"), (4, "用户名"), (5, "所属机构代码"), (6, "用户名")]
    assert "pilot" in errors[1][2] and "carl" in errors[2][2]
    assert session.scalar(select(func.count()).select_from(User)) == users


def test_a_file_without_the_required_columns_is_refused_at_its_header(engine, session, admins):
    root, _ = admins
    assert refusal(engine, session, import_orgs, root, ["x", "y"], header=["机构名称", "备注"]) == [
        (1, "机构代码", "表头缺少此必填列")]
    assert refusal(engine, session, import_users, root, header=USERS) == [(2, "", "文件表头下没有记录")]


def test_the_template_has_the_columns_in_chinese_and_reads_back_as_an_idempotent_import(engine, session, admins):
    _, ada = admins
    content = people_import.template_workbook("users", zh, people_import.current_rows(session, ada, "users"))
    sheet = load_workbook(io.BytesIO(content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert sheet.title == "用户" and list(rows[0]) == USERS
    assert [r[0] for r in rows[1:]] == ["ada", "alice", "amy", "bob", "dora"]
    done = people_import.import_users(session, ada, "users.xlsx", io.BytesIO(content), engine.now(),
                                      fake_password, texts=(zh,))
    assert (done.added, done.updated, done.unchanged) == (0, 0, 5)


# ---------------------------------------------------------------- the pages and the commands

def upload(client, path, page, content: io.BytesIO, filename="people.xlsx"):
    return client.post(path, data={"csrf_token": csrf(client, page), "file": (content, filename)},
                       content_type="multipart/form-data")


def test_an_administrator_imports_users_on_the_page_and_sees_their_passwords_once(app, client):
    login(client, "admin")
    page = client.get("/admin/users").get_data(as_text=True)
    assert 'id="import-form"' in page and "/admin/import-users/template.xlsx" in page
    template = client.get("/admin/import-users/template.xlsx")
    assert load_workbook(io.BytesIO(template.data)).active["A1"].value == "用户名"
    done = upload(client, "/admin/import-users", "/admin/users",
                  workbook(USERS, ["imp_qian", "钱经办", "", "county-a", "经办人"]))
    html = done.get_data(as_text=True)
    assert done.status_code == 200 and "新增 1 条" in html
    password = re.search(r"<td>imp_qian</td><td><code>([^<]+)</code>", html).group(1)
    assert login(app.test_client(), "imp_qian", password).status_code == 302
    again = upload(client, "/admin/import-users", "/admin/users",
                   workbook(USERS, ["imp_qian", "钱经办", "", "county-a", "经办人"]))
    assert "未变 1 条" in again.get_data(as_text=True) and "<code>" not in again.get_data(as_text=True)


def test_a_bad_row_on_the_page_imports_nothing_and_the_page_names_it(app, client):
    login(client, "admin")
    refused = upload(client, "/admin/import-orgs", "/admin/orgs",
                     workbook(ORGS, ["unit-ok", "好科", "unit", "county-a"], ["unit-bad", "坏科", "unit", "nowhere"]))
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'id="import-errors"' in html
    assert re.search(r"<td>3</td><td>上级机构代码</td><td>[^<]*nowhere", html)
    assert "unit-ok" not in client.get("/admin/orgs").get_data(as_text=True)


def test_a_county_administrator_cannot_import_into_the_city(app, client):
    with app.app_context():
        from web.auth import hash_password
        from web.database import session as db_session

        db = db_session()
        people.add_user(db, "admin_a", "甲区管理员", "county-a", ["admin"], password_hash=hash_password("demo1234"))
        db.commit()
    login(client, "admin_a")
    refused = upload(client, "/admin/import-users", "/admin/users",
                     workbook(USERS, ["imp_wei", "魏", "", "city-bureau", "handler"]))
    assert refused.status_code == 422 and "city-bureau" in refused.get_data(as_text=True)
    login(client, "zhang")
    assert upload(client, "/admin/import-users", "/inbox", workbook(USERS)).status_code == 403


def test_the_admin_commands_import_all_or_nothing_and_print_the_passwords(app, tmp_path):
    runner = app.test_cli_runner()
    from web.cli import admin

    good = tmp_path / "users.xlsx"
    good.write_bytes(workbook(USERS, ["imp_sun", "孙经办", "", "county-b", "handler"]).getvalue())
    done = runner.invoke(admin, ["import-users", str(good), "--actor", "admin"])
    assert done.exit_code == 0, done.output
    assert "新增 1 名" in done.output and re.search(r"imp_sun\s+\S{12}", done.output)
    again = runner.invoke(admin, ["import-users", str(good), "--actor", "admin"])
    assert "未变 1 名" in again.output and not re.search(r"imp_sun\s+\S{12}", again.output)
    bad = tmp_path / "orgs.xlsx"
    bad.write_bytes(workbook(ORGS, ["u-1", "一", "unit", "county-b"], ["u-2", "", "unit", "county-b"]).getvalue())
    refused = runner.invoke(admin, ["import-orgs", str(bad), "--actor", "admin"])
    assert refused.exit_code == 1 and "第 3 行 机构名称：必填" in refused.output
    assert runner.invoke(admin, ["import-orgs", str(bad), "--actor", "zhang"]).exit_code == 2
    out = tmp_path / "template.xlsx"
    assert runner.invoke(admin, ["template", "orgs", str(out)]).exit_code == 0
    assert [c.value for c in load_workbook(out).active[1]] == ORGS


def test_an_imported_users_password_is_drawn_by_the_policys_generator_and_kept_in_his_history(app, client,
                                                                                               monkeypatch):
    from web.database import session as db_session

    monkeypatch.setitem(app.config, "PASSWORD_MIN_LENGTH", 20)
    login(client, "admin")
    done = upload(client, "/admin/import-users", "/admin/users",
                  workbook(USERS, ["imp_zhao", "赵经办", "", "county-a", "经办人"]))
    password = re.search(r"<td>imp_zhao</td><td><code>([^<]+)</code>", done.get_data(as_text=True)).group(1)
    assert len(password) >= 20                  # the deployment's length, as an administrator's new user gets
    with app.app_context():
        db = db_session()
        user = people.user_by_name(db, "imp_zhao")
        kept = db.scalars(select(PasswordHistory.password_hash).where(PasswordHistory.user_id == user.id)).all()
        assert kept == [user.password_hash]
    imported = app.test_client()
    assert login(imported, "imp_zhao", password).status_code == 302
    again = imported.post("/account/password", data={"csrf_token": csrf(imported, "/account/password"),
                                                     "current": password, "new": password, "again": password})
    assert again.status_code == 422
    assert field_errors(again.get_data(as_text=True))["new"].startswith("重复使用规则")


def test_the_admin_commands_refuse_an_unknown_actor_or_user_with_a_message_not_a_traceback(app, tmp_path):
    runner = app.test_cli_runner()
    from web.cli import admin, set_password_command

    unknown = runner.invoke(admin, ["template", "users", str(tmp_path / "t.xlsx"), "--actor", "nobody"])
    assert unknown.exit_code == 2 and "nobody" in unknown.output and unknown.exception.__class__ is SystemExit
    assert not (tmp_path / "t.xlsx").exists()
    missing = runner.invoke(set_password_command, ["nobody", "--password", "Zx9!long-enough-pass"])
    assert missing.exit_code == 2 and "nobody" in missing.output
