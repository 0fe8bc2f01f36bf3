"""Recorded random draws (双随机一公开): a sample from a pool, or people assigned to targets, computed by a
published algorithm from the pool, the criteria and a seed, so anyone can run a draw again from its record.

Algorithm "sha256-v1". The rank of a key is `sha256(seed + "\\x1f" + key)` as hex text (UTF-8); keys are put in
hash order by (rank, key).
- sample: the pool's keys in hash order, the first `count` of them.
- assignment: targets in hash order each take `per_target` people, greedily the allowed person with the fewest
  targets so far (ties by the person's rank), at most `max_per_person` targets a person; then, for each target still
  short, augmenting paths (breadth first, people in hash order) move people between targets until no target can
  gain one: a maximum flow, so an assignment is found whenever one exists. People of a target are listed in hash
  order, targets in draw order.
"""
from __future__ import annotations

import hashlib
import heapq
from collections import deque
from datetime import datetime, timezone

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ..core.case_records import RandomDraw
from ..core.errors import InvalidState, NotAllowed, NotFound
from ..core.messages import Msg
from ..core.models import AuditEvent, Case, Organization, User

ALGORITHM = "sha256-v1"
SAMPLE, ASSIGN = "sample", "assign"
RESERVED_CRITERIA = ("count", "per_target", "max_per_person", "excluded")


def rank(seed: str, key: str) -> str:
    """A key's place in the seed's order: what makes the draw random, and re-computable by anyone."""
    return hashlib.sha256(f"{seed}\x1f{key}".encode("utf-8")).hexdigest()


def hash_order(seed: str, keys) -> list[str]:
    """Keys in the seed's order (rank, then key, so equal ranks cannot make the order ambiguous)."""
    return sorted(keys, key=lambda k: (rank(seed, k), k))


def sample(keys: list[str], count: int, seed: str) -> list[str]:
    """The first `count` keys in the seed's order (all of them when the pool is smaller)."""
    return hash_order(seed, keys)[:count]


def assign(targets: list[str], people: list[str], per_target: int, max_per_person: int,
           excluded: dict[str, list[str]], seed: str) -> tuple[dict[str, list[str]], dict[str, int]]:
    """People assigned to targets, and the shortage per target (empty when every target got `per_target`)."""
    state = _Assignment(hash_order(seed, targets), hash_order(seed, people), per_target, max_per_person, excluded)
    state.greedy()
    state.augment()
    by_rank = {p: i for i, p in enumerate(state.people)}
    assignment = {t: sorted(state.assigned[t], key=by_rank.__getitem__) for t in state.targets}
    shortage = {t: per_target - len(got) for t, got in assignment.items() if len(got) < per_target}
    return assignment, shortage


class _Assignment:
    """The assignment being built: who goes where, and how many targets each person has."""

    def __init__(self, targets, people, per_target, max_per_person, excluded):
        self.targets, self.people = targets, people
        self.per_target, self.max_per_person = per_target, max_per_person
        self.excluded = {p: frozenset(ts) for p, ts in excluded.items()}
        self.assigned: dict[str, list[str]] = {t: [] for t in targets}
        self.holds: dict[str, set[str]] = {p: set() for p in people}      # person -> targets
        self.place = {t: i for i, t in enumerate(targets)}
        self.load = dict.fromkeys(people, 0)

    def allowed(self, person: str, target: str) -> bool:
        """Whether the person may go to the target and is not there already."""
        return target not in self.excluded.get(person, ()) and person not in self.assigned[target]

    def greedy(self) -> None:
        """Fill each target in draw order with the least-loaded allowed people, ties in hash order (most
        instances end here); a heap of (load, place, person) keeps each pick cheap."""
        heap = [(0, i, p) for i, p in enumerate(self.people)] if self.max_per_person else []
        for target in self.targets:
            put_back = []
            while len(self.assigned[target]) < self.per_target and heap:
                load, place, person = heapq.heappop(heap)
                if target not in self.excluded.get(person, ()):
                    self.assigned[target].append(person)
                    self.holds[person].add(target)
                    self.load[person] = load = load + 1
                if load < self.max_per_person:
                    put_back.append((load, place, person))
            for item in put_back:
                heapq.heappush(heap, item)

    def augment(self) -> None:
        """Move people between targets along augmenting paths until no short target can gain anyone."""
        progress = True
        while progress:
            progress = False
            for target in self.targets:
                while len(self.assigned[target]) < self.per_target and self._path_from(target):
                    progress = True

    def _path_from(self, start: str) -> bool:
        """One augmenting path from a short target to a person with room, applied; False when there is none."""
        came_to_person: dict[str, str] = {}     # person -> the target that reached it
        came_to_target: dict[str, str] = {}     # target -> the person it would give up
        queue, seen = deque([start]), {start}
        while queue:
            target = queue.popleft()
            for person in self.people:
                if person in came_to_person or not self.allowed(person, target):
                    continue
                came_to_person[person] = target
                if self.load[person] < self.max_per_person:
                    self._apply(person, came_to_person, came_to_target)
                    return True
                for other in sorted(self.holds[person] - seen, key=self.place.__getitem__):
                    seen.add(other)
                    came_to_target[other] = person
                    queue.append(other)
        return False

    def _apply(self, person: str, came_to_person: dict, came_to_target: dict) -> None:
        self.load[person] += 1
        while True:
            target = came_to_person[person]
            self.assigned[target].append(person)
            self.holds[person].add(target)
            if target not in came_to_target:
                return
            person = came_to_target[target]
            self.assigned[target].remove(person)
            self.holds[person].discard(target)


def rerun(draw: RandomDraw) -> dict:
    """The result a draw's record gives when computed again."""
    if draw.algorithm != ALGORITHM:
        raise InvalidState(Msg("draw.unknown_algorithm", algorithm=draw.algorithm), draw=draw.id)
    pool, criteria = draw.pool or {}, draw.criteria or {}
    if draw.method == SAMPLE:
        return {"chosen": sample(entry_keys(pool.get("items", [])), criteria["count"], draw.seed)}
    assignment, _ = assign(entry_keys(pool.get("targets", [])), entry_keys(pool.get("people", [])),
                           criteria["per_target"], criteria["max_per_person"], criteria.get("excluded") or {},
                           draw.seed)
    return {"assignment": assignment}


def entry_keys(entries: list) -> list[str]:
    """The keys of pool entries: a key itself, or a dict's "key"."""
    return [e.get("key") if isinstance(e, dict) else e for e in entries]


def record(session: Session, *, case_id: int | None, purpose: str, method: str, seed: str, pool: dict,
           criteria: dict, result: dict, drawn_by: str, drawn_at: datetime) -> int:
    """Store a draw in the caller's transaction, without flushing its other changes, and answer its id."""
    table = RandomDraw.__table__
    values = {"case_id": case_id, "purpose": purpose, "method": method, "algorithm": ALGORITHM, "seed": seed,
              "pool": pool, "criteria": criteria, "result": result, "drawn_by": drawn_by, "drawn_at": drawn_at}
    return session.connection().execute(insert(table).values(values).returning(table.c.id)).scalar_one()


def get(session: Session, draw_id: int, case_id: int | None = None) -> RandomDraw:
    """A draw by id (of that case, when one is named)."""
    draw = session.get(RandomDraw, draw_id)
    if draw is None or (case_id is not None and draw.case_id != case_id):
        raise NotFound(Msg("draw.not_found", id=draw_id), draw=draw_id)
    return draw


def verify(session: Session, draw_id: int) -> bool:
    """Whether the draw's stored result is what its pool, criteria and seed give."""
    draw = get(session, draw_id)
    return rerun(draw) == draw.result


def draws_of_case(session: Session, case_id: int) -> list[RandomDraw]:
    """The draws recorded by a case, oldest first."""
    return list(session.scalars(select(RandomDraw).where(RandomDraw.case_id == case_id).order_by(RandomDraw.id)))


def published(session: Session, page: int = 1, per_page: int = 50) -> list[tuple[RandomDraw, str]]:
    """Published draws, newest first, with the name of the organisation whose case ran each."""
    query = (select(RandomDraw, Organization.name).join(Case, Case.id == RandomDraw.case_id)
             .join(Organization, Organization.id == Case.org_id).where(RandomDraw.published_at.is_not(None))
             .order_by(RandomDraw.published_at.desc(), RandomDraw.id.desc())
             .offset((max(page, 1) - 1) * per_page).limit(per_page))
    return [(draw, name) for draw, name in session.execute(query)]


def published_draw(session: Session, draw_id: int) -> tuple[RandomDraw, str]:
    """One published draw and its organisation's name; an unpublished draw is not found, as if it did not exist."""
    query = (select(RandomDraw, Organization.name).join(Case, Case.id == RandomDraw.case_id)
             .join(Organization, Organization.id == Case.org_id)
             .where(RandomDraw.id == draw_id, RandomDraw.published_at.is_not(None)))
    row = session.execute(query).first()
    if row is None:
        raise NotFound(Msg("draw.not_found", id=draw_id), draw=draw_id)
    return row[0], row[1]


def publish(session: Session, draw_id: int, actor: User, now: datetime | None = None,
            case_id: int | None = None) -> RandomDraw:
    """公开: mark a draw published, by staff of its case's organisation, with an audit event on the case."""
    draw = get(session, draw_id, case_id)
    case = session.get(Case, draw.case_id) if draw.case_id is not None else None
    if case is None or case.org_id != actor.org_id:
        raise NotAllowed(Msg("draw.publish_not_allowed"), draw=draw_id)
    if draw.published_at is not None:
        raise InvalidState(Msg("draw.already_published"), draw=draw_id)
    draw.published_at = now or datetime.now(timezone.utc)
    session.add(AuditEvent(case_id=case.id, actor=actor.username, at=draw.published_at, action="draw_published",
                           detail={"draw": draw.id, "name": draw.purpose}))
    session.commit()
    return draw
