"""Moving running cases to another version of their process (SpiffWorkflow's diff and migrate), with a preview.

A case may move when every step it has finished and every step open now still exists in the target version with
the same kind. Open steps then follow the new version: new later steps, new timers, new forms and due rules.
A value a changed script computed earlier (e.g. a deadline) is recomputed with the new rule only where it is safe:
when the old rule, evaluated now on the case's data, still gives the value the case holds (so nothing such as a
suspension has adjusted it since). Everything else is reported as not recomputed."""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff, migrate_workflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..core.errors import InvalidState, NotFound
from ..core.messages import Msg
from ..core.models import Case, HumanTask, ProcessDefinition
from ..core.recipients import role_of
from ..core.vocabulary import DUE_PROPERTY, FORM_PROPERTY
from ..records.history import case_path
from .case_context import running
from .cases import case_tasks, mutate_case

LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED
_ABSENT = object()


@dataclass
class Preview:
    """Whether a case can move to the target version, why not, and what would change."""

    case_id: int
    business_number: str | None
    from_version: int
    to_version: int
    can_migrate: bool
    reasons: list[Msg | str] = field(default_factory=list)
    warnings: list[Msg] = field(default_factory=list)
    recomputed: list[tuple[str, str, str]] = field(default_factory=list)      # (variable, before, after)
    deadline_changes: list[tuple[Msg, str | None, str | None]] = field(default_factory=list)  # (what, before, after)


# A case in error may move too: to a version that puts right what failed, before it is run again (case_status.retry_case).
MIGRATABLE = ("running", "suspended", "error")


def target_for(session: Session, case: Case, version: int) -> ProcessDefinition:
    """The case's process in another bundle version."""
    found = session.scalar(select(ProcessDefinition).join(ProcessDefinition.bundle)
                           .where(ProcessDefinition.process_key == case.process_key)
                           .where(ProcessDefinition.bundle.has(version=version)))
    if found is None:
        raise NotFound(Msg("migration.no_process", version=version, process=case.process_key), version=version)
    return found


def preview(engine, session: Session, case: Case, target: ProcessDefinition) -> Preview:
    """A dry run on a copy of the case's stored state: nothing is saved."""
    out = Preview(case.id, case.business_number, case.definition.bundle.version, target.bundle.version, False)
    if case.status not in MIGRATABLE:
        out.reasons.append(Msg("migration.ended"))
        return out
    if target.id == case.definition_id:
        out.reasons.append(Msg("migration.same_version"))
        return out
    workflow = _fresh_copy(engine, session, case)
    with running(_Reading(engine, session, case, case.definition)):
        before = _deadlines(engine, workflow)
    try:
        with running(_Reading(engine, session, case, target)):
            _migrate(engine, session, case, workflow, target, out)
    except Exception as exc:       # a failure in a dry run is a reason, never a crash of the preview page
        out.reasons.append(Msg("migration.dry_run_failed", detail=_detail(exc)))
    if not out.reasons:
        try:
            with running(_Reading(engine, session, case, target)):
                workflow.do_engine_steps()      # as the real move does: reset timers wait again, newly due
        except Exception as exc:
            out.reasons.append(Msg("migration.cannot_continue", detail=_detail(exc)))
            return out
        with running(_Reading(engine, session, case, target)):
            after = _deadlines(engine, workflow)
        out.deadline_changes = [(name, before.get(name), after.get(name))
                                for name in sorted(set(before) | set(after), key=_by_step)
                                if before.get(name) != after.get(name)]
        out.can_migrate = True
    return out


def migrate(engine, session: Session, case_id: int, target: ProcessDefinition, *, actor: str) -> Case:
    """Move one case to the target version in one transaction, audited; refused (nothing changes) if unsafe."""
    case = session.get(Case, case_id, populate_existing=True)
    if case is None:
        raise NotFound(Msg("case.not_found"), case=case_id)
    check = preview(engine, session, case, target)
    if not check.can_migrate:
        session.rollback()
        raise InvalidState(Msg("migration.refused", reasons=check.reasons), case=case_id)
    from_version = case.definition.bundle.version

    def change(instance) -> None:
        report = Preview(case.id, case.business_number, from_version, target.bundle.version, True)
        with running(_Reading(engine, session, case, target)):
            _migrate(engine, session, case, instance.workflow, target, report)
        if report.reasons:
            raise InvalidState(Msg("migration.refused", reasons=report.reasons), case=case_id)
        case.definition = target           # the relationship, so the loaded object follows too
        instance.recompute_due = True
        _retitle_tasks(session, case, instance.workflow)
        instance.audit("case_migrated", **{"from": from_version, "to": target.bundle.version,
                                           "recomputed": [list(r) for r in report.recomputed],
                                           "deadlines": [[d[0].dumps(), *d[1:]] for d in check.deadline_changes],
                                           "warnings": [w.dumps() for w in report.warnings]})
        instance.run()

    engine.forget(case_id)
    return mutate_case(engine, session, case, actor, change, statuses=MIGRATABLE)


class _OnVersion:
    """A case as the helpers diagrams call read it, on another version of its process (a dry run reads the
    target version's tables, e.g. its limits)."""

    def __init__(self, case: Case, definition: ProcessDefinition):
        self._case, self.definition, self.definition_id = case, definition, definition.id

    def __getattr__(self, name):
        return getattr(self._case, name)


class _Reading:
    """What the case helpers read while a migration evaluates diagram code outside a run."""

    def __init__(self, engine, session: Session, case: Case, definition: ProcessDefinition):
        self.engine, self.session, self.case = engine, session, _OnVersion(case, definition)


# ---------------------------------------------------------------- the migration itself

def _fresh_copy(engine, session: Session, case: Case):
    """The case's workflow restored from the database (never the cached one: a dry run must not touch it)."""
    spec, subs = engine.specs(case.definition_id, lambda: case.definition)
    text = session.scalar(select(Case.state).where(Case.id == case.id))
    return engine.codec.load_state(text, spec, subs, engine.script_engine,
                                   spec_text=lambda: case.definition.spec_json)


def _migrate(engine, session: Session, case: Case, workflow, target: ProcessDefinition, report: Preview) -> None:
    """Check, migrate in place, and recompute what is safe; problems go to report.reasons."""
    old_spec, old_subs = workflow.spec, dict(workflow.subprocess_specs)
    new_spec, new_subs = engine.specs(target.id, lambda: target)
    registry = engine.codec.registry
    diffs = {None: _diff(registry, workflow, new_spec)}
    for sub_id, sub in workflow.subprocesses.items():
        diffs[sub_id] = _diff(registry, sub, new_subs[sub.spec.name]) if sub.spec.name in new_subs else None
    _refusals(session, case, workflow, diffs, new_spec, new_subs, report)
    if report.reasons:
        return
    started_at = {t.id: t.last_state_change for t in workflow.get_tasks(state=LIVE)}
    data_before = {t.id: dict(t.data) for t in workflow.get_tasks(state=TaskState.NOT_FINISHED_MASK)}
    migrate_workflow(diffs[None], workflow, new_spec)
    for sub_id, sub in workflow.subprocesses.items():
        migrate_workflow(diffs[sub_id], sub, new_subs[sub.spec.name])
    workflow.subprocess_specs = new_subs
    _reconnect_event_subprocesses(workflow)
    _repredict_started(workflow)
    for w in (workflow, *workflow.subprocesses.values()):
        for task_id, stamp in started_at.items():      # the clock of a waiting step keeps running from its start
            if task_id in w.tasks:
                w.tasks[task_id].last_state_change = stamp
        for task_id, data in data_before.items():      # a reset step takes its parent's data: give back its own
            if task_id in w.tasks:
                w.tasks[task_id].data = {**w.tasks[task_id].data, **data}
    _recompute(engine, workflow, {**_scripts(old_spec, old_subs)}, _scripts(new_spec, new_subs), report)
    for task in workflow.get_tasks(state=TaskState.NOT_FINISHED_MASK):
        if isinstance(getattr(task.task_spec, "event_definition", None), TimerEventDefinition):
            task.internal_data.pop("event_value", None)
    workflow.refresh_timers()
    for ts, changes in diffs[None].spec_diff.changed.items():
        if ts.bpmn_id in _history(session, case) and "typename" not in changes:
            report.warnings.append(Msg("migration.finished_step_changed", name=ts.bpmn_name or ts.bpmn_id))


def _diff(registry, workflow, new_spec) -> WorkflowDiff:
    spec_diff = SpecDiff(registry, workflow.spec, new_spec)
    for name in getattr(workflow.spec.start, "trigger_specs", []):     # event subprocesses: not reachable from Start
        old = workflow.spec.task_specs.get(name)
        if old is not None and old not in spec_diff.alignment:
            spec_diff.alignment[old] = new_spec.task_specs.get(name)
            if spec_diff.alignment[old] is not None:
                spec_diff.comparisons[old] = spec_diff._compare_task_specs(old, spec_diff.alignment[old])
    diff = WorkflowDiff(workflow, spec_diff)
    diff.spec_diff = spec_diff
    return diff


def _refusals(session, case, workflow, diffs, new_spec, new_subs, report: Preview) -> None:
    for sub_id, diff in diffs.items():
        where = "" if sub_id is None else Msg("migration.in_subprocess", name=workflow.subprocesses[sub_id].spec.name)
        if diff is None:
            report.reasons.append(Msg("migration.no_subprocess", where=where))
            continue
        for task in diff.removed:
            if task.state & (TaskState.FINISHED_MASK | LIVE):
                report.reasons.append(Msg("migration.step_removed", name=_label(task), where=where))
        for task in diff.changed:
            changes = diff.spec_diff.changed.get(task.task_spec, [])
            if task.state & LIVE and "typename" in changes:
                report.reasons.append(Msg("migration.type_changed", name=_label(task), where=where))
            if task.state == TaskState.STARTED and "spec" in changes:
                report.reasons.append(Msg("migration.call_changed", name=_label(task), where=where))
    known = {getattr(ts, "bpmn_id", None) for s in (new_spec, *new_subs.values()) for ts in s.task_specs.values()}
    for element in sorted(_history(session, case) - known):
        report.reasons.append(Msg("migration.finished_removed", element=element))


def _history(session: Session, case: Case) -> set[str]:
    """Element ids the case has finished (compaction cut them from the live tree; its path keeps them)."""
    return {step.element_id for step in case_path(session, case.id)}


def _label(task) -> str:
    return task.task_spec.bpmn_name or task.task_spec.bpmn_id or task.task_spec.name


def _reconnect_event_subprocesses(workflow) -> None:
    """A running event subprocess hangs off Start only once triggered: connect its spec in the new version too."""
    for w in (workflow, *workflow.subprocesses.values()):
        start = w.spec.start
        for name in getattr(start, "trigger_specs", []):
            ts = w.spec.task_specs[name]
            if start not in ts.inputs and w.get_next_task(spec_name=name) is not None:
                start.connect(ts)
                ts.connect(w.spec.end)


def _repredict_started(workflow) -> None:
    """Started tasks (call activities) are not reset by migrate_workflow: re-predict what follows them."""
    for w in (workflow, *workflow.subprocesses.values()):
        for task in w.get_tasks(state=TaskState.STARTED, skip_subprocesses=True):
            if [c.task_spec for c in task.children] != list(task.task_spec.outputs):
                task._drop_children(force=True)
                task.task_spec._predict_hook(task)
                for child in task.children:
                    child.task_spec._predict(child, mask=TaskState.PREDICTED_MASK | TaskState.FUTURE)


def _scripts(spec, subs) -> dict[str, str]:
    return {ts.bpmn_id: ts.script for s in (spec, *subs.values()) for ts in s.task_specs.values()
            if getattr(ts, "script", None) and getattr(ts, "bpmn_id", None)}


def _assignments(script: str) -> dict[str, str]:
    """`name = expression` statements at the top level of a script, by name (the last one wins)."""
    try:
        tree = ast.parse(script)
    except SyntaxError:
        return {}
    return {node.targets[0].id: ast.get_source_segment(script, node.value) for node in tree.body
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)}


def _recompute(engine, workflow, old_scripts: dict[str, str], new_scripts: dict[str, str], report: Preview) -> None:
    """Re-evaluate values whose rule changed, where the old rule still gives what the case holds."""
    changed: dict[str, tuple[str, str]] = {}
    for element, new_script in new_scripts.items():
        old = _assignments(old_scripts.get(element, ""))
        for name, expression in _assignments(new_script).items():
            if name in old and old[name] != expression:
                changed[name] = (old[name], expression)
    live = [t for t in workflow.get_tasks(state=TaskState.NOT_FINISHED_MASK)      # reset tasks are future again
            if not t.task_spec.name.startswith(("Root", "Start"))]
    for name, (old_rule, new_rule) in changed.items():
        holders = [t for t in live if name in t.data]
        if not holders:
            continue
        current = holders[0].data[name]
        try:
            still = engine.script_engine.evaluate(holders[0], old_rule) == current
            value = engine.script_engine.evaluate(holders[0], new_rule) if still else None
        except Exception:       # the old inputs are gone: the rule cannot be replayed, so it is not safe
            still = False
        if not still:
            report.warnings.append(Msg("migration.not_recomputed", name=name))
            continue
        for task in workflow.get_tasks(state=TaskState.ANY_MASK):     # ancestors too: waiting timers re-inherit
            if task.data.get(name, _ABSENT) == current:
                task.data[name] = value
        report.recomputed.append((name, str(current), str(value)))


def _deadlines(engine, workflow) -> dict[Msg, str | None]:
    """Each open step's due moment (its due expression) and each waiting timer's due moment, by name."""
    found = {}
    for task in workflow.get_tasks(state=TaskState.WAITING | TaskState.READY):
        spec = task.task_spec
        if isinstance(getattr(spec, "event_definition", None), TimerEventDefinition):
            value = task.internal_data.get("event_value")
            found[Msg("migration.timer", name=spec.bpmn_name or spec.bpmn_id)] = \
                value.get("next") if isinstance(value, dict) else value
        expression = (getattr(spec, "extensions", None) or {}).get("properties", {}).get(DUE_PROPERTY)
        if expression and getattr(spec, "manual", False):
            due = Msg("migration.due", name=spec.bpmn_name or spec.bpmn_id)
            try:
                found[due] = str(engine.script_engine.evaluate(task, expression))
            except Exception:
                found[due] = None
    return found


def _by_step(what: Msg) -> tuple[str, bool]:
    """Deadline changes in order of the step they belong to, its timer before its due time."""
    return str(what.params["name"]), what.code != "migration.timer"


def _detail(exc: Exception) -> Msg | str:
    """An exception's message: the engine message it carries, or its text."""
    found = getattr(exc, "msg", None)
    if isinstance(found, Msg):
        return found
    return exc.args[0] if len(exc.args) == 1 and isinstance(exc.args[0], Msg) else str(exc)


def _retitle_tasks(session: Session, case: Case, workflow) -> None:
    """Open task rows take the new version's name, lane and form of their step."""
    for row in case_tasks(session, case.id, "ready"):
        task = workflow.get_task_from_id(UUID(row.task_uuid))
        if task is None:
            continue
        spec = task.task_spec
        props = (getattr(spec, "extensions", None) or {}).get("properties", {})
        session.execute(update(HumanTask).where(HumanTask.id == row.id).values(
            name=spec.bpmn_name or spec.bpmn_id, lane=role_of(spec.lane), form=props.get(FORM_PROPERTY)))
