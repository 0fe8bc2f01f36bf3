"""The PostgreSQL harness: the tests' server trades durability for speed; the benchmark's keeps the defaults."""
from __future__ import annotations

import pytest

from .pg_harness import PostgresServer

FAST = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
DURABLE = {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}


@pytest.mark.postgres
def test_the_benchmarks_server_is_durable_and_the_tests_server_is_fast():
    for durable, expected in ((True, DURABLE), (False, FAST)):
        server = PostgresServer(durable=durable)
        try:
            url = server.start()
            assert server.durability(url) == expected
        finally:
            server.stop()
