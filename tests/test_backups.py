"""Backup and restore, end to end on both databases: a running case with a pending timer, an uploaded file and a
document is backed up while the database is open, restored into a new database, and goes on there."""
from __future__ import annotations

import itertools
import json

import pytest
from sqlalchemy import text

from engine.core import backups
from engine.core.db import connect, session_factory
from engine.core.errors import InvalidState

from .running_case import assert_case_goes_on, assert_files_kept, make_running_case

_names = itertools.count()


@pytest.fixture
def fresh_url(db_url, tmp_path):
    """A database of the same kind as `db_url` that does not hold a single table yet."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path}/restored.sqlite"
        return
    server, name = db_url.rsplit("/", 1)[0], f"restored_{next(_names)}"
    admin = connect(server + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    yield f"{server}/{name}"
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def _session_on(url):
    engine = connect(url)
    return engine, session_factory(engine)()


def test_a_restored_backup_runs_the_case_and_fires_its_timer(engine, session, deployed, db_url, fresh_url, tmp_path):
    case_id = make_running_case(engine, session)
    secret = tmp_path / "instance" / "secret_key"
    secret.parent.mkdir()
    secret.write_text("a-secret")
    manifest = backups.back_up(db_url, tmp_path / "backup", {"secret_key": secret,
                                                             "settings": tmp_path / "instance" / "lawflow.json"})
    assert manifest["rows"]["case_instance"] == 1 and manifest["rows"]["attachment"] == 1
    assert list(manifest["files"]) == ["secret_key"]          # no settings file: nothing to copy
    session.close()

    restored = backups.restore(tmp_path / "backup", fresh_url)
    assert restored["rows"] == manifest["rows"]
    sql, moved = _session_on(fresh_url)
    try:
        assert_files_kept(moved, case_id)
        assert_case_goes_on(moved, case_id)
    finally:
        moved.close()
        sql.dispose()
    elsewhere = tmp_path / "elsewhere" / "secret_key"
    assert backups.restore_files(tmp_path / "backup", {"secret_key": elsewhere, "settings": tmp_path / "x"}) == \
        {"secret_key": "written", "settings": "absent"}
    assert elsewhere.read_text() == "a-secret"
    assert backups.restore_files(tmp_path / "backup", {"secret_key": elsewhere}) == {"secret_key": "same"}


def test_a_backup_is_restored_only_into_an_empty_database_and_only_unchanged(session, org_tree, db_url, tmp_path):
    backups.back_up(db_url, tmp_path / "backup")
    with pytest.raises(InvalidState) as refused:
        backups.restore(tmp_path / "backup", db_url)          # the database it came from has every table
    assert refused.value.message_code == "restore.target_not_empty"
    with pytest.raises(InvalidState) as again:
        backups.back_up(db_url, tmp_path / "backup")
    assert again.value.message_code == "backup.folder_not_empty"

    with pytest.raises(InvalidState) as missing:
        backups.back_up(f"sqlite:///{tmp_path}/none.sqlite", tmp_path / "other")
    assert missing.value.message_code == "backup.no_database" and not (tmp_path / "none.sqlite").exists()

    name = next(iter(json.loads((tmp_path / "backup" / "manifest.json").read_text())["database"]))
    with open(tmp_path / "backup" / name, "ab") as damaged:
        damaged.write(b"\0")
    with pytest.raises(InvalidState) as changed:
        backups.restore(tmp_path / "backup", db_url)
    assert changed.value.message_code == "restore.file_damaged" and changed.value.params == {"file": name}


def test_backup_and_restore_commands(tmp_path):
    from web import create_app
    from web.cli import main

    database, secret = tmp_path / "county.sqlite", tmp_path / "instance" / "secret_key"
    app = create_app({"DATABASE_URL": f"sqlite:///{database}", "SECRET_KEY": "test-secret", "TESTING": True,
                      "SECRET_KEY_FILE": str(secret)})
    secret.parent.mkdir()
    secret.write_text("kept")
    runner = app.test_cli_runner()
    assert runner.invoke(main, ["init-db"]).exit_code == 0
    made = runner.invoke(main, ["backup", str(tmp_path / "backup")])
    assert made.exit_code == 0 and "附带文件 secret_key" in made.output
    refused = runner.invoke(main, ["restore", str(tmp_path / "backup")])
    assert refused.exit_code == 1 and "请恢复到新建的空数据库" in refused.output
    app.extensions["lawflow.sql"].dispose()

    database.unlink()
    secret.unlink()
    done = runner.invoke(main, ["restore", str(tmp_path / "backup")])
    assert done.exit_code == 0 and "各表行数与备份一致" in done.output and "secret_key：已写回" in done.output
    assert secret.read_text() == "kept" and database.is_file()


def test_a_backup_made_during_an_unfinished_write_holds_what_was_committed(session, org_tree, db_url, tmp_path):
    sql = connect(db_url)
    try:
        with sql.connect() as writing:
            writing.execute(text("INSERT INTO role (code, name) VALUES ('later', '未提交的角色')"))   # holds the lock
            manifest = backups.back_up(db_url, tmp_path / "backup")
            writing.commit()
    finally:
        sql.dispose()
    # counted in the backup file itself (SQLite), or in the snapshot pg_dump wrote (PostgreSQL)
    assert manifest["rows"]["role"] == 3 and manifest["rows"]["user_account"] == 6
