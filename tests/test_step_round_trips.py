"""Issue 23, the step and the request nearer the limit: a task completion through the API is one connection and one
transaction, its statements counted; compaction's short cut (the finished chain under the root) cuts exactly what
the general walk cuts."""
from __future__ import annotations

import pytest
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import event

from engine.runtime import compaction
from engine.runtime.engine import Engine

from .test_state_parity import APPLY as PARITY_APPLY, APPROVE, RETURN, _parsed, _shipped, mixed, sample_limits
from .web_helpers import token_for

APPLY = {"title": "购置办公设备", "reason": "现有设备老化，影响办公"}
ENGINE = Engine()


def _new_fill_task(client, headers) -> int:
    started = client.post("/api/v1/cases", headers=headers, json={"process": "sample_review", "org": "county-a"})
    assert started.status_code == 201, started.get_data(as_text=True)
    return started.get_json()["tasks"][0]["id"]


def test_an_api_completion_is_one_connection_one_transaction_and_seven_statements(app, client):
    """The calendar check, the token, the task with its case, the case row, the task done, the next task, the
    audit event: each once, all on the request's connection (the calendar check took a second one, and a rollback
    of its own, before)."""
    headers = token_for(app, "zhang")
    # A first completion reads what a process reads once (the token's user, the form, the definition); the
    # second's case is not in the live cache: it is loaded from its stored state, as on a busy server.
    first = client.post(f"/api/v1/tasks/{_new_fill_task(client, headers)}/complete", headers=headers,
                        json={"data": APPLY})
    assert first.status_code == 200
    task_id = _new_fill_task(client, headers)
    app.extensions["lawflow.engine"].forget_all()
    sql_engine = app.extensions["lawflow.sql"]
    statements, checkouts = [], []
    on_statement = lambda conn, cursor, text, *rest: statements.append(text)  # noqa: E731
    on_checkout = lambda *args: checkouts.append(args)  # noqa: E731
    event.listen(sql_engine, "before_cursor_execute", on_statement)
    event.listen(sql_engine.pool, "checkout", on_checkout)
    try:
        done = client.post(f"/api/v1/tasks/{task_id}/complete", headers=headers, json={"data": APPLY})
    finally:
        event.remove(sql_engine, "before_cursor_execute", on_statement)
        event.remove(sql_engine.pool, "checkout", on_checkout)
    assert done.status_code == 200, done.get_data(as_text=True)
    assert len(checkouts) == 1
    kinds = [" ".join(s.split()[:3]) for s in statements]
    assert len(statements) == 7, kinds
    assert sum(s.lstrip().upper().startswith(("UPDATE", "INSERT")) for s in statements) == 4, kinds


def _drive_comparing(workflow, answers) -> int:
    """Complete ready human tasks; before each compaction a copy of the workflow is compacted by the general walk
    alone, and both must leave the same tree. How many compactions took the short cut, and how many did not."""
    codec, spec, subs = ENGINE.codec, workflow.spec, workflow.subprocess_specs
    short_cuts = steps = 0
    workflow.refresh_timers()
    workflow.do_engine_steps()
    while True:
        general = codec.load_state(codec.dump_state(workflow), spec, subs, ENGINE.script_engine)
        general.last_task = general.get_task_from_id(workflow.last_task.id) if workflow.last_task else None
        short_cuts += compaction._finished_chain(workflow.tasks, workflow.task_tree) is not None
        cut = compaction.compact(workflow)
        real = compaction._finished_chain
        compaction._finished_chain = lambda tasks, root: None
        try:
            assert compaction.compact(general) == cut
        finally:
            compaction._finished_chain = real
        assert codec.dump_state(general) == codec.dump_state(workflow)
        assert (general.last_task.id if general.last_task else None) == \
            (workflow.last_task.id if workflow.last_task else None)
        ready = workflow.get_tasks(state=TaskState.READY, manual=True)
        if not ready or steps >= 12:
            return short_cuts, steps + 1 - short_cuts
        ready[0].data.update(answers[min(steps, len(answers) - 1)])
        ready[0].run()
        steps += 1
        workflow.refresh_timers()
        workflow.do_engine_steps()


@pytest.mark.parametrize("files, key, answers, short_cut", [
    # boundary events cancelled beside the task that finished: the chain, on every step
    (lambda: _shipped("sample"), "sample_review", [PARITY_APPLY, RETURN, PARITY_APPLY, APPROVE], True),
    # two branches open at once, a multi-instance task, subprocesses: the general walk too
    (mixed, "mixed", [PARITY_APPLY], False),
])
def test_compaction_cuts_by_the_finished_chain_what_the_general_walk_cuts(files, key, answers, short_cut):
    spec, subs = _parsed(files(), key)
    workflow = BpmnWorkflow(spec, subs, script_engine=ENGINE.script_engine)
    with sample_limits(ENGINE):             # the sample's timers read its limits table
        chained, general = _drive_comparing(workflow, answers)
    assert (chained if short_cut else general) > 0
