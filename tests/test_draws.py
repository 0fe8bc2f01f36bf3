"""Recorded random draws (双随机一公开): the sha256-v1 algorithm, assignments that respect exclusions and capacity
and are found whenever one exists, and the diagram helpers that record a draw in the step's transaction."""
from __future__ import annotations

import itertools
import random
from datetime import datetime
from uuid import UUID

import pytest
import time_machine
from sqlalchemy import func, select, update

from engine.core import people
from engine.core.errors import CaseFailed
from engine.core.messages import Msg
from engine.core.models import AuditEvent
from engine.core.case_records import RandomDraw
from engine.definitions import bundles
from engine.records import draws
from engine.runtime import cases
from engine.runtime.engine import Engine
from engine.sandbox import Limits
from engine.time.workdays import CHINA_TZ

from . import diagrams
from .conftest import bundle_with
from .helpers import only_ready, zh

FIRMS = [f"F-{n:04d}" for n in range(1, 6)]


# --- the algorithm ---------------------------------------------------------------------------------------------

def test_the_same_pool_criteria_and_seed_give_the_same_sample_and_other_seeds_other_ones():
    assert draws.sample(FIRMS, 2, "seed-1") == draws.sample(list(reversed(FIRMS)), 2, "seed-1")
    results = {tuple(draws.sample(FIRMS, 2, f"seed-{n}")) for n in range(200)}
    assert len(results) > 10
    chosen = {key for result in results for key in result}
    assert chosen == set(FIRMS)                          # over 200 seeds every firm is drawn


def test_the_order_is_sha256_of_seed_and_key_as_the_record_says():
    import hashlib

    ranks = sorted((hashlib.sha256(f"abc\x1f{k}".encode()).hexdigest(), k) for k in FIRMS)
    assert draws.sample(FIRMS, 5, "abc") == [k for _, k in ranks]


def _check(assignment, targets, people_, per_target, max_per_person, excluded):
    assert set(assignment) == set(targets)
    for target, chosen in assignment.items():
        assert len(chosen) == len(set(chosen)) <= per_target
        assert set(chosen) <= set(people_)
        assert not [p for p in chosen if target in excluded.get(p, [])]
    loads = [sum(p in chosen for chosen in assignment.values()) for p in people_]
    assert max(loads) <= max_per_person


def test_an_assignment_never_pairs_an_excluded_person_and_respects_each_persons_capacity():
    rng = random.Random(16)
    for n in range(60):
        targets = [f"T{i}" for i in range(rng.randint(1, 8))]
        persons = [f"P{i}" for i in range(rng.randint(1, 8))]
        excluded = {p: rng.sample(targets, rng.randint(0, len(targets))) for p in persons if rng.random() < 0.6}
        per_target, cap = rng.randint(1, 3), rng.randint(1, 3)
        assignment, shortage = draws.assign(targets, persons, per_target, cap, excluded, f"s{n}")
        _check(assignment, targets, persons, per_target, cap, excluded)
        assert shortage == {t: per_target - len(c) for t, c in assignment.items() if len(c) < per_target}


def _exists(targets, persons, per_target, cap, excluded) -> bool:
    """Whether any full assignment exists, by trying every one (tiny instances only)."""
    options = [[set(c) for c in itertools.combinations([p for p in persons if t not in excluded.get(p, [])],
                                                       per_target)] for t in targets]
    return any(all(sum(p in c for c in combo) <= cap for p in persons) for combo in itertools.product(*options))


def test_an_assignment_is_found_whenever_one_exists():
    rng = random.Random(7)
    for n in range(150):
        targets = [f"T{i}" for i in range(rng.randint(1, 4))]
        persons = [f"P{i}" for i in range(rng.randint(1, 4))]
        excluded = {p: rng.sample(targets, rng.randint(0, len(targets))) for p in persons}
        per_target, cap = rng.randint(1, 2), rng.randint(1, 2)
        _, shortage = draws.assign(targets, persons, per_target, cap, excluded, f"x{n}")
        assert (shortage == {}) == _exists(targets, persons, per_target, cap, excluded), (targets, excluded)


def test_a_tight_instance_that_greedy_gets_wrong_is_still_assigned():
    # B may not go to X: X needs A, so Y must get B. Greedy, taking Y first with A ranked first, leaves X empty.
    targets, persons, excluded = ["X", "Y"], ["A", "B"], {"B": ["X"]}
    greedy_failed = 0
    for n in range(40):
        seed = f"tight-{n}"
        state = draws._Assignment(draws.hash_order(seed, targets), draws.hash_order(seed, persons), 1, 1, excluded)
        state.greedy()
        greedy_failed += not state.assigned["X"]
        assert draws.assign(targets, persons, 1, 1, excluded, seed) == ({"X": ["A"], "Y": ["B"]}, {})
    assert greedy_failed > 0


def test_a_shortage_names_each_target_and_how_many_it_lacks():
    assignment, shortage = draws.assign(["X", "Y"], ["A", "B"], 2, 1, {}, "s")
    assert sum(len(c) for c in assignment.values()) == 2
    assert sum(shortage.values()) == 2 and set(shortage) <= {"X", "Y"}


# --- the helpers in a diagram ----------------------------------------------------------------------------------

FORM = b'{"type": "object", "title": "\xe6\x8a\xbd\xe5\x8f\x96", "properties": {"note": {"type": "string"}}}'
MOMENT = datetime(2025, 11, 3, 10, 30, tzinfo=CHINA_TZ)


def draw_process(script: str) -> bytes:
    """Prepare (a user task), then a script that draws, then a task to look at the result."""
    d = diagrams
    return d.process("drawing", [
        '<bpmn:startEvent id="StartEvent"/>', d.user_task("Task_prepare", "test/draw.schema.json"),
        d.script_task("Script_draw", script), d.user_task("Task_after", "test/draw.schema.json"),
        '<bpmn:endEvent id="EndEvent"/>',
    ], [
        d.flow("F1", "StartEvent", "Task_prepare"), d.flow("F2", "Task_prepare", "Script_draw"),
        d.flow("F3", "Script_draw", "Task_after"), d.flow("F4", "Task_after", "EndEvent"),
    ], lanes={"经办人": ["StartEvent", "Task_prepare", "Script_draw", "Task_after", "EndEvent"]})


DRAW_BOTH = ("drawn = draw_sample('年度抽查', pool, count, {'year': 2025})\n"
             "assigned = draw_assignment('检查人员分配', drawn['chosen'] if drawn['ok'] else [], inspectors, 2, 2, "
             "excluded)")
START = {"pool": [{"key": k, "name": f"{k}律所"} for k in FIRMS], "count": 3,
         "inspectors": ["i1", "i2", "i3", "i4"], "excluded": {"i1": FIRMS[:2], "i2": FIRMS[1:3]}}


def run_draw(engine, session, script: str, data: dict):
    """Deploy the drawing diagram with `script`, start a case and let alice complete the first task at MOMENT."""
    bundles.deploy(session, bundle_with({"processes/test/drawing.bpmn": draw_process(script),
                                         "forms/test/draw.schema.json": FORM}), engine=engine)
    case = cases.start_case(engine, session, "drawing", data, org_code="county-a")
    task = only_ready(session, case.id)
    with time_machine.travel(MOMENT, tick=False):
        cases.complete_task(engine, session, task.id, {}, user=people.user_by_name(session, "alice"))
    return case


def data_now(engine, session, case_id):
    session.expire_all()
    task = only_ready(session, case_id)
    case = cases.get_case(session, case_id)
    return engine.load_workflow(session, case).get_task_from_id(UUID(task.task_uuid)).data


def test_a_draw_in_a_diagram_step_is_recorded_with_its_actor_and_time_and_verifies(engine, session, org_tree):
    case = run_draw(engine, session, DRAW_BOTH, START)
    data = data_now(engine, session, case.id)
    drawn, assigned = data["drawn"], data["assigned"]
    assert drawn["ok"] and len(drawn["chosen"]) == 3 and assigned["ok"]
    _check(assigned["assignment"], drawn["chosen"], START["inspectors"], 2, 2, START["excluded"])
    records = draws.draws_of_case(session, case.id)
    assert [(r.id, r.method, r.purpose) for r in records] == [(drawn["draw_id"], "sample", "年度抽查"),
                                                              (assigned["draw_id"], "assign", "检查人员分配")]
    sample = records[0]
    assert (sample.drawn_by, sample.drawn_at, sample.algorithm) == ("alice", MOMENT, "sha256-v1")
    assert sample.criteria == {"year": 2025, "count": 3} and sample.pool == {"items": START["pool"]}
    assert sample.result == {"chosen": drawn["chosen"]} == draws.rerun(sample)
    assert draws.sample(FIRMS, 3, sample.seed) == drawn["chosen"]        # by hand, from the record
    assert records[1].criteria["excluded"] == {"i1": FIRMS[:2], "i2": FIRMS[1:3]}
    assert draws.verify(session, sample.id) and draws.verify(session, records[1].id)


def test_a_tampered_record_does_not_verify(engine, session, org_tree):
    case = run_draw(engine, session, DRAW_BOTH, START)
    sample, assignment = draws.draws_of_case(session, case.id)
    others = [k for k in FIRMS if k not in sample.result["chosen"]]
    session.execute(update(RandomDraw).where(RandomDraw.id == sample.id)
                    .values(result={"chosen": [others[0], *sample.result["chosen"][1:]]}))
    target, drawn = next(iter(assignment.result["assignment"].items()))
    tampered = [*drawn[:-1], "someone-not-drawn"]             # always differs from what the seed drew
    session.execute(update(RandomDraw).where(RandomDraw.id == assignment.id).values(
        result={"assignment": {**assignment.result["assignment"], target: tampered}}))
    session.commit()
    session.expire_all()
    assert not draws.verify(session, sample.id) and not draws.verify(session, assignment.id)


def test_a_failed_step_takes_its_draw_back_with_it(engine, session, org_tree):
    with pytest.raises(CaseFailed):
        run_draw(engine, session, "drawn = draw_sample('年度抽查', pool, 2)\nbroken = 1 / 0", START)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(RandomDraw)) == 0


def test_a_shortage_answers_ok_false_with_the_numbers_and_records_nothing(engine, session, org_tree):
    script = ("drawn = draw_sample('年度抽查', pool, 9)\n"
              "assigned = draw_assignment('检查人员分配', ['F-0001', 'F-0002'], ['i1', 'i2'], 2, 1, {'i1': ['F-0001']})")
    case = run_draw(engine, session, script, START)
    data = data_now(engine, session, case.id)
    assert {k: data["drawn"][k] for k in ("ok", "needed", "available")} == {"ok": False, "needed": 9, "available": 5}
    assert zh(Msg.loads(data["drawn"]["message"])) == "备选范围只有 5 个，需要抽取 9 个"
    assigned = data["assigned"]
    assert assigned["ok"] is False and sum(assigned["shortage"].values()) == 2
    assert zh(Msg.loads(assigned["message"])).startswith("符合条件的人员不足")
    assert draws.draws_of_case(session, case.id) == []


def test_a_pool_past_the_sandbox_bound_fails_the_step_with_a_clear_message(session, org_tree):
    engine = Engine(limits=Limits(max_instances=1))
    with pytest.raises(CaseFailed) as err:
        run_draw(engine, session, "drawn = draw_sample('年度抽查', pool, 2)",
                 {"pool": [f"F-{n}" for n in range(11)]})
    assert "pool 有 11 项，超过 10 项的上限" in zh(err.value)


def test_bad_pool_entries_name_the_list_and_the_entry(engine, session, org_tree):
    with pytest.raises(CaseFailed) as err:
        run_draw(engine, session, "drawn = draw_sample('年度抽查', pool, 1)", {"pool": ["F-1", {"name": "无键"}]})
    assert "pool 第 2 项没有键" in zh(err.value)


def test_publishing_a_draw_is_for_staff_of_the_cases_organisation_and_audited(engine, session, org_tree):
    from engine.core.errors import InvalidState, NotAllowed

    case = run_draw(engine, session, DRAW_BOTH, START)
    draw_id = draws.draws_of_case(session, case.id)[0].id
    with pytest.raises(NotAllowed):
        draws.publish(session, draw_id, people.user_by_name(session, "carl"), MOMENT)
    published = draws.publish(session, draw_id, people.user_by_name(session, "amy"), MOMENT)
    assert published.published_at == MOMENT
    with pytest.raises(InvalidState):
        draws.publish(session, draw_id, people.user_by_name(session, "amy"), MOMENT)
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "draw_published")).all()
    assert [(e.case_id, e.actor, e.detail["draw"]) for e in events] == [(case.id, "amy", draw_id)]
