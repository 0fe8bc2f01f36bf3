"""docker/: the compose file runs PostgreSQL, two app servers and a scheduler with `lawflow` commands that exist and
take the options written there (no Docker engine is needed to check that), and will not start without a secret."""
from __future__ import annotations

from pathlib import Path

import click
import pytest
import yaml

from web.cli import main

DOCKER = Path(__file__).resolve().parent.parent / "docker"


@pytest.fixture(scope="module")
def services() -> dict:
    return yaml.safe_load((DOCKER / "compose.yaml").read_text(encoding="utf-8"))["services"]


def _parsed(args: list[str]) -> tuple[str, dict]:
    """The `lawflow` subcommand and its options as click parses them (an unknown command or option raises)."""
    with click.Context(main) as ctx:
        command = main.get_command(ctx, args[0])
        assert command is not None, f"no `lawflow {args[0]}`"
        return args[0], command.make_context(args[0], list(args[1:]), parent=ctx).params


def test_every_service_runs_a_lawflow_command_with_options_it_takes(services):
    commands = {name: _parsed(service["command"]) for name, service in services.items() if "command" in service}
    assert commands["migrate"] == ("init-db", {})
    assert commands["deploy"][0] == "deploy"
    servers = [params for command, params in commands.values() if command == "serve"]
    assert len(servers) == 2 and all(params["workers"] == 2 for params in servers)
    assert commands["scheduler"] == ("scheduler", {"metrics_port": 9100, "metrics_host": "0.0.0.0"})
    assert services["db"]["image"].startswith("postgres:")


def test_the_servers_share_one_database_one_secret_and_wait_for_the_schema(services):
    apps = [services[name] for name in ("app1", "app2", "scheduler")]
    assert len({app["environment"]["LAWFLOW_DATABASE_URL"] for app in apps}) == 1
    secret = {app["environment"]["LAWFLOW_SECRET_KEY"] for app in apps}
    assert len(secret) == 1 and next(iter(secret)).startswith("${LAWFLOW_SECRET_KEY:?")   # compose refuses without it
    assert all(app["environment"]["LAWFLOW_SCHEDULER_IN_PROCESS"] == "false" for app in apps)
    assert all(app["depends_on"]["deploy"]["condition"] == "service_completed_successfully" for app in apps)
    assert {services[name]["ports"][0] for name in ("app1", "app2")} == {"5000:5000", "5001:5000"}
    assert "/readyz" in " ".join(services["app1"]["healthcheck"]["test"])


def test_the_image_runs_lawflow_and_its_default_command_is_a_server():
    lines = (DOCKER / "Dockerfile").read_text(encoding="utf-8").splitlines()
    assert 'ENTRYPOINT ["lawflow"]' in lines
    default = next(line for line in lines if line.startswith("CMD "))
    assert _parsed(yaml.safe_load(default.removeprefix("CMD ")))[0] == "serve"
