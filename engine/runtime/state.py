"""Workflow state: the spec once per bundle version, and a compact live state per case.

The codec is SpiffWorkflow's serializer registry with three of its converters replaced (state_converters.py):
the workflow and subprocess converters leave the spec out (it is stored once per bundle version), and the task
converter writes lawflow's format 2, in which a field holding its default is left out. Everything else — specs,
event definitions, BPMN events, typed values in task data — is converted by SpiffWorkflow's own converters.

Every stored text carries two version marks: `format`, lawflow's own (1: tasks as SpiffWorkflow's TaskConverter
writes them; 2: the same less default-valued fields), and `serializer_version`, the version of SpiffWorkflow's
serializer whose converters wrote it (`BpmnWorkflowSerializer.VERSION_KEY`). A text whose serializer version is
older than the running one is put into SpiffWorkflow's full format (its spec beside it, tasks written out whole)
and passed through SpiffWorkflow's own migration (`BpmnWorkflowSerializer.migrate`) before it is restored. Texts
written before the mark was stored carry none and were written by serializer 1.5 (SpiffWorkflow 3.2). A state in
SpiffWorkflow's full format (what its `serialize_json` writes) loads too; its embedded spec is used only to
migrate it, the case's deployed spec to run it.

The live state is compacted after every step (compaction.py): only tasks that can still run are stored. So no
stored state can be reset to a task of an earlier step, nor compensate one; see compaction.py before building
anything (such as sending a case back, 驳回) on SpiffWorkflow's reset or on finished tasks.
"""
from __future__ import annotations

import json
from collections.abc import Callable

import orjson
from SpiffWorkflow.bpmn.serializer.helpers.encoder import create_encoder
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SERIALIZER_VERSION, BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow

from ..core.db import json_value as _loads
from .state_converters import LIVE_STATE_CONFIG, expanded_tasks

STATE_FORMAT = 2
VERSION_KEY = BpmnWorkflowSerializer.VERSION_KEY
# What wrote a text that carries no serializer version: lawflow on SpiffWorkflow 3.2, before the mark was kept.
UNMARKED_VERSION = "1.5"


class StateCodec:
    """Turns specs and live workflow state into JSON text and back, through SpiffWorkflow's serializer registry."""

    def __init__(self) -> None:
        self.registry = BpmnWorkflowSerializer.configure(LIVE_STATE_CONFIG)
        self._serializer = BpmnWorkflowSerializer(self.registry)        # its `migrate` upgrades older texts
        self._encoder = create_encoder(self.registry)
        self._encode_other = self._encoder().default     # what orjson hands back: SpiffWorkflow's typed values

    def _dumps(self, value) -> str:
        self.registry._encoder_mode = True
        try:
            try:
                return orjson.dumps(value, default=self._encode_other, option=_ORJSON_OPTIONS).decode()
            except orjson.JSONEncodeError:
                # What orjson refuses (integers past 64 bits, lone surrogates, a type SpiffWorkflow's encoder
                # leaves to the json module) is written as the json module writes it.
                # Serialized state is a tree of fresh dicts and lists: the circular-reference check only costs.
                return json.dumps(value, cls=self._encoder, ensure_ascii=False, separators=(",", ":"),
                                  check_circular=False)
        finally:
            self.registry._encoder_mode = False

    def dump_specs(self, spec, subprocess_specs: dict) -> str:
        """Serialize a process spec and the specs it calls (done once, at deploy)."""
        return self._dumps({
            "spec": self.registry.convert(spec),
            "subprocess_specs": {k: self.registry.convert(v) for k, v in subprocess_specs.items()},
            VERSION_KEY: SERIALIZER_VERSION,
        })

    def load_specs(self, text: str):
        """Restore a process spec and its called specs, migrated first if an older serializer wrote them."""
        dct = _loads(text)
        if dct.get(VERSION_KEY, UNMARKED_VERSION) != SERIALIZER_VERSION:
            dct = self._migrated({"tasks": {}, "subprocesses": {}, **dct})
        spec = self.registry.restore(dct["spec"])
        subs = {k: self.registry.restore(v) for k, v in dct["subprocess_specs"].items()}
        return spec, subs

    def dump_state(self, workflow: BpmnWorkflow) -> str:
        """Serialize a workflow's live state, without its spec."""
        return self._dumps(self.state_dict(workflow))

    def state_dict(self, workflow: BpmnWorkflow) -> dict:
        """What `dump_state` writes, before it is encoded: task data is left for the encoder to convert."""
        return {"format": STATE_FORMAT, **self.registry.convert(workflow), VERSION_KEY: SERIALIZER_VERSION}

    def load_state(self, text: str, spec, subprocess_specs: dict, script_engine,
                   spec_text: Callable[[], str] | None = None) -> BpmnWorkflow:
        """Rebuild a workflow from its live state and an already restored spec.

        `spec_text` reads the stored spec the state was written with; it is needed only when the state must be
        migrated (without it, the restored spec is written out again to stand in for it).
        """
        dct = _loads(text)
        if dct.get(VERSION_KEY, UNMARKED_VERSION) != SERIALIZER_VERSION:
            dct = self._migrated(self._full_format(dct, spec, subprocess_specs, spec_text))
        dct.setdefault("typename", self.registry.typenames[BpmnWorkflow])
        return self.registry.restore(dct, spec=spec, subprocess_specs=subprocess_specs, script_engine=script_engine)

    def _full_format(self, dct: dict, spec, subprocess_specs: dict, spec_text) -> dict:
        """A stored state as SpiffWorkflow's own serializer writes it (spec included), for its migrations."""
        if "spec" not in dct:
            if spec_text is not None:
                specs = _loads(spec_text())
            else:
                specs = {"spec": self.registry.convert(spec),
                         "subprocess_specs": {k: self.registry.convert(v) for k, v in subprocess_specs.items()}}
            dct.update(spec=specs["spec"], subprocess_specs=specs["subprocess_specs"])
        for sub in dct.get("subprocesses", {}).values():
            sub["tasks"] = expanded_tasks(sub["tasks"])
        dct["tasks"] = expanded_tasks(dct["tasks"])
        dct.setdefault(VERSION_KEY, UNMARKED_VERSION)
        return dct

    def _migrated(self, dct: dict) -> dict:
        """The dict upgraded by SpiffWorkflow's own migrations to the running serializer's version."""
        self._serializer.migrate(dct)
        dct[VERSION_KEY] = SERIALIZER_VERSION
        return dct


# With these options orjson writes what the json module writes, handing datetimes, dataclasses and subclasses of
# the plain types to `default` (SpiffWorkflow's encoder) as the json module does. Two differences remain, for
# values no diagram helper produces: a NaN or an infinity becomes null (the json module writes a token no JSON
# parser accepts), and a UUID in task data is written as its text rather than as SpiffWorkflow's typed value.
_ORJSON_OPTIONS = (orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_SUBCLASS | orjson.OPT_PASSTHROUGH_DATACLASS
                   | orjson.OPT_NON_STR_KEYS)
