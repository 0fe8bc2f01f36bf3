"""A try-run's scenario as a file: `forms/<process>/scenarios/<name>.json` (the process, the organisation, the start
moment, the steps in order, and the outcome it had when saved), checked when read, with bad input named by field
and step; and what changed between that recorded outcome and a new run's (see trial.py)."""
from __future__ import annotations

import json

from ..core.messages import Msg
# The file's format and its checks live with the other bundle files (engine/definitions/scenario_files.py).
from ..definitions.scenario_files import (  # noqa: F401
    MAX_MESSAGE_NAME, MAX_STEPS, SCENARIO_DIR, SCENARIO_NAME, _bad, caught_messages, check_messages, is_scenario_path,
    parse_moment, parse_scenario,
)


def scenario_path(process: str, name: str) -> str:
    """Where a scenario of a process is kept in the bundle."""
    if not SCENARIO_NAME.match(name or ""):
        raise _bad("name", Msg("trial.bad_name"))
    return f"forms/{process}/{SCENARIO_DIR}/{name}.json"


def scenario_paths(files: dict[str, bytes]) -> list[str]:
    """The saved scenarios of a bundle's files."""
    return sorted(p for p in files if is_scenario_path(p))


def scenario_file(scenario: dict, outcome) -> bytes:
    """A scenario's file, with the outcome it had as the one later runs are compared with."""
    kept = {k: scenario[k] for k in ("process", "org", "start", "data", "steps") if k in scenario}
    kept["expected"] = outcome.summary()
    return json.dumps(kept, ensure_ascii=False, indent=2).encode()


def compare(expected: dict | None, outcome) -> list[dict]:
    """What changed from a scenario's recorded outcome: `{what, item, before, after}` for each difference."""
    if not expected:
        return []
    now = outcome.summary()
    changes = []
    for what in ("route", "open", "documents", "messages"):
        before, after = list(expected.get(what) or []), now[what]
        if before != after:
            changes.append({"what": what, "item": "", "before": ", ".join(before) or "—", "after": ", ".join(after) or "—"})
    old, new = expected.get("deadlines") or {}, now["deadlines"]
    for name in list(old) + [n for n in new if n not in old]:
        if old.get(name) != new.get(name):
            changes.append({"what": "deadline", "item": name, "before": old.get(name) or "—", "after": new.get(name) or "—"})
    if (expected.get("status") or now["status"]) != now["status"]:
        changes.append({"what": "status", "item": "", "before": expected["status"], "after": now["status"]})
    return changes
