"""Sign-in that a government office can use (issue 22): the password policy refuses a short, common, personal or
reused password with a Chinese message naming the rule, on every path that sets one; the TOTP second factor is
enrolled with a code, asked for after the password, refused when wrong (counting toward the lockout) or replayed,
forced on the holders of TOTP_REQUIRED_ROLES before anything else, and reset by an administrator (audited); API
tokens are unaffected. On both databases, with the clock held by time_machine."""
from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
import time_machine
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from engine.core import AuditEvent, DataValidationError, PasswordHistory, SecondFactor, SignInFailure, people
from engine.work import passwords, second_factor
from web.cli import main
from web.database import session as db_session

from .conftest import DEMO_MOMENT
from .helpers import zh
from .web_helpers import csrf, field_errors, login, token_for

RULES = passwords.PasswordRules(min_length=10, history=5)
STRONG = "长城-长江-黄河-2027"


def post(client, path, data, page=None):
    return client.post(path, data={"csrf_token": csrf(client, page or path), **data})


def hashed(password: str) -> str:
    return generate_password_hash(password, method="pbkdf2:sha256:1000")      # quick: the rule, not the hash, is tested


def refused(session, password, person, user_id=None) -> str:
    with pytest.raises(DataValidationError) as refusal:
        passwords.check(session, password, RULES, person, check_password_hash, user_id=user_id)
    (error,) = refusal.value.errors
    assert error.field == "password"
    return zh(error)


# ---------------------------------------------------------------- the policy, in the engine

def test_each_rule_of_the_policy_refuses_with_a_message_naming_it(session, org_tree):
    alice = people.user_by_name(session, "alice")       # 张三 of county-a
    me = passwords.Person("alice", "张三", "county-a")
    assert refused(session, "短密码123", me) == "密码长度规则：至少 10 个字符"
    for common in ("woaini1314", "qwertyuiop", "1234567890", "Password2024!", "woaini5201314", "aaaaaaaaaaaa"):
        assert refused(session, common, me).startswith("常见密码规则："), common
    for personal, word in (("Zhangsan@Wuhan2027", "zhangsan"), ("x-ALICE-in-2027", "alice"),
                           ("hello-张三-2027", "张三"), ("Xcounty-a!2027q", "county-a"), ("sanzhang#1985!", "sanzhang")):
        assert refused(session, personal, me) == f"个人信息规则：密码不能包含用户名、姓名（含拼音）或机构代码（{word}）"
    passwords.check(session, STRONG, RULES, me, check_password_hash, user_id=alice.id)      # allowed: nothing raised


def test_none_of_the_last_five_passwords_may_be_chosen_again(session, org_tree):
    alice = people.user_by_name(session, "alice")
    me = passwords.Person("alice", "张三", "county-a")
    used = [f"长城-第{n}段-2027" for n in range(7)]
    for n, password in enumerate(used):
        passwords.remember(session, alice.id, hashed(password), DEMO_MOMENT + timedelta(days=n))
    session.commit()
    for password in used[-5:]:
        assert refused(session, password, me, user_id=alice.id) == "重复使用规则：不能使用本账号最近 5 次用过的密码"
    passwords.check(session, used[1], RULES, me, check_password_hash, user_id=alice.id)    # six changes ago: allowed
    for n in range(30):
        passwords.remember(session, alice.id, hashed(f"x{n}"), DEMO_MOMENT)
    kept = session.scalar(select(func.count()).where(PasswordHistory.user_id == alice.id))
    assert kept == passwords.KEPT


def test_an_account_without_history_cannot_choose_its_current_password_again(session, org_tree):
    alice = people.user_by_name(session, "alice")
    alice.password_hash = hashed(STRONG)
    session.commit()
    assert refused(session, STRONG, passwords.Person("alice", "张三", "county-a"), user_id=alice.id).startswith(
        "重复使用规则")


# ---------------------------------------------------------------- the policy on the pages and the command line

def test_the_password_page_refuses_each_rule_and_a_reused_password(app, client):
    login(client, "zhang")          # 张明 of county-a
    for new, rule in (("short1", "密码长度规则"), ("woaini1314", "常见密码规则"), ("zhangming-2027", "个人信息规则"),
                      ("demo1234", "密码长度规则")):
        page = post(client, "/account/password", {"current": "demo1234", "new": new, "again": new})
        assert page.status_code == 422 and field_errors(page.get_data(as_text=True))["new"].startswith(rule)
    changed = post(client, "/account/password", {"current": "demo1234", "new": STRONG, "again": STRONG})
    assert changed.status_code == 302
    second = "黄山-泰山-华山-2027"
    assert post(client, "/account/password", {"current": STRONG, "new": second, "again": second}).status_code == 302
    back = post(client, "/account/password", {"current": second, "new": STRONG, "again": STRONG})
    assert back.status_code == 422
    assert field_errors(back.get_data(as_text=True))["new"] == "重复使用规则：不能使用本账号最近 5 次用过的密码"
    client.get("/lang/en")
    english = post(client, "/account/password", {"current": second, "new": "woaini1314", "again": "woaini1314"})
    assert field_errors(english.get_data(as_text=True))["new"].startswith("Password rule on common passwords")


def test_an_administrators_reset_and_the_command_line_go_through_the_policy(app, client):
    with app.app_context():
        zhang_id = people.user_by_name(db_session(), "zhang").id
    login(client, "admin")
    reset = post(client, f"/admin/users/{zhang_id}/password", {}, page=f"/admin/users/{zhang_id}")
    given = re.search(r'id="new-password">[^<]*<code>([^<]+)</code>', reset.get_data(as_text=True)).group(1)
    assert len(given) >= 10
    with app.app_context():
        db = db_session()
        assert db.scalar(select(func.count()).where(PasswordHistory.user_id == zhang_id)) == 1
        assert passwords.refusal(db, given, RULES, passwords.Person("zhang", "张明", "county-a"),
                                 check_password_hash, user_id=zhang_id)[1] == "reused"
    runner = app.test_cli_runner()
    weak = runner.invoke(main, ["set-password", "zhang", "--password", "qwertyuiop"])
    assert weak.exit_code == 1 and "常见密码规则" in weak.output
    done = runner.invoke(main, ["set-password", "zhang", "--password", STRONG])
    assert done.exit_code == 0, done.output
    assert login(app.test_client(), "zhang", STRONG).status_code == 302
    again = runner.invoke(main, ["set-password", "zhang", "--password", STRONG])
    assert again.exit_code == 1 and "重复使用规则" in again.output
    with app.app_context():
        (event,) = db_session().scalars(select(AuditEvent).where(AuditEvent.action == "admin.password_set"))
        assert event.actor == "cli" and STRONG not in str(event.detail)


# ---------------------------------------------------------------- the second factor

class PlainBox:
    """A box that seals nothing (the engine's rules, not the web's key, are tested here)."""

    def seal(self, secret: str) -> str:
        return "plain:" + secret

    def open(self, sealed: str) -> str | None:
        return sealed.removeprefix("plain:")


def test_a_code_is_accepted_one_step_either_side_and_only_once(session, org_tree):
    alice, box = people.user_by_name(session, "alice"), PlainBox()
    with time_machine.travel(DEMO_MOMENT, tick=False):
        secret = second_factor.pending_secret(session, alice, box, DEMO_MOMENT)
        assert not second_factor.verify(session, alice, pyotp.TOTP(secret).now(), box, DEMO_MOMENT)     # not yet
        assert second_factor.confirm(session, alice, pyotp.TOTP(secret).now(), box, DEMO_MOMENT)
    session.commit()
    assert second_factor.is_enrolled(session, alice)
    at = DEMO_MOMENT + timedelta(minutes=3)
    totp = pyotp.TOTP(secret)
    assert not second_factor.verify(session, alice, totp.at(at - timedelta(seconds=60)), box, at)    # two steps old
    assert second_factor.verify(session, alice, totp.at(at - timedelta(seconds=30)), box, at)        # one step: drift
    assert not second_factor.verify(session, alice, totp.at(at - timedelta(seconds=30)), box, at)    # once only
    assert not second_factor.verify(session, alice, "12 34", box, at)
    assert second_factor.verify(session, alice, " ".join([totp.at(at)[:3], totp.at(at)[3:]]), box, at)
    session.commit()
    assert second_factor.reset(session, alice, alice, at) and not second_factor.is_enrolled(session, alice)


def enrol(client) -> str:
    """Enrol the signed-in user's second factor with a code computed by pyotp at the held clock; the secret."""
    page = client.get("/account/totp").get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    uri = re.search(r'id="totp-uri">([^<]+)<', page).group(1)
    assert uri.startswith("otpauth://totp/") and f"secret={secret}" in uri and "<svg" in page
    wrong = post(client, "/account/totp", {"code": "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"})
    assert wrong.status_code == 422 and "验证码不正确" in field_errors(wrong.get_data(as_text=True))["code"]
    done = post(client, "/account/totp", {"code": pyotp.TOTP(secret).at(DEMO_MOMENT)})
    assert done.status_code == 302
    return secret


def test_a_user_enrols_and_then_signs_in_with_a_code_each_code_once(app, client):
    login(client, "zhang")
    secret = enrol(client)
    with app.app_context():
        factor = db_session().scalar(select(SecondFactor))
        assert factor.confirmed_at is not None and secret not in factor.sealed_secret       # stored sealed
    later = app.test_client()
    with time_machine.travel(DEMO_MOMENT + timedelta(minutes=5), tick=False):
        held = login(later, "zhang")
        assert held.status_code == 302 and held.location.endswith("/login/code")
        assert later.get("/inbox").status_code == 302           # the password alone opens nothing
        code = pyotp.TOTP(secret).at(DEMO_MOMENT + timedelta(minutes=5))
        assert post(later, "/login/code", {"code": code}, page="/login/code").status_code == 302
        assert later.get("/inbox").status_code == 200
        replay = app.test_client()
        login(replay, "zhang")
        again = post(replay, "/login/code", {"code": code}, page="/login/code")
        assert again.status_code == 401 and "已使用" in again.get_data(as_text=True)
    with time_machine.travel(DEMO_MOMENT + timedelta(minutes=5, seconds=30), tick=False):     # the next step's code
        code = pyotp.TOTP(secret).at(DEMO_MOMENT + timedelta(minutes=5, seconds=30))
        assert post(replay, "/login/code", {"code": code}, page="/login/code").status_code == 302


def test_wrong_codes_count_toward_the_lockout_as_wrong_passwords_do(app, client):
    login(client, "zhang")
    secret = enrol(client)
    app.config["LOGIN_MAX_FAILURES"] = 3
    attacker = app.test_client()
    with time_machine.travel(DEMO_MOMENT + timedelta(minutes=5), tick=False):
        right = pyotp.TOTP(secret).at(DEMO_MOMENT + timedelta(minutes=5))
        wrong = "000000" if right != "000000" else "111111"
        login(attacker, "zhang")
        for _ in range(2):
            assert post(attacker, "/login/code", {"code": wrong}, page="/login/code").status_code == 401
        login(attacker, "zhang")        # a right password again clears nothing: only a right code would
        assert post(attacker, "/login/code", {"code": wrong}, page="/login/code").status_code == 401
        with app.app_context():
            assert db_session().scalar(select(func.count()).where(SignInFailure.scope == "account")) == 3
        locked = post(attacker, "/login/code", {"code": right}, page="/login/code")
        assert locked.status_code in (302, 401) and attacker.get("/inbox").status_code == 302
        assert "登录失败次数过多" in login(app.test_client(), "zhang").get_data(as_text=True)


def test_holders_of_required_roles_enrol_before_anything_else_and_tokens_are_unaffected(app, client):
    app.config["TOTP_REQUIRED_ROLES"] = "admin,policy"
    headers = token_for(app, "admin")
    login(client, "admin")
    held = client.get("/inbox")
    assert held.status_code == 302 and held.location.endswith("/account/totp")
    assert client.get("/admin/users").location.endswith("/account/totp")
    page = client.get("/account/totp").get_data(as_text=True)
    assert 'id="must-enrol"' in page
    client.get("/lang/en")
    english = client.get("/account/totp").get_data(as_text=True)
    assert "Your role must use an authenticator code" in english and "扫描" not in english and "确认绑定" not in english
    client.get("/lang/zh")
    assert app.test_client().get("/api/v1/tasks", headers=headers).status_code == 200         # the API goes on
    enrol(client)
    assert client.get("/inbox").status_code == 200
    zhang = app.test_client()
    login(zhang, "zhang")
    assert zhang.get("/inbox").status_code == 200          # a handler need not enrol


def test_an_administrator_resets_a_users_second_factor_and_it_is_audited(app, client):
    zhang = app.test_client()
    login(zhang, "zhang")
    enrol(zhang)
    with app.app_context():
        zhang_id = people.user_by_name(db_session(), "zhang").id
    login(client, "admin")
    page = client.get(f"/admin/users/{zhang_id}").get_data(as_text=True)
    assert 'id="reset-totp"' in page
    assert post(client, f"/admin/users/{zhang_id}/totp", {}, page=f"/admin/users/{zhang_id}").status_code == 302
    with app.app_context():
        db = db_session()
        assert db.scalar(select(func.count()).select_from(SecondFactor)) == 0
        (event,) = db.scalars(select(AuditEvent).where(AuditEvent.action == "admin.totp_reset"))
        assert (event.actor, event.detail) == ("admin", {"user": "zhang"})
    assert login(app.test_client(), "zhang").location.endswith("/inbox")       # the password alone again


# ---------------------------------------------------------------- the schema

def test_the_new_tables_come_and_go_with_their_migration_and_match_the_models(session, sql_engine, db_url):
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import inspect

    from engine.core import Base
    from engine.core.db import alembic_config

    session.close()
    command.downgrade(alembic_config(db_url), "0013")
    sql_engine.dispose()
    assert not {"password_history", "second_factor"} & set(inspect(sql_engine).get_table_names())
    command.upgrade(alembic_config(db_url), "head")
    sql_engine.dispose()
    with sql_engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [d for d in differences if "password_history" in str(d) or "second_factor" in str(d)] == []


def test_a_user_whose_role_does_not_require_it_turns_the_second_factor_off_with_a_code(app, client):
    login(client, "zhang")
    secret = enrol(client)
    at = DEMO_MOMENT + timedelta(minutes=2)
    with time_machine.travel(at, tick=False):
        right = pyotp.TOTP(secret).at(at)
        wrong = post(client, "/account/totp/off", {"code": "000000" if right != "000000" else "111111"},
                     page="/account/totp")
        assert wrong.status_code == 422 and "未停用" in field_errors(wrong.get_data(as_text=True))["code"]
        assert post(client, "/account/totp/off", {"code": right}, page="/account/totp").status_code == 302
    with app.app_context():
        assert db_session().scalar(select(func.count()).select_from(SecondFactor)) == 0
    app.config["TOTP_REQUIRED_ROLES"] = "admin,policy"
    login(client, "admin")
    enrol(client)
    assert 'id="totp-off"' not in client.get("/account/totp").get_data(as_text=True)      # required: no way off
    assert post(client, "/account/totp/off", {"code": "123456"}, page="/account/totp").status_code == 403
