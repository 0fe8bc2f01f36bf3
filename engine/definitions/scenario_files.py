"""A saved try-run scenario as a bundle file, `forms/<process>/scenarios/<name>.json` (the process, the organisation,
the start moment, the steps in order, and the outcome it had when saved): its format, checked when a try-run reads it
(bad input named by field and step) and when a bundle is validated for publishing, each problem located by file and
path within the scenario (`steps[3].task`): a scenario must name a process and tasks of the bundle it ships with,
and only messages its diagrams wait for. Running one is engine/work/trial.py."""
from __future__ import annotations

import json
import re
from datetime import datetime, time

from lxml import etree

from ..core.errors import DataValidationError, FieldError, Problem
from ..core.messages import Msg
from ..core.vocabulary import SCENARIO_FILE
from ..time.workdays import CHINA_TZ

SCENARIO_DIR = SCENARIO_FILE.split("/")[0]          # forms/<process>/scenarios/<name>.json
SCENARIO_NAME = re.compile(r"^[A-Za-z0-9_\-\u4e00-\u9fff]{1,60}$")
MAX_STEPS = 200
MAX_MESSAGE_NAME = 200
_CATCHERS = ("startEvent", "intermediateCatchEvent", "boundaryEvent")


def parse_scenario(raw: bytes | str | dict, where: str = "scenario") -> dict:
    """A scenario from its JSON, checked: bad input is refused naming the field (and the step)."""
    if isinstance(raw, (bytes, str)):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise _bad(where, Msg("trial.not_json", detail=str(exc))) from None
    if not isinstance(raw, dict):
        raise _bad(where, Msg("trial.not_object"))
    if not isinstance(raw.get("process"), str) or not raw["process"]:
        raise _bad("process", Msg("trial.process_required"))
    parse_moment(raw.get("start"), "start")
    steps = raw.get("steps", [])
    if not isinstance(steps, list) or len(steps) > MAX_STEPS:
        raise _bad("steps", Msg("trial.steps_list", limit=MAX_STEPS))
    for i, step in enumerate(steps, 1):
        kinds = [k for k in ("task", "message", "advance") if isinstance(step, dict) and k in step]
        if not isinstance(step, dict) or len(kinds) != 1 or not (
                step.get("advance") == "next_timer" or isinstance(step.get("task"), str)
                or (isinstance(step.get("message"), str) and 0 < len(step["message"]) <= MAX_MESSAGE_NAME)):
            raise _bad(f"steps[{i}]", Msg("trial.bad_step"))
        if "message" in step and not isinstance(step.get("payload", {}), dict):
            raise _bad(f"steps[{i}].payload", Msg("trial.not_object"))
        if not isinstance(step.get("values", {}), dict):
            raise _bad(f"steps[{i}].values", Msg("trial.not_object"))
        if step.get("at"):
            parse_moment(step["at"], f"steps[{i}].at")
        if "by" in step and not isinstance(step["by"], str):
            raise _bad(f"steps[{i}].by", Msg("trial.bad_step"))
    if not isinstance(raw.get("data", {}), dict):
        raise _bad("data", Msg("trial.not_object"))
    return raw


def check_messages(scenario: dict, files: dict[str, bytes]) -> None:
    """Refuse a scenario whose step sends a message that no diagram of these files catches, naming the step."""
    steps = [(i, s) for i, s in enumerate(scenario.get("steps") or [], 1) if "message" in s]
    if not steps:
        return
    known = caught_messages(files)
    for i, step in steps:
        if step["message"] not in known:
            raise _bad(f"steps[{i}].message", Msg("trial.unknown_message", step=i, message=step["message"][:60],
                                                  known=", ".join(sorted(known)) or "—"))


def caught_messages(files: dict[str, bytes]) -> set[str]:
    """The names of the messages that some diagram of the files waits for (a catching event or a receive task)."""
    names: set[str] = set()
    for path, content in files.items():
        if not path.endswith(".bpmn"):
            continue
        try:
            root = etree.fromstring(content, etree.XMLParser(resolve_entities=False, no_network=True))
        except etree.XMLSyntaxError:
            continue        # validation of the draft names it
        messages = {m.get("id"): m.get("name") or m.get("id") for m in root.iter() if _local(m.tag) == "message"}
        for element in root.iter():
            tag = _local(element.tag)
            if tag == "receiveTask" and element.get("messageRef") in messages:
                names.add(messages[element.get("messageRef")])
            elif tag in _CATCHERS:
                for child in element:
                    if _local(child.tag) == "messageEventDefinition" and child.get("messageRef") in messages:
                        names.add(messages[child.get("messageRef")])
    return names


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def parse_moment(value, where: str) -> datetime:
    """A moment of a scenario: an ISO date (9 a.m. China time that day) or date and time (China time if no zone)."""
    try:
        text = str(value or "").strip()
        if len(text) == 10:
            return datetime.combine(datetime.fromisoformat(text).date(), time(9), CHINA_TZ)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise _bad(where, Msg("trial.bad_moment", value=str(value)[:40])) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=CHINA_TZ)


def _bad(where: str, msg: Msg) -> DataValidationError:
    return DataValidationError(Msg("trial.bad_scenario"), [FieldError(where, msg, "scenario")])


def is_scenario_path(path: str) -> bool:
    """Whether a bundle file is a saved scenario (`forms/**/scenarios/*.json`)."""
    return path.startswith("forms/") and f"/{SCENARIO_DIR}/" in path and path.endswith(".json")


def scenario_problems(files: dict[str, bytes], processes: set[str], task_ids: set[str]) -> list[Problem]:
    """Every problem of the bundle's saved scenarios, each located by file and path within the scenario: a file that
    does not read as a scenario, a process the bundle does not have, a step's task that none of its diagrams has, a
    message none of them waits for."""
    problems: list[Problem] = []
    known = None
    for path in sorted(p for p in files if is_scenario_path(p)):
        try:
            scenario = parse_scenario(files[path], "")
        except DataValidationError as exc:
            problems.extend(Problem(path, e.msg, element=e.field or None) for e in exc.errors)
            continue
        if scenario["process"] not in processes:
            problems.append(Problem(path, Msg("scenario.unknown_process", process=scenario["process"][:80]),
                                    element="process"))
        for i, step in enumerate(scenario.get("steps") or [], 1):
            if "task" in step and step["task"] not in task_ids:
                problems.append(Problem(path, Msg("scenario.unknown_task", step=i, task=step["task"][:80]),
                                        element=f"steps[{i}].task"))
            elif "message" in step:
                known = caught_messages(files) if known is None else known
                if step["message"] not in known:
                    problems.append(Problem(path, Msg("trial.unknown_message", step=i, message=step["message"][:60],
                                                      known=", ".join(sorted(known)) or "—"),
                                            element=f"steps[{i}].message"))
    return problems
