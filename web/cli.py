"""The `lawflow` command: thin wrappers over one engine function each."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup
from werkzeug.serving import run_simple

from engine import bundles
from engine.db import upgrade
from engine.errors import BundleInvalid

from . import create_app, scheduler
from .demo import load_demo
from .workflow import engine


def _sessions():
    return current_app.extensions["lawflow.sessions"]


@click.group(cls=FlaskGroup, create_app=lambda: create_app(), add_default_commands=False)
def main() -> None:
    """lawflow：律师执业监管工作流 (BPMN on SpiffWorkflow)."""


@main.command("init-db")
def init_db() -> None:
    """Create or upgrade the database schema (Alembic)."""
    url = current_app.config["DATABASE_URL"]
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    upgrade(url)
    click.echo("数据库已就绪")


@main.command("deploy")
@click.option("--root", type=click.Path(exists=True, file_okay=False), default=None,
              help="Project root holding processes/ and forms/.")
def deploy(root: str | None) -> None:
    """Validate processes/ and forms/ and store them as a new bundle version if changed."""
    files = bundles.collect(Path(root or current_app.config["PROJECT_ROOT"]))
    with _sessions()() as session:
        try:
            result = bundles.deploy(session, files, engine=engine(), actor="cli")
        except BundleInvalid as exc:
            click.echo(str(exc), err=True)
            sys.exit(1)
        state = "新版本" if result.created else "内容未变，沿用版本"
        click.echo(f"{state} v{result.bundle.version}（{result.bundle.content_hash[:12]}）")


@main.command("demo")
def demo() -> None:
    """Load demo organisations, users and cases (once)."""
    with _sessions()() as session:
        created = load_demo(engine(), session)
    click.echo("演示数据已载入" if created else "演示数据已存在，未改动")


@main.command("serve")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
def serve(host: str, port: int) -> None:
    """Serve the app; in embedded mode the timer sweep runs in the same process."""
    app = current_app._get_current_object()
    if app.config["SCHEDULER_IN_PROCESS"]:
        scheduler.start_background(app)
    run_simple(host, port, app, threaded=True, use_reloader=False)


@main.command("scheduler")
def run_scheduler() -> None:
    """Run the timer sweep in its own process (production)."""
    scheduler.run_blocking(current_app._get_current_object())


@main.command("sweep")
def sweep_once() -> None:
    """Fire every timer that is due now, once."""
    click.echo(f"已处理 {scheduler.sweep(current_app._get_current_object())} 个到期案件")


@main.command("up")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
@click.pass_context
def up(ctx: click.Context, host: str, port: int) -> None:
    """Everything for a first run: schema, deploy, demo data, then serve."""
    ctx.invoke(init_db)
    ctx.invoke(deploy)
    ctx.invoke(demo)
    click.echo(f"演示账号：admin / zhang / li / wang / zhao，密码 demo1234 — http://{host}:{port}/")
    ctx.invoke(serve, host=host, port=port)
