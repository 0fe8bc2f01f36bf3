"""`lawflow summarise`: the stored summary of the reports' figures (issue 20, engine/work/report_summary.py)."""
from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from engine.work import report_summary, reports

from .workflow import engine


@click.command("summarise")
@click.option("--rebuild", is_flag=True, help="Count every month again from scratch (after an import or "
                                              "`lawflow generate`), rather than only those changed since.")
@click.option("--process", "process", help="Only this process's months (with --rebuild).")
@with_appcontext
def summarise_command(rebuild: bool, process: str | None) -> None:
    """(Re)build the stored summary the 统计 page, the ledger and the API read: every month (--rebuild) or the
    months with a changed case and those not yet summarised for the active report definitions."""
    from .cli import _sessions

    with _sessions()() as session:
        definitions, now = reports.reports(session), engine().now()
        if rebuild:
            click.echo(json.dumps(report_summary.rebuild(session, definitions, now, process), ensure_ascii=False))
            return
        total = 0
        while True:
            done = report_summary.refresh(session, definitions, now, limit=500)
            total += done
            if not done:
                break
        click.echo(json.dumps({"refreshed": total}))
