"""HTTP part of the benchmark: task completions through the JSON API against the production setup
(`lawflow serve --workers 2`, gunicorn, PostgreSQL), with concurrent keep-alive clients on the same machine.

http_completions_per_s   completions per second with CLIENTS clients sending as fast as answers come (median of
                         ROUNDS rounds)
http_p95_ms              95th percentile latency at half that rate (an open-loop, evenly paced load)

    python tests/perf/http_bench.py [--quick] [--client socket|http.client]

The clients are threads of this process and share the machine's cores with the server and PostgreSQL, so what
they cost is taken from the server. By default each client is a plain socket that sends a request built from
pre-encoded bytes (only the task id changes) and reads the answer by its Content-Length: a real HTTP/1.1
keep-alive exchange, every answer read in full and its status checked, at a fraction of http.client's cost.
`--client http.client` measures with the standard library's client instead (what the first version of this
benchmark did); `http_client` in the output names the one used.
"""
from __future__ import annotations

import http.client
import json
import os
import queue
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = 8
ROUNDS = 3
APPLY = json.dumps({"data": {"title": "购置办公设备", "reason": "现有设备老化，影响办公"}}).encode()


def prepare(url: str, n_tasks: int) -> tuple[list[int], str]:
    """A migrated database with the bundle, one handler, `n_tasks` ready tasks and an API token for the handler."""
    from engine.definitions import bundles
    from engine.runtime import cases
    from engine.core import people
    from engine.core.db import connect, session_factory, upgrade
    from engine.runtime.engine import Engine
    from tests.sweepers import clone_case
    from web.tokens import _digest
    from engine.core.models import ApiToken

    upgrade(url)
    sql = connect(url)
    engine = Engine()
    with session_factory(sql)() as s:
        people.add_organization(s, "org", "示范机构")
        people.add_role(s, "handler", "经办人")
        people.add_role(s, "leader", "负责人")
        handler = people.add_user(s, "h", "经办", "org", ["handler"])
        people.add_user(s, "l", "负责", "org", ["leader"])
        bundles.deploy(s, bundles.collect(ROOT), engine=engine)
        first = cases.start_case(engine, s, "sample_review", {}, org_code="org")
        clone_case(s, first.id, n_tasks - 1)
        token = "lf_bench_" + os.urandom(8).hex()
        s.add(ApiToken(user_id=handler.id, name="bench", token_hash=_digest(token), created_at=engine.now()))
        s.commit()
        ids = [i for (i,) in s.execute(text(
            "SELECT id FROM human_task WHERE status = 'ready' AND element_id = 'Task_fill' ORDER BY id"))]
    sql.dispose()
    return ids, token


class Server:
    """`lawflow serve --workers 2` in its own process group."""

    def __init__(self, url: str, port: int):
        env = {**os.environ, "LAWFLOW_DATABASE_URL": url, "LAWFLOW_SECRET_KEY": "bench-" + os.urandom(8).hex(),
               "LAWFLOW_SCHEDULER_IN_PROCESS": "false"}
        lawflow = Path(sys.executable).with_name("lawflow")
        self.port = port
        # the server logs a line per request: to a file, never to a pipe nobody reads (it would fill and block it)
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen([str(lawflow), "serve", "--host", "127.0.0.1", "--port", str(port),
                                         "--workers", "2"], env=env, cwd=ROOT, start_new_session=True,
                                        stdout=subprocess.DEVNULL, stderr=self.log)

    def wait_ready(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.2)     # a benchmark, not a test: polling a starting server is fine here
        self.log.seek(0)
        raise RuntimeError("server did not start: " + self.log.read()[-4000:].decode(errors="replace"))

    def stop(self) -> None:
        os.killpg(self.process.pid, 15)
        self.process.wait(timeout=30)
        self.log.close()


class HttpClient:
    """A keep-alive client built on http.client."""

    def __init__(self, port: int, token: str):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def complete(self, task_id: int) -> int:
        """POST one completion; the answer's status."""
        self.conn.request("POST", f"/api/v1/tasks/{task_id}/complete", body=APPLY, headers=self.headers)
        response = self.conn.getresponse()
        response.read()
        return response.status


class SocketClient:
    """A keep-alive client on a plain socket: each request is pre-encoded bytes with the task id put in."""

    def __init__(self, port: int, token: str):
        self.port = port
        self.tail = (f" HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
                     f"Content-Type: application/json\r\nContent-Length: {len(APPLY)}\r\n\r\n").encode() + APPLY
        self.sock = None
        self.buffer = b""

    def complete(self, task_id: int) -> int:
        """POST one completion; the answer's status."""
        if self.sock is None:
            self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.sendall(b"POST /api/v1/tasks/%d/complete" % task_id + self.tail)
        return self._answer()

    def _answer(self) -> int:
        while b"\r\n\r\n" not in self.buffer:
            self._receive()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        fields = dict(line.split(b":", 1) for line in lines[1:])
        fields = {name.strip().lower(): value.strip().lower() for name, value in fields.items()}
        length = int(fields[b"content-length"])
        while len(self.buffer) < length:
            self._receive()
        self.buffer = self.buffer[length:]
        if fields.get(b"connection") == b"close":
            self.sock.close()
            self.sock, self.buffer = None, b""
        return status

    def _receive(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection in the middle of an answer")
        self.buffer += chunk


CLIENT_KINDS = {"socket": SocketClient, "http.client": HttpClient}


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds the processes have used so far (Linux /proc; 0 for those gone)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / _TICK


def _processes(match) -> list[int]:
    """Pids of the processes whose /proc stat fields (state, ppid, pgrp, …) satisfy `match`."""
    found = []
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else ():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if match(int(entry.name), fields):
                found.append(int(entry.name))
    return found


class CpuMeter:
    """CPU used by the server's processes, the database's and this process (the clients) over a stretch."""

    def __init__(self, server_pid: int, postmaster_pid: int):
        self.matches = {
            "server": lambda pid, f: int(f[2]) == server_pid,
            "database": lambda pid, f: pid == postmaster_pid or int(f[1]) == postmaster_pid,
        }
        self.start = self._now()

    def _now(self) -> dict:
        now = {name: {pid: _cpu_seconds([pid]) for pid in _processes(match)} for name, match in self.matches.items()}
        now["clients"] = time.process_time()
        now["wall"] = time.perf_counter()
        return now

    def per_completion_ms(self, completions: int) -> dict:
        """CPU milliseconds per completion for each side, and how many cores were busy on average."""
        end = self._now()
        spent = {name: sum(seconds - self.start[name].get(pid, 0.0) for pid, seconds in end[name].items())
                 for name in self.matches}
        spent["clients"] = end["clients"] - self.start["clients"]
        wall = end["wall"] - self.start["wall"]
        out = {f"http_cpu_ms_{name}": round(1000 * value / completions, 2) for name, value in spent.items()}
        out["http_cores_busy"] = round(sum(spent.values()) / wall, 2)
        return out


def closed_loop(port: int, ids: list[int], token: str, kind: str = "socket") -> tuple[float, int]:
    """Completions per second with CLIENTS clients each sending its next request when the last is answered."""
    work: queue.Queue = queue.Queue()
    for task_id in ids:
        work.put(task_id)
    failures = []

    def client():
        conn = CLIENT_KINDS[kind](port, token)
        while True:
            try:
                task_id = work.get_nowait()
            except queue.Empty:
                return
            if conn.complete(task_id) != 200:
                failures.append(task_id)

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(ids) / (time.perf_counter() - started), len(failures)


def open_loop(port: int, ids: list[int], token: str, rate: float, kind: str = "socket") -> tuple[float, int]:
    """p95 latency (ms) when requests start at an even `rate` per second, whatever the answers do."""
    latencies: list[float] = []
    failures = []
    lock = threading.Lock()
    start = time.perf_counter() + 0.1
    per_client = [ids[i::CLIENTS] for i in range(CLIENTS)]

    def client(index: int, mine: list[int]):
        conn = CLIENT_KINDS[kind](port, token)
        for n, task_id in enumerate(mine):
            due = start + (n * CLIENTS + index) / rate
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            began = time.perf_counter()
            status = conn.complete(task_id)
            with lock:
                latencies.append((time.perf_counter() - max(began, due)) * 1000)
                if status != 200:
                    failures.append(task_id)

    threads = [threading.Thread(target=client, args=(i, mine)) for i, mine in enumerate(per_client)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statistics.quantiles(latencies, n=20)[18], len(failures)


def run(quick: bool, kind: str = "socket") -> dict:
    """Start PostgreSQL and the production server; measure throughput, then p95 at half of it."""
    from tests.pg_harness import PostgresServer, _free_port

    n_fast, n_paced = (1500, 800) if quick else (5000, 3000)
    pg = PostgresServer(durable=True)
    pg.start()
    server = None
    try:
        url = pg.create_database("bench_http")
        ids, token = prepare(url, n_fast + n_paced + 200)
        server = Server(url, _free_port())
        server.wait_ready()
        warm, fast, paced = ids[:200], ids[200:200 + n_fast], ids[200 + n_fast:]
        closed_loop(server.port, warm, token, kind)
        # The machine is shared and noisy: the rate is the median of three rounds.
        meter = CpuMeter(server.process.pid, pg.postmaster_pid())
        rounds = [closed_loop(server.port, fast[i::ROUNDS], token, kind) for i in range(ROUNDS)]
        cpu = meter.per_completion_ms(len(fast))
        rate = statistics.median(r for r, _ in rounds)
        fast_failures = sum(f for _, f in rounds)
        p95, paced_failures = open_loop(server.port, paced, token, rate / 2, kind)
        return {"http_completions_per_s": round(rate, 1), "http_p95_ms": round(p95, 1),
                "http_p95_at_per_s": round(rate / 2, 1), "http_clients": CLIENTS, "http_client": kind,
                "http_server_workers": 2, "http_failures": fast_failures + paced_failures, **cpu}
    finally:
        if server is not None:
            server.stop()
        pg.stop()


if __name__ == "__main__":
    import argparse

    sys.path.insert(0, str(ROOT))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer completions")
    parser.add_argument("--client", choices=sorted(CLIENT_KINDS), default="socket", help="how the clients send")
    args = parser.parse_args()
    print(json.dumps(run(args.quick, args.client)))
