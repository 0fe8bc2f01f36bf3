"""Starts a throwaway PostgreSQL server for the tests (as an unprivileged user when run as root)."""
from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

PG_USER = "lawflow-pg"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_pg_user(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", PG_USER, "--", *cmd]


def _ensure_user() -> None:
    if os.geteuid() != 0:
        return
    try:
        pwd.getpwnam(PG_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", PG_USER],
                       check=True)


class PostgresServer:
    """A PostgreSQL cluster in a temporary directory, listening on a free loopback port."""

    def __init__(self) -> None:
        for program in ("initdb", "pg_ctl"):
            if shutil.which(program) is None:
                raise RuntimeError(f"{program} not found on PATH: install PostgreSQL server programs")
        _ensure_user()
        self.dir = Path(tempfile.mkdtemp(prefix="lawflow-pg-"))
        self.data = self.dir / "data"
        self.port = _free_port()
        if os.geteuid() == 0:
            shutil.chown(self.dir, PG_USER, PG_USER)
        os.chmod(self.dir, 0o700)

    def start(self) -> str:
        """Initialise and start the cluster; return a superuser SQLAlchemy URL."""
        subprocess.run(_as_pg_user(["initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                                    "-E", "UTF8", "--locale=C"]), check=True, capture_output=True)
        options = (f"-p {self.port} -k {self.dir} -h 127.0.0.1 -c fsync=off -c synchronous_commit=off "
                   f"-c full_page_writes=off -c max_connections=200")
        subprocess.run(_as_pg_user(["pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.dir / "log"),
                                    "-w", "start"]), check=True, capture_output=True)
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def create_database(self, name: str) -> str:
        """Create an empty database on the running cluster; return its SQLAlchemy URL."""
        from sqlalchemy import create_engine, text

        admin = create_engine(f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres",
                              isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def postmaster_pid(self) -> int:
        """The pid of the cluster's main process (its backends are its children)."""
        return int((self.data / "postmaster.pid").read_text().split("\n", 1)[0])

    def stop(self) -> None:
        """Stop the cluster and remove its files."""
        subprocess.run(_as_pg_user(["pg_ctl", "-D", str(self.data), "-m", "immediate", "stop"]),
                       capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)
