"""`lawflow set-password` and `lawflow admin import-orgs|import-users|template`: people from the command line,
through the same policy and the same all-or-nothing import as the 系统管理 pages."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from engine.core import DataValidationError, people

from .cli import _import_file, _sessions
from .command_errors import refusal_exits
from .engine_text import engine_text
from .workflow import engine


@click.command("set-password")
@with_appcontext
@click.argument("username")
@click.option("--password", prompt="新密码", hide_input=True, confirmation_prompt="再次输入新密码",
              help="the new password (asked for, unseen, when not given)")
@click.option("--must-change", is_flag=True, help="the user must choose his own password at the next sign-in")
def set_password_command(username: str, password: str, must_change: bool) -> None:
    """Set a user's password, checked against the password policy (length, common, personal, reuse); audited."""
    from engine.work import passwords as policy     # here, as registry-import does: other commands need neither

    from .passwords import checked_hash, person

    with _sessions()() as session:
        with refusal_exits():
            user = people.user_by_name(session, username)
        try:
            hashed = checked_hash(session, password, person(user), user_id=user.id)
        except DataValidationError as refused:
            click.echo("\n".join(engine_text(error) for error in refused.errors), err=True)
            sys.exit(1)
        policy.set_by_operator(session, user, hashed, engine().now(), actor="cli", must_change=must_change)
        session.commit()
    click.echo(f"已设置 {username} 的密码" + ("（下次登录须修改）" if must_change else ""))


# 系统管理 (issue 22): organisations and users from Excel, for scripting.
@click.group("admin", cls=AppGroup)     # its commands run in the app context, as `main`'s do
def admin() -> None:
    """System administration (系统管理) of organisations and users."""


@admin.command("import-orgs")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--actor", required=True, help="the administrator importing: rows may name his subtree only")
def admin_import_orgs(path: str, actor: str) -> None:
    """Import organisations (code, name, kind, parent code) from an xlsx or csv file, matched by code: all its
    rows, or none (exit 1, each wrong row and column listed); importing the same file again changes nothing."""
    from engine.work import people_import

    done = _import_file(path, actor, lambda session, user, stream: people_import.import_orgs(
        session, _administrator(user), Path(path).name, stream, engine().now(), texts=(engine_text,)))
    click.echo(f"已导入机构：新增 {done.added} 个，更新 {done.updated} 个，未变 {done.unchanged} 个")


@admin.command("import-users")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--actor", required=True, help="the administrator importing: rows may name his subtree only")
def admin_import_users(path: str, actor: str) -> None:
    """Import users (username, name, e-mail, organisation code, roles) from an xlsx or csv file, matched by
    username: all its rows, or none (exit 1); each new user's one-time password is printed once."""
    from engine.work import people_import

    from .passwords import one_time

    done = _import_file(path, actor, lambda session, user, stream: people_import.import_users(
        session, _administrator(user), Path(path).name, stream, engine().now(), one_time(session),
        texts=(engine_text,)))
    click.echo(f"已导入用户：新增 {done.added} 名，更新 {done.updated} 名，未变 {done.unchanged} 名")
    if done.passwords:
        click.echo("新用户的初始密码（仅显示这一次，首次登录须修改）：")
        for username, password in done.passwords:
            click.echo(f"  {username:<16} {password}")


@admin.command("template")
@click.argument("kind", type=click.Choice(["orgs", "users"]))
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@click.option("--actor", default=None, help="fill the template with this administrator's organisations or users")
def admin_template(kind: str, path: str, actor: str | None) -> None:
    """Write the import template of organisations or users (Chinese headers) to PATH."""
    from engine.work import people_import

    with _sessions()() as session, refusal_exits():
        rows = people_import.current_rows(session, _administrator(people.user_by_name(session, actor)), kind) \
            if actor else ()
        Path(path).write_bytes(people_import.template_workbook(kind, engine_text, rows))
    click.echo(f"已写入 {path}")


def _administrator(user):
    """The user if he holds the administrator role; else the command stops (exit 2)."""
    if not any(r.code == current_app.config["ADMIN_ROLE"] for r in user.roles):
        click.echo(f"{user.username} 不是系统管理员", err=True)
        sys.exit(2)
    return user
