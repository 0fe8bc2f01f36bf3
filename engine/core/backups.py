"""Backups of a whole database into a folder and their restoration into a fresh one: pg_dump / pg_restore for
PostgreSQL, SQLite's online backup for the embedded file. Documents and attachments are rows of the database, so
they are in it; the few files a deployment keeps beside it (its secret key, its settings) are copied along.

A backup folder holds the database (`database.sqlite` or `database.dump`), `files/` and `manifest.json`: when and
from which kind of database it was made, the schema revision, the rows of every table as the backup holds them, and
the SHA-256 of each file, checked again before anything is restored."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from .database_state import model_tables, row_counts, schema_revision, table_names
from .db import connect
from .errors import InvalidState
from .messages import Msg

MANIFEST = "manifest.json"
FORMAT = 1
DATABASE_FILES = {"sqlite": "database.sqlite", "postgresql": "database.dump"}


def back_up(url: str, folder: Path, files: dict[str, Path] | None = None) -> dict:
    """Write a backup of the database at `url` into `folder` (new or empty), with copies of the named files that
    exist; return its manifest. The database is copied while it runs: the backup is one consistent moment."""
    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        raise InvalidState(Msg("backup.folder_not_empty", folder=str(folder)))
    dialect = _dialect(url)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / DATABASE_FILES[dialect]
    revision, counts = (_back_up_sqlite if dialect == "sqlite" else _back_up_postgresql)(url, target)
    kept = {}
    for name, path in (files or {}).items():
        if Path(path).is_file():
            (folder / "files").mkdir(exist_ok=True)
            shutil.copy2(path, folder / "files" / name)
            kept[name] = _sha256(folder / "files" / name)
    manifest = {"format": FORMAT, "made_at": datetime.now(timezone.utc).isoformat(), "dialect": dialect,
                "schema_revision": revision, "rows": counts, "database": {target.name: _sha256(target)},
                "files": kept}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
    return manifest


def restore(folder: Path, url: str) -> dict:
    """Restore the backup in `folder` into the database at `url`, which must hold no tables (a new SQLite file, or
    a PostgreSQL database just created); check that every table holds the rows the manifest counts. Return the
    manifest. The schema is the backup's: a backup from an older version is upgraded after (`lawflow init-db`)."""
    manifest = read_manifest(folder)
    dialect = _dialect(url)
    if manifest["dialect"] != dialect:
        raise InvalidState(Msg("restore.other_dialect", made=manifest["dialect"], target=dialect))
    (name, _), = manifest["database"].items()
    engine = connect(url)
    try:
        with engine.connect() as conn:
            if table_names(conn):
                raise InvalidState(Msg("restore.target_not_empty", count=len(table_names(conn))))
    finally:
        engine.dispose()
    (_restore_sqlite if dialect == "sqlite" else _restore_postgresql)(Path(folder) / name, url)
    engine = connect(url)
    try:
        with engine.connect() as conn:
            revision = schema_revision(conn)
            counts = row_counts(conn, [t for t in model_tables() if t.name in manifest["rows"]])
    finally:
        engine.dispose()
    wrong = [f"{table} ({rows} → {counts.get(table)})" for table, rows in manifest["rows"].items()
             if counts.get(table) != rows]
    if revision != manifest["schema_revision"] or wrong:
        raise InvalidState(Msg("restore.counts_differ", tables=", ".join(wrong) or "alembic_version"))
    return manifest


def restore_files(folder: Path, places: dict[str, Path]) -> dict[str, str]:
    """Put the backup's copies of the named files back where the deployment keeps them, unless a file is there
    already: by name, `written`, `same` (already there, unchanged), `kept` (a different file there was left) or
    `absent` (not in the backup)."""
    manifest = read_manifest(folder)
    done = {}
    for name, place in places.items():
        if name not in manifest["files"]:
            done[name] = "absent"
            continue
        copy, place = Path(folder) / "files" / name, Path(place)
        if place.exists():
            done[name] = "same" if _sha256(place) == manifest["files"][name] else "kept"
            continue
        place.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(copy, place)
        done[name] = "written"
    return done


def read_manifest(folder: Path) -> dict:
    """The manifest of a backup folder, after checking every file it names is there unchanged."""
    path = Path(folder) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        listed = {**manifest["database"], **{f"files/{k}": v for k, v in manifest["files"].items()}}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        raise InvalidState(Msg("restore.no_manifest", folder=str(folder))) from None
    for name, digest in listed.items():
        if not (Path(folder) / name).is_file() or _sha256(Path(folder) / name) != digest:
            raise InvalidState(Msg("restore.file_damaged", file=name))
    return manifest


def _dialect(url: str) -> str:
    name = make_url(url).get_backend_name()
    if name not in DATABASE_FILES:
        raise InvalidState(Msg("backup.dialect", dialect=name))
    return name


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _sqlite_path(url: str) -> str:
    return make_url(url).database


def _back_up_sqlite(url: str, target: Path) -> tuple[str | None, dict[str, int]]:
    """SQLite's online backup API: pages copied while other connections go on reading and writing."""
    if not Path(_sqlite_path(url)).is_file():       # sqlite3 would make an empty one and back that up
        raise InvalidState(Msg("backup.no_database", path=_sqlite_path(url)))
    source, copy = sqlite3.connect(_sqlite_path(url)), sqlite3.connect(target)
    try:
        with copy:
            source.backup(copy)
    finally:
        source.close()
        copy.close()
    engine = connect(f"sqlite:///{target}")
    try:
        with engine.connect() as conn:
            return schema_revision(conn), row_counts(conn)
    finally:
        engine.dispose()


def _back_up_postgresql(url: str, target: Path) -> tuple[str | None, dict[str, int]]:
    """pg_dump in its custom format, of the snapshot in which the manifest's rows were counted."""
    engine = connect(url, isolation_level="REPEATABLE READ")
    try:
        with engine.connect() as conn:
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar()
            revision, counts = schema_revision(conn), row_counts(conn)
            _run("pg_dump", url, "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
                 f"--file={target}")
    finally:
        engine.dispose()
    return revision, counts


def _restore_sqlite(copy: Path, url: str) -> None:
    source, target = sqlite3.connect(copy), sqlite3.connect(_sqlite_path(url))
    try:
        with target:
            source.backup(target)
    finally:
        source.close()
        target.close()


def _restore_postgresql(copy: Path, url: str) -> None:
    _run("pg_restore", url, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", str(copy))


def _run(program: str, url: str, *arguments: str) -> None:
    """Run a PostgreSQL client program on the database at `url` (its password in the environment, not the
    command line, where other users of the machine could read it)."""
    if shutil.which(program) is None:
        raise InvalidState(Msg("backup.tool_missing", program=program))
    parsed = make_url(url)
    environment = dict(os.environ)
    if parsed.password:
        environment["PGPASSWORD"] = parsed.password
    address = parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    done = subprocess.run([program, f"--dbname={address}", *arguments], env=environment, capture_output=True,
                          text=True)
    if done.returncode != 0:
        raise InvalidState(Msg("backup.tool_failed", program=program, detail=done.stderr.strip()[-2000:]))
