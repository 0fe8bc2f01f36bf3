"""The `lawflow` command: thin wrappers over one engine function each."""
from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup
from werkzeug.serving import run_simple

from engine.core import people, upgrade, BundleInvalid, DataValidationError, ImportRefused
from engine.definitions import bundles
from engine.records import draws, ledger_import
from engine.runtime import deadlines
from engine.time import calendar_store

from . import config as config_module
from . import create_app, scheduler, secret_key
from .data_commands import backup, move_database, restore
from .demo import accounts, load_demo
from .tokens import create_token
from .workflow import engine
from .command_errors import refusal_exits
from .engine_text import engine_text, problem_line
from .guard import settle_heap


def _sessions():
    return current_app.extensions["lawflow.sessions"]


@click.group(cls=FlaskGroup, create_app=create_app, add_default_commands=False)
def main() -> None:
    """lawflow：律师执业监管工作流 (BPMN on SpiffWorkflow)."""


@main.command("init-db")
def init_db() -> None:
    """Create or upgrade the database schema (Alembic)."""
    upgrade(current_app.config["DATABASE_URL"])
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
            click.echo("\n".join([engine_text(exc), *map(problem_line, exc.problems)]), err=True)
            sys.exit(1)
        for warning in result.warnings:
            click.echo(f"提醒：{warning}", err=True)
        state = "新版本" if result.created else "内容未变，沿用版本"
        click.echo(f"{state} v{result.bundle.version}（{result.bundle.content_hash[:12]}）")


@main.command("demo")
def demo() -> None:
    """Load demo organisations, users and cases (once)."""
    with _sessions()() as session:
        created = load_demo(engine(), session)
    if not created:
        click.echo("演示数据已存在，未改动")
        return
    click.echo("演示数据已载入。演示账号（仅显示这一次）：")
    for username, name, password in accounts():
        click.echo(f"  {username:<8} {password}  {name}")


@main.command("token")
@click.argument("username")
@click.option("--name", default="integration", help="What the token is for")
def token(username: str, name: str) -> None:
    """Issue an API token acting as a user (printed once; only its hash is kept)."""
    with _sessions()() as session:
        click.echo(create_token(session, people.user_by_name(session, username), name))


@main.command("serve")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
@click.option("--workers", default=0, type=int,
              help="0: one embedded process (werkzeug, scheduler inside); N: gunicorn with N worker processes")
@click.option("--threads", default=2, type=int, help="threads per gunicorn worker process")
def serve(host: str, port: int, workers: int, threads: int = 2) -> None:
    """Serve the app: embedded (the timer sweep runs in the same process), or production under gunicorn."""
    if workers > 0:
        from .production import serve_with_gunicorn

        _require_production_secret()
        serve_with_gunicorn(host, port, workers, threads)
        return
    app = current_app._get_current_object()
    if app.config["SCHEDULER_IN_PROCESS"]:
        scheduler.start_background(app)
    settle_heap()
    run_simple(host, port, app, threaded=True, use_reloader=False)


def _require_production_secret() -> None:
    """Say at once what each gunicorn worker would refuse to boot without (see web/secret_key.py)."""
    try:
        secret_key.require_real(str(config_module.load()["SECRET_KEY"] or ""))
    except secret_key.MissingSecretKey as exc:
        raise click.ClickException(str(exc)) from None


@main.command("scheduler")
@click.option("--metrics-port", type=int, default=None,
              help="serve this scheduler's Prometheus metrics on this port (loopback, or METRICS_TOKEN)")
@click.option("--metrics-host", default="127.0.0.1", help="the address the metrics port listens on")
def run_scheduler(metrics_port: int | None, metrics_host: str) -> None:
    """Run the timer sweep in its own process (production), writing its heartbeat for /readyz."""
    scheduler.run_blocking(current_app._get_current_object(), metrics_port, metrics_host)


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
    click.echo(f"打开 http://{host}:{port}/")
    ctx.invoke(serve, host=host, port=port)


@main.group("calendar")
def calendar() -> None:
    """Working-day calendar: official holiday schedules per year."""


@calendar.command("status")
def calendar_status() -> None:
    """Show entered years and the years pending deadlines need but nobody has entered."""
    with _sessions()() as session:
        calendar_store.load_calendar(engine(), session)
        entered = sorted(engine().calendar.overrides)
        missing = calendar_store.missing_years(engine(), session)
    click.echo("内置日历年份：2004–2026")
    click.echo(f"管理员录入年份：{'、'.join(map(str, entered)) or '无'}")
    if missing:
        click.echo(f"缺少官方节假日安排的年份：{'、'.join(map(str, missing))}（相关期限按工作日暂定）")
    else:
        click.echo("所有待办期限所需年份均已有官方安排")


def _dates(text: str) -> list[date]:
    return [date.fromisoformat(part.strip()) for part in text.split(",") if part.strip()]


@calendar.command("set-year")
@click.argument("year", type=int)
@click.option("--holidays", default="", help="Comma-separated holiday dates, e.g. 2027-02-05,2027-02-06")
@click.option("--workdays", default="", help="Comma-separated make-up working days (调休上班)")
@click.option("--note", default="", help="Source of the schedule, e.g. the State Council notice")
def calendar_set_year(year: int, holidays: str, workdays: str, note: str) -> None:
    """Enter a year's official schedule; pending deadlines it affects are recomputed."""
    try:
        with _sessions()() as session:
            updated = deadlines.enter_year(engine(), session, year, _dates(holidays), _dates(workdays),
                                                actor="cli", note=note)
    except (ValueError, DataValidationError) as exc:
        detail = "；".join(engine_text(e) for e in exc.errors) if isinstance(exc, DataValidationError) \
            else engine_text(exc)
        click.echo(f"日历数据有误：{detail}", err=True)
        sys.exit(1)
    click.echo(f"已录入 {year} 年安排，重新计算了 {updated} 个案件的期限")


# Random draws (part "draws", issue 16).
@main.group("draw")
def draw() -> None:
    """Random draws (双随机一公开) recorded by cases."""


@draw.command("verify")
@click.argument("draw_id", type=int)
def draw_verify(draw_id: int) -> None:
    """Run a recorded draw again from its pool, criteria and seed; exit 1 if the result differs from the record."""
    with _sessions()() as session:
        with refusal_exits():
            record = draws.get(session, draw_id)
            recomputed = draws.rerun(record)
        click.echo(f"抽取记录 {record.id}：{record.purpose}（{record.algorithm}，种子 {record.seed}）")
        if recomputed == record.result:
            click.echo("复核一致：重新抽取的结果与记录相同")
            return
        click.echo(f"复核不一致：记录的结果 {json.dumps(record.result, ensure_ascii=False)}，"
                   f"重新抽取的结果 {json.dumps(recomputed, ensure_ascii=False)}", err=True)
        sys.exit(1)


# Ledgers of imported records (issue 17).
@main.group("ledger")
def ledger() -> None:
    """Ledgers of imported records (台账)."""


@ledger.command("import")
@click.argument("key")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--actor", required=True, help="the user importing: holds an import role of the ledger, and the rows "
                                              "may name organisations of that user's subtree only")
def ledger_import_command(key: str, path: str, actor: str) -> None:
    """Import an xlsx or csv file into a ledger: all its rows, or none (exit 1, each wrong row and column listed)."""
    done = _import_file(path, actor, lambda session, user, stream: ledger_import.import_file(
        session, engine(), user, key, Path(path).name, stream))
    click.echo(f"已导入 {key}：新增 {done.rows_added} 条，未变 {done.rows_unchanged} 条")


def _import_file(path: str, actor: str, run):
    """`run(session, actor's user, the open file)` in a session committed if it succeeds; a refusal is printed (each
    wrong row and column) and exits 1, any other engine error exits 2, with nothing kept."""
    with _sessions()() as session, refusal_exits(2, session, {ImportRefused: 1}):
        with open(path, "rb") as stream:
            done = run(session, people.user_by_name(session, actor), stream)
        session.commit()
        return done


# Registries as data (issue 21).
@main.group("registry")
def registry() -> None:
    """Registries (名录) the active version declares in forms/**/*.registry.json."""


@registry.command("import")
@click.argument("kind")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--actor", required=True, help="the user importing: holds one of the registry's edit roles")
def registry_import_command(kind: str, path: str, actor: str) -> None:
    """Import an xlsx or csv file into a registry, matched by key: all its rows, or none (exit 1, each wrong row
    and column listed); importing the same file again changes nothing."""
    from engine.records import registry_import

    done = _import_file(path, actor, lambda session, user, stream: registry_import.import_file(
        session, engine(), user, kind, Path(path).name, stream))
    click.echo(f"已导入 {kind}：新增 {done['added']} 条，更新 {done['updated']} 条，未变 {done['unchanged']} 条")


@registry.command("template")
@click.argument("kind")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@click.option("--entries", is_flag=True, help="fill the template with every entry of the registry")
def registry_template_command(kind: str, path: str, entries: bool) -> None:
    """Write the registry's import template (Chinese headers, a sheet describing each column) to PATH."""
    from engine.records import registries, registry_import

    with _sessions()() as session:
        with refusal_exits():
            definition = registries.definition(session, kind)
        rows = registries.entries(session, kind, limit=registry_import.MAX_ROWS) if entries else None
        Path(path).write_bytes(registry_import.template_workbook(definition, engine_text, rows))
        click.echo(f"已写入 {path}")


# Backup, restore and moving a database (issue 23).
main.add_command(backup)
main.add_command(restore)
main.add_command(move_database)


@main.command("generate")
@click.option("--cases", "count", type=click.IntRange(min=0), default=1_000_000, show_default=True,
              help="How many cases to generate.")
@click.option("--years", type=click.IntRange(min=1), default=5, show_default=True, help="Over how many years.")
@click.option("--seed", type=int, default=1, show_default=True, help="The same seed makes the same data.")
@click.option("--check", "check_size", type=click.IntRange(min=0), default=20, show_default=True,
              help="How many generated open cases to walk through their next step afterwards.")
def generate_command(count: int, years: int, seed: int, check_size: int) -> None:
    """Fill an empty PostgreSQL database with a city's cases: templates run through the engine, then copied."""
    import time as clock

    from sqlalchemy import select, text

    from engine.core import User
    from engine.runtime import Engine
    from engine.work import generator, report_summary, reports

    from .generate import load_templates

    if not current_app.config["DATABASE_URL"].startswith("postgresql"):
        click.echo("generate 需要 PostgreSQL 数据库（LAWFLOW_DATABASE_URL）", err=True)
        sys.exit(2)
    started = clock.monotonic()
    with _sessions()() as session:
        if session.scalar(select(User.id).limit(1)) is not None:
            click.echo("数据库已有数据：generate 只写入空数据库", err=True)
            sys.exit(2)
        bundles.deploy(session, bundles.collect(Path(current_app.config["PROJECT_ROOT"])), engine=engine(), actor="cli")
        spec = load_templates(engine(), session)
        found = generator.templates(session, spec["mix"], spec["open_share"])
        click.echo(f"模板案件 {len(found)} 件（{clock.monotonic() - started:.1f} s）")

        def progress(done: int, total: int) -> None:
            elapsed = clock.monotonic() - started
            click.echo(f"  {done}/{total} 件，{elapsed:.0f} s，{done / max(elapsed, 1e-9):.0f} 件/s")

        ids = generator.generate(session, found, count, years=years, seed=seed, progress=progress)
        report_summary.rebuild(session, reports.reports(session), engine().now())     # what the 统计 page reads
        session.execute(text("ANALYZE"))
        session.commit()
        result = generator.check_sample(lambda c: Engine(clock=c), session, ids, seed=seed, size=check_size)
    click.echo(json.dumps({"generated": len(ids), "seconds": round(clock.monotonic() - started, 1), **result}))


# People from the command line (issue 22): a password set under the policy, organisations and users from Excel.
from .people_commands import admin, set_password_command  # noqa: E402 - they use this module's helpers

main.add_command(set_password_command)
main.add_command(admin)

# The stored summary of the reports' figures (issue 20).
from .summary_commands import summarise_command  # noqa: E402 - it uses this module's helpers

main.add_command(summarise_command)
