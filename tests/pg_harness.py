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


# The tests' fast settings: a crash of the machine may lose or corrupt committed work, which a throwaway test
# cluster does not mind. A benchmark runs with `durable=True` (PostgreSQL's own defaults) so that its figures are
# those of a production server.
FAST_SETTINGS = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"


class PostgresServer:
    """A PostgreSQL cluster in a temporary directory, listening on a free loopback port; `durable`: with
    PostgreSQL's default (crash-safe) settings instead of the tests' fast ones."""

    def __init__(self, *, durable: bool = False) -> None:
        self.durable = durable
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
        fast = "" if self.durable else f"{FAST_SETTINGS} "
        options = f"-p {self.port} -k {self.dir} -h 127.0.0.1 {fast}-c max_connections=200"
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

    def durability(self, url: str) -> dict[str, str]:
        """The settings that decide whether a committed transaction survives a crash, as the server reports them."""
        from sqlalchemy import create_engine, text

        sql = create_engine(url)
        with sql.connect() as conn:
            found = {name: conn.execute(text(f"SHOW {name}")).scalar()
                     for name in ("fsync", "synchronous_commit", "full_page_writes")}
        sql.dispose()
        return found

    def postmaster_pid(self) -> int:
        """The pid of the cluster's main process (its backends are its children)."""
        return int((self.data / "postmaster.pid").read_text().split("\n", 1)[0])

    def stop(self) -> None:
        """Stop the cluster and remove its files."""
        subprocess.run(_as_pg_user(["pg_ctl", "-D", str(self.data), "-m", "immediate", "stop"]),
                       capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)
