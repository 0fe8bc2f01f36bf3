"""`lawflow backup`, `restore` and `move-database`: whole databases copied, restored and moved (README "Backup,
restore and moving to PostgreSQL")."""
from __future__ import annotations

import os
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from engine.core import backups, database_move

from . import config as config_module
from .command_errors import refusal_exits


def _instance_files() -> dict[str, Path]:
    """The files a deployment keeps beside its database: its secret key and its settings file."""
    settings = os.environ.get(config_module.PREFIX + "CONFIG_FILE", config_module.INSTANCE_FILE)
    return {"secret_key": Path(current_app.config["SECRET_KEY_FILE"]), "settings": Path(settings).resolve()}


@click.command("backup")
@with_appcontext
@click.argument("folder", type=click.Path(file_okay=False))
def backup(folder: str) -> None:
    """Back up the database (and the secret key and settings files beside it) into FOLDER, new or empty, while
    the servers run: SQLite's online backup or pg_dump."""
    with refusal_exits(1):
        manifest = backups.back_up(current_app.config["DATABASE_URL"], Path(folder), _instance_files())
    click.echo(f"已备份到 {folder}：结构版本 {manifest['schema_revision']}，{sum(manifest['rows'].values())} 行，"
               f"附带文件 {('、'.join(manifest['files'])) or '无'}")


@click.command("restore")
@with_appcontext
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
def restore(folder: str) -> None:
    """Restore the backup in FOLDER into the configured database, which must be new and empty; put the secret key
    and settings files back where none are."""
    with refusal_exits(1):
        manifest = backups.restore(Path(folder), current_app.config["DATABASE_URL"])
        files = backups.restore_files(Path(folder), _instance_files())
    click.echo(f"已恢复 {manifest['made_at']} 的备份：结构版本 {manifest['schema_revision']}，"
               f"{sum(manifest['rows'].values())} 行，各表行数与备份一致")
    said = {"written": "已写回", "same": "已存在且相同", "kept": "已存在且不同，保留现有文件", "absent": "备份中没有"}
    for name, done in files.items():
        click.echo(f"  {name}：{said[done]}")


@click.command("move-database")
@with_appcontext
@click.option("--from", "source", default=None, help="the database to move (default: the configured one), "
                                                     "e.g. sqlite:///instance/lawflow.sqlite")
@click.option("--to", "target", required=True, help="an empty database to move it into, e.g. "
                                                     "postgresql+psycopg://lawflow@db/lawflow")
def move_database(source: str | None, target: str) -> None:
    """Move every row of a database (a county's SQLite file) into an empty one (the city's PostgreSQL) in one
    transaction, and compare each table's rows; refused when the target holds any data, so it runs once."""
    with refusal_exits(1):
        moved = database_move.move_database(source or current_app.config["DATABASE_URL"], target)
    width = max(len(m.table) for m in moved)
    for m in moved:
        click.echo(f"  {m.table:<{width}}  {m.source:>9} → {m.target:>9}")
    click.echo(f"已迁移 {len(moved)} 张表、{sum(m.target for m in moved)} 行，各表行数一致。"
               f"今后请将 DATABASE_URL 指向新数据库。")
