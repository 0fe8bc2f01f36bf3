"""Diagram helpers that draw at random and record the draw (engine/records/draws.py) in the step's transaction:
a failed step rolls its draws back with it, and a shortage answers `ok` False without recording anything."""
from __future__ import annotations

import secrets

from ..core.messages import Msg
from ..core.values import plain
from ..core.vocabulary import DRAW_ASSIGNMENT_HELPER, DRAW_SAMPLE_HELPER
from ..records import draws
from .case_context import _instance

_PURPOSE_CHARS = 200


def draw_sample(purpose, pool, count, criteria=None) -> dict:
    """Draw `count` entries of a pool at random, recorded so anyone can run it again from its record."""
    instance = _instance()
    purpose = _purpose(purpose)
    entries, keys = _entries("pool", pool, instance.engine.limits)
    count = _positive("count", count)
    criteria = _criteria(criteria)
    if count > len(keys):
        return {"ok": False, "needed": count, "available": len(keys),
                "message": Msg("draw.short_pool", needed=count, available=len(keys)).dumps()}
    seed = secrets.token_hex(16)
    result = {"chosen": draws.sample(keys, count, seed)}
    draw_id = _record(instance, purpose, draws.SAMPLE, seed, {"items": entries}, {**criteria, "count": count}, result)
    return {"ok": True, "draw_id": draw_id, "chosen": list(result["chosen"])}


def draw_assignment(purpose, targets, people, per_target, max_per_person, excluded=None) -> dict:
    """Assign `per_target` people to each target at random, never an excluded pair and at most `max_per_person`
    targets a person, recorded; an assignment is found whenever one exists."""
    instance = _instance()
    limits = instance.engine.limits
    purpose = _purpose(purpose)
    target_entries, target_keys = _entries("targets", targets, limits)
    people_entries, people_keys = _entries("people", people, limits)
    if len(target_keys) * len(people_keys) > limits.max_items:
        raise ValueError(Msg("draw.too_many_pairs", targets=len(target_keys), people=len(people_keys),
                             limit=limits.max_items))
    per_target, max_per_person = _positive("per_target", per_target), _positive("max_per_person", max_per_person)
    excluded = _excluded(excluded)
    seed = secrets.token_hex(16)
    assignment, shortage = draws.assign(target_keys, people_keys, per_target, max_per_person, excluded, seed)
    if shortage:
        return {"ok": False, "shortage": shortage,
                "message": Msg("draw.short_people", targets=len(shortage), missing=sum(shortage.values())).dumps()}
    criteria = {"per_target": per_target, "max_per_person": max_per_person, "excluded": excluded}
    result = {"assignment": assignment}
    draw_id = _record(instance, purpose, draws.ASSIGN, seed, {"targets": target_entries, "people": people_entries},
                      criteria, result)
    return {"ok": True, "draw_id": draw_id, "assignment": {t: list(ps) for t, ps in assignment.items()}}


def _record(instance, purpose, method, seed, pool, criteria, result) -> int:
    return draws.record(instance.session, case_id=instance.case.id, purpose=purpose, method=method, seed=seed,
                        pool=pool, criteria=criteria, result=result, drawn_by=instance.actor,
                        drawn_at=instance.engine.now())


def _purpose(purpose) -> str:
    if not isinstance(purpose, str) or not purpose.strip() or len(purpose) > _PURPOSE_CHARS:
        raise ValueError(Msg("draw.purpose", limit=_PURPOSE_CHARS))
    return purpose.strip()


def _entries(name: str, entries, limits) -> tuple[list, list[str]]:
    """A pool's entries as plain data and their keys; bad, repeated or too many entries are refused."""
    if not isinstance(entries, (list, tuple)):
        raise ValueError(Msg("draw.not_a_list", name=name))
    limit = limits.max_instances * 10
    if len(entries) > limit:
        raise ValueError(Msg("draw.pool_too_large", name=name, count=len(entries), limit=limit))
    kept = [plain(e) for e in entries]
    keys = draws.entry_keys(kept)
    seen = set()
    for index, key in enumerate(keys):     # counted from 1 in the message, as people count
        if not isinstance(key, str) or not key:
            raise ValueError(Msg("draw.bad_entry", name=name, index=index + 1))
        if key in seen:
            raise ValueError(Msg("draw.duplicate_key", name=name, key=key))
        seen.add(key)
    return kept, keys


def _positive(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(Msg("draw.bad_number", name=name, value=repr(value)[:40]))
    return value


def _criteria(criteria) -> dict:
    """What the diagram says about how the pool was chosen, kept with the draw (it does not change the result)."""
    if criteria is None:
        return {}
    if not isinstance(criteria, dict) or any(not isinstance(k, str) for k in criteria):
        raise ValueError(Msg("draw.bad_criteria"))
    reserved = sorted(set(criteria) & set(draws.RESERVED_CRITERIA))
    if reserved:
        raise ValueError(Msg("draw.reserved_criteria", names=", ".join(reserved)))
    return plain(criteria)


def _excluded(excluded) -> dict[str, list[str]]:
    """{person: [targets]} with text keys and lists of text, sorted so the record reads the same every time."""
    if excluded is None:
        return {}
    if not isinstance(excluded, dict):
        raise ValueError(Msg("draw.bad_excluded", person=""))
    clean = {}
    for person, targets in excluded.items():
        if not isinstance(person, str) or not isinstance(targets, (list, tuple)) \
                or not all(isinstance(t, str) for t in targets):
            raise ValueError(Msg("draw.bad_excluded", person=str(person)[:60]))
        clean[person] = sorted(set(targets))
    return clean


HELPERS = {DRAW_SAMPLE_HELPER: draw_sample, DRAW_ASSIGNMENT_HELPER: draw_assignment}
