"""Rules written once (issue 15): an organisation's subtree is compared in engine/core/scope.py alone; only the
instance runner advances a workflow; a page's completion is the engine's one call and restores a cold workflow
once; the SQLAlchemy installed is the one pyproject.toml pins."""
from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import sqlalchemy
from packaging.requirements import Requirement

from engine.runtime import cases

from .test_work_pages import post, ready_task
from .web_helpers import csrf, login

ROOT = Path(__file__).resolve().parents[1]
SCANNED = ("engine", "web", "scripts")
# SpiffWorkflow's calls that move a workflow on: the runner's (and the migration preview's dry run on a copy).
ADVANCING = {"do_engine_steps", "run_next", "run_all", "run_task_from_id", "complete_task_from_id",
             "refresh_waiting_tasks"}


def _modules():
    return sorted(p for folder in SCANNED for p in (ROOT / folder).rglob("*.py") if "migrations" not in p.parts)


def _calls(path: Path):
    """(module, enclosing def or class path, call) for each call of a module."""
    found, module = [], path.relative_to(ROOT).as_posix()

    def walk(node, names):
        for child in ast.iter_child_nodes(node):
            inner = names + [child.name] if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) \
                else names
            if isinstance(child, ast.Call):
                found.append((module, ".".join(names), child))
            walk(child, inner)
    walk(ast.parse(path.read_text(encoding="utf-8")), [])
    return found


def _is_path(node) -> bool:
    """An organisation's path: `<something>.path`, but not the request's."""
    return isinstance(node, ast.Attribute) and node.attr == "path" and \
        not (isinstance(node.value, ast.Name) and node.value.id == "request")


def test_a_subtree_is_compared_by_path_only_in_the_scope_module():
    """`x.path.startswith(...)` or `p.startswith(x.path)`: a subtree written out; scope.path_within is the one."""
    written = sorted({f"{module}:{where}" for path in _modules() for module, where, call in _calls(path)
                      if isinstance(call.func, ast.Attribute) and call.func.attr == "startswith"
                      and (_is_path(call.func.value) or any(_is_path(a) for a in call.args))
                      and module != "engine/core/scope.py"})
    assert written == []


def test_only_the_instance_runner_advances_a_workflow():
    """SpiffWorkflow's stepping calls are made by Instance.run (and the migration preview's dry run on a copy);
    the one task `.run()` is the completion's, inside the runner's change."""
    advancing, task_runs = set(), set()
    for path in _modules():
        for module, where, call in _calls(path):
            func = call.func
            if not isinstance(func, ast.Attribute):
                continue
            if func.attr in ADVANCING:
                advancing.add((module, where, func.attr))
            if func.attr == "run" and not call.args and not call.keywords and isinstance(func.value, ast.Name) \
                    and func.value.id != "instance":
                task_runs.add((module, where, func.value.id))
    assert advancing == {("engine/runtime/instance.py", "Instance.run", "do_engine_steps"),
                         ("engine/runtime/migration.py", "preview", "do_engine_steps")}
    assert task_runs == {("engine/runtime/cases.py", "complete_task.change", "task")}


def test_a_cold_task_page_submission_restores_the_workflow_once_through_complete_task(app, client, monkeypatch):
    task_id, case_id = ready_task(app, "sample_review", "county-a")
    login(client, "zhang")
    assert post(client, f"/tasks/{task_id}/claim", {}).status_code == 302
    token = csrf(client, f"/tasks/{task_id}")
    live, restores, completions = app.extensions["lawflow.engine"], [], []
    load_state, complete_task = live.codec.load_state, cases.complete_task

    def counted_load(*args, **kwargs):
        restores.append(1)
        return load_state(*args, **kwargs)

    def counted_complete(*args, **kwargs):
        completions.append(args[2])
        return complete_task(*args, **kwargs)

    monkeypatch.setattr(live.codec, "load_state", counted_load)
    monkeypatch.setattr(cases, "complete_task", counted_complete)
    live.forget_all()                                   # cold: no workflow of the case in memory
    done = client.post(f"/tasks/{task_id}", data={"csrf_token": token, "action": "complete", "title": "购置打印机",
                                                  "reason": "旧打印机已损坏"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/inbox")
    assert completions == [task_id]
    assert len(restores) == 1


def test_the_installed_sqlalchemy_is_the_version_pyproject_pins():
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    pin = next(r for r in map(Requirement, declared) if r.name.lower() == "sqlalchemy")
    assert pin.specifier and sqlalchemy.__version__ in pin.specifier
