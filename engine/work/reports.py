"""Reports for leaders: the figures a report definition (`forms/**/*.report.json`) declares, computed for a reader,
an organisation of the reader's subtree and a period, each able to name the cases behind it. Only the cases of
that subtree count (the one rule of `engine/core/scope.py`); a rate whose base is empty has no value (shown as
no data), never a division by zero; so has a mean with nothing recorded. A field's `sum`, `mean` and `ratio`
(one field's sum over another's) read numbers the cases report (a key of an object field: `area_scores.A`); a `sum`
or `mean` of `tasks` is the time the cases spent in those steps (open ones up to now), e.g. the days a case
was suspended. A report with a ranking (考核排名) scores each row by its formula, evaluated in
the sandbox over the row's figures, and ranks the rows; a row missing a figure the formula reads is not ranked."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from sqlalchemy import and_, case, func, not_, or_, select, tuple_
from sqlalchemy.orm import Session

from ..core.errors import NotFound
from ..core.messages import Msg
from ..core.models import BundleFile, Case, HumanTask, Organization, User
from ..core.scope import organization, path_within
from ..definitions.bundles import active_bundle
from ..definitions.report_schema import STATUSES, is_report_path
from ..definitions.limit_tables import fill_placeholders, rows_beside
from . import report_sql as sql
from . import report_summary, task_summary
from .report_passes import FIELD_KINDS, case_measures, counted_together, on_time_measures, raw_key
from .report_passes import case_measures_together, on_time_together  # noqa: F401 (part of this module's surface)
from .report_ranking import ranked  # noqa: F401 (part of this module's surface)
from .report_steps import late_step, task_measure, time_in

_LOADED: dict[str, list[dict]] = {}       # bundle content hash -> its reports (a bundle version never changes;
                                           # ids repeat across databases, hashes do not)
TASK_KINDS = ("on_time", "duration", "overdue")
TOTAL = object()                           # the key of a figure over every row


@dataclass
class Figure:
    """One figure: a count, a rate (numerator over denominator; None when the denominator is zero), the
    percentiles of durations (None when nothing was measured), a sum or a mean (None when no case recorded a
    value; the denominator is the number of cases that did) or a ratio of two sums."""

    value: float | int | dict | None
    numerator: int | None = None
    denominator: int | None = None


@dataclass
class Group:
    """One row of a report: its key (an organisation's code, a month, a value; "" for none) and, for an
    organisation, its name."""

    key: str
    name: str | None = None
    figures: dict[str, Figure] = field(default_factory=dict)
    score: float | None = None
    rank: int | None = None


@dataclass
class Result:
    """A report computed for an organisation and a period: its rows and their totals."""

    report: dict
    root: Organization
    since: date | None
    until: date | None
    groups: list[Group]
    total: dict[str, Figure]


def reports(session: Session) -> list[dict]:
    """The reports of the active bundle version, in their declared order."""
    bundle = active_bundle(session)
    if bundle is None:
        return []
    if bundle.content_hash not in _LOADED:
        files = dict(session.execute(select(BundleFile.path, BundleFile.content)
                                     .where(BundleFile.bundle_id == bundle.id)).all())
        found = [fill_placeholders(json.loads(content), rows_beside(files, path))      # `{limit:…}` in its texts
                 for path, content in files.items() if is_report_path(path)]
        _LOADED[bundle.content_hash] = sorted(found, key=lambda r: (r.get("order", 0), r["key"]))
    return _LOADED[bundle.content_hash]


def may_open(report: dict, user: User) -> bool:
    """Whether the user may open the report: it names no roles, or the user holds one of them."""
    roles = report.get("roles")
    return not roles or any(r.code in roles for r in user.roles)


def readable(session: Session, user: User) -> list[dict]:
    """The reports the user may open."""
    return [r for r in reports(session) if may_open(r, user)]


def report(session: Session, user: User, key: str) -> dict:
    """One report the user may open, by key; NotFound otherwise."""
    for found in readable(session, user):
        if found["key"] == key:
            return found
    raise NotFound(Msg("report.not_found", key=key), report=key)


def root_of(session: Session, user: User, org_code: str | None) -> Organization:
    """The organisation figures are counted under: the user's own, or one of the user's subtree by code."""
    if not org_code:
        return user.org
    chosen = organization(session, user, org_code)
    if chosen is None:
        raise NotFound(Msg("report.org_not_found", org=org_code), org=org_code)
    return chosen


def compute(session: Session, user: User, definition: dict, *, org_code: str | None = None,
            since: date | None = None, until: date | None = None, now: datetime | None = None,
            summary: bool = True) -> Result:
    """The report's figures for the organisation (default: the user's own) and the period (China days); overdue
    steps are those past their due time at `now` (default: the present), and a ranking orders the rows."""
    return compute_under(session, root_of(session, user, org_code), definition, since=since, until=until, now=now,
                         summary=summary)


def compute_all(session: Session, user: User, definitions: list[dict], *, org_code: str | None = None,
                since: date | None = None, until: date | None = None, now: datetime | None = None,
                summary: bool = True) -> list[Result]:
    """`compute` of several reports (the 统计 page of a process, a monthly ledger); on PostgreSQL the case measures
    of the reports of one process are counted in one pass over its cases; `summary`: read the stored summary where
    it covers the period (engine/work/report_summary.py; False: count everything live)."""
    root = root_of(session, user, org_code)
    counted: dict[int, dict] = {}
    timed: dict[int, dict] = {}
    stored: dict[int, report_summary.Stored] = {}
    units: dict = {}                          # the summary's units, read once for the reports of a process
    for n, definition in enumerate(definitions):
        found = report_summary.measured(session, definition, root, since, until, now, units) if summary else None
        if found is not None:
            counted[n], timed[n], stored[n] = found.counted, found.timed, found
    rest = [n for n in range(len(definitions)) if n not in counted]
    together = counted_together(session, [definitions[n] for n in rest], root, since, until)
    for into, found in zip((counted, timed), together):
        into.update({rest[n]: parts for n, parts in found.items()})
    return [compute_under(session, root, d, since=since, until=until, now=now, counted=counted.get(n),
                          timed=timed.get(n), summary=False, stored=stored.get(n)) for n, d in enumerate(definitions)]


def compute_under(session: Session, root: Organization, definition: dict, *, since: date | None = None,
                  until: date | None = None, now: datetime | None = None, counted: dict | None = None,
                  timed: dict | None = None, summary: bool = True,
                  stored: report_summary.Stored | None = None) -> Result:
    """The report's figures over the subtree of `root`, which the caller has made sure the reader may see (a
    reader's own subtree, or the whole tree for a report published on the portal); `counted`, `timed`: its case
    measures and on-time rates already counted (`case_measures_together`, `on_time_together`); `summary`: else
    read them (and its durations and overdue counts) from the stored summary where it covers the period;
    `stored`: what was read from it already."""
    dialect = session.get_bind().dialect.name
    now = now or datetime.now(timezone.utc)
    if summary and stored is None and counted is None and timed is None:
        stored = report_summary.measured(session, definition, root, since, until, now)
        counted, timed = (stored.counted, stored.timed) if stored is not None else (None, None)
    gathered = stored.gathered if stored is not None else None
    rows: dict[str, dict[str, list]] = {}
    measured = (dict(counted) if counted is not None
                else case_measures(session, dialect, definition, root, since, until))
    children = _children(session, root) if definition["groupBy"] == sql.ORG else []
    summed: dict[str, dict] = {}             # PostgreSQL's durations: figures by row, and TOTAL
    measured.update(timed if timed is not None else on_time_measures(session, dialect, definition, root, since, until))
    for measure in definition["measures"]:
        if gathered is not None and measure["name"] in gathered.durations:
            histograms = gathered.durations[measure["name"]]
            if dialect == "postgresql":
                summed[measure["name"]] = task_summary.duration_figures(dialect, definition, measure, root, children,
                                                                        histograms)
            else:
                measured[measure["name"]] = task_summary.duration_values(histograms)
        elif gathered is not None and measure["name"] in gathered.overdue:
            measured[measure["name"]] = gathered.overdue[measure["name"]]
        elif gathered is not None and measure["name"] in gathered.time_in:
            measured[measure["name"]] = gathered.spent(measure["name"])
        elif measure["kind"] == "duration" and dialect == "postgresql":
            summed[measure["name"]] = _durations(session, definition, measure, root, children, since, until)
        elif measure["kind"] in TASK_KINDS and measure["kind"] != "on_time":
            measured[measure["name"]] = task_measure(session, dialect, definition, measure, root, since, until, now)
        elif measure["kind"] in FIELD_KINDS and "tasks" in measure:
            measured[measure["name"]] = time_in(session, dialect, definition, measure, root, since, until, now)
    for name, found in measured.items():
        for key, parts in found.items():
            rows.setdefault(_rolled(definition, root, children, key), {}).setdefault(name, []).append(parts)
    for found in summed.values():
        for key in found:
            if key is not TOTAL:
                rows.setdefault(key, {})
    groups = _groups(definition, root, children, rows, since, until)
    for group in groups:
        found = rows.get(group.key, {})
        group.figures = {m["name"]: summed[m["name"]].get(group.key, figure_of(m, [])) if m["name"] in summed
                         else figure_of(m, found.get(m["name"], [])) for m in definition["measures"]}
    total = {m["name"]: summed[m["name"]].get(TOTAL, figure_of(m, [])) if m["name"] in summed
             else figure_of(m, [p for one in rows.values() for p in one.get(m["name"], [])])
             for m in definition["measures"]}
    if "ranking" in definition:
        groups = ranked(definition, groups)
    return Result(definition, root, since, until, groups, total)


def _durations(session, definition, measure, root, children, since, until) -> dict:
    """A duration's figures aggregated by PostgreSQL: by row (an organisation's row holds its whole subtree) and
    in total (key TOTAL), each percentile by percentile_disc, the same nearest rank as `percentile`."""
    dialect = "postgresql"
    if definition["groupBy"] == sql.ORG:
        whens = [(path_within(Organization.path, c.path), c.code) for c in children]
        row = case(*(whens or [(path_within(Organization.path, root.path), root.code)]),
                   else_=root.code)
    else:
        row = func.coalesce(sql.group_column(dialect, definition["groupBy"]), "")
    seconds = func.extract("epoch", HumanTask.completed_at - HumanTask.created_at)
    query = (select(row, func.grouping(row), func.count(),
                    *[func.percentile_disc(p / 100).within_group(seconds) for p in measure["percentiles"]])
             .select_from(HumanTask).join(Case, HumanTask.case_id == Case.id)
             .join(Organization, Case.org_id == Organization.id)
             .where(HumanTask.element_id.in_(measure["tasks"]), HumanTask.status == "completed",
                    sql.condition(dialect, measure.get("where")), sql.counted(dialect, definition, root, since, until))
             .group_by(func.grouping_sets(tuple_(row), tuple_())))
    scale = 3600 if measure.get("unit") == "hours" else 86400
    found: dict = {}
    for key, is_total, count, *values in session.execute(query):
        if not count:                               # the total of nothing: no figure (as figure_of says)
            continue
        found[TOTAL if is_total else raw_key(key)] = Figure(
            {p: round(float(v) / scale, 1) for p, v in zip(measure["percentiles"], values)}, None, int(count))
    return found


def _rolled(definition: dict, root: Organization, children: list[Organization], key: str) -> str:
    """A raw group value as the row it counts in: for `@org`, the code of the root or its child above the case."""
    if definition["groupBy"] != sql.ORG:
        return key
    for child in children:
        if path_within(key, child.path):
            return child.code
    return root.code


def _children(session: Session, root: Organization) -> list[Organization]:
    return list(session.scalars(select(Organization).where(Organization.parent_id == root.id)
                                .order_by(Organization.path)))


def _groups(definition, root, children, rows, since, until) -> list[Group]:
    """The report's rows in order: organisations in tree order, every month of the span, statuses in their order."""
    group = definition["groupBy"]
    if group == sql.ORG:
        orgs = [root, *children]
        return [Group(o.code, o.name) for o in orgs if o.code in rows or o.id != root.id]
    keys = sorted(rows)
    if group == sql.MONTH and (keys or (since and until)):
        first = min([*keys, *([f"{since:%Y-%m}"] if since else [])])
        last = max([*keys, *([f"{until:%Y-%m}"] if until else [])])
        keys = sql.months_between(first, last)
    elif group == sql.STATUS:
        keys = [s for s in STATUSES if s in rows]
    return [Group(k) for k in keys]


def figure_of(measure: dict, parts: list) -> Figure:
    """One measure's figure from its raw parts (one list per raw group rolled into this row)."""
    kind = measure["kind"]
    if kind in ("count", "overdue"):
        return Figure(sum(p[0] for p in parts))
    if kind in ("rate", "on_time"):
        hits, base = sum(p[0] for p in parts), sum(p[1] for p in parts)
        return Figure(hits / base if base else None, hits, base)
    if kind in FIELD_KINDS:
        total, counted = sum(p[0] for p in parts), sum(p[1] for p in parts)
        if "tasks" in measure:                       # time spent in steps, in days or hours
            total, counted = total / (3600 if measure.get("unit") == "hours" else 86400), int(counted)
        if kind == "ratio":
            return Figure(total / counted if counted else None, _number(total), _number(counted))
        if kind == "mean":
            return Figure(_number(total / counted) if counted else None, None, int(counted))
        return Figure(_number(total), None, int(counted))           # a sum of nothing is zero
    values = [v for p in parts for v in p]
    scale = 3600 if measure.get("unit") == "hours" else 86400
    return Figure({p: round(percentile(sorted(values), p) / scale, 1) for p in measure["percentiles"]}
                  if values else None, None, len(values))


def _number(value: float) -> float | int:
    """A sum or mean as shown: two decimals, a whole number without them."""
    value = round(float(value), 2)
    return int(value) if value.is_integer() else value


def percentile(ordered: list[float], p: int) -> float:
    """The nearest-rank percentile of sorted values."""
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def cases_behind(session: Session, user: User, definition: dict, *, measure: str | None = None,
                 group: str | None = None, part: str = "hit", org_code: str | None = None,
                 since: date | None = None, until: date | None = None, limit: int = 500,
                 now: datetime | None = None) -> list[Case]:
    """The cases a figure counts, newest first: the report's cases in the group (`group` None: every group)
    meeting the measure (`part` "base": a rate's or an on-time rate's base; "late": tasks done after their due
    time; an overdue count's cases are those with a step late at `now`)."""
    root = root_of(session, user, org_code)
    dialect = session.get_bind().dialect.name
    query = (select(Case).join(Organization, Case.org_id == Organization.id)
             .where(sql.counted(dialect, definition, root, since, until)))
    if group is not None:
        query = query.where(sql.in_group(session, dialect, definition["groupBy"], group, root))
    chosen = next((m for m in definition["measures"] if m["name"] == measure), None)
    if measure and chosen is None:
        raise NotFound(Msg("report.measure_not_found", measure=measure), measure=measure)
    if chosen is not None:
        query = query.where(_meets(dialect, chosen, part, now or datetime.now(timezone.utc)))
    return list(session.scalars(query.order_by(Case.created_at.desc(), Case.id.desc()).limit(limit)))


def _meets(dialect: str, measure: dict, part: str, now: datetime):
    """SQL: the case counts in the measure's figure (or its base)."""
    where = sql.condition(dialect, measure.get("where"))
    if measure["kind"] == "count":
        return where
    if measure["kind"] == "overdue":
        return and_(where, Case.id.in_(select(HumanTask.case_id).where(
            HumanTask.element_id.in_(measure["tasks"]), late_step(now))))
    if measure["kind"] == "rate":
        base = sql.condition(dialect, measure.get("base"))
        return base if part == "base" else and_(base, where)
    if measure["kind"] in FIELD_KINDS and "field" in measure:
        recorded = sql.field_number(dialect, measure["field"]).is_not(None)
        if measure["kind"] == "ratio":
            recorded = or_(recorded, sql.field_number(dialect, measure["over"]).is_not(None))
        return and_(where, recorded)
    if measure["kind"] in FIELD_KINDS:
        return and_(where, Case.id.in_(select(HumanTask.case_id).where(HumanTask.element_id.in_(measure["tasks"]))))
    tasks = select(HumanTask.case_id).where(HumanTask.element_id.in_(measure["tasks"]),
                                            HumanTask.status == "completed")
    if measure["kind"] == "on_time":
        steps, on_time = sql.on_time_steps(measure)
        tasks = tasks.where(HumanTask.due_at.is_not(None), steps)
        if part == "hit":
            tasks = tasks.where(on_time)
        elif part == "late":
            tasks = tasks.where(not_(on_time))
    return and_(where, Case.id.in_(tasks))


def public_reports(session: Session) -> list[dict]:
    """The reports of the active version marked `"public": true`, for the portal's 公开数据 page."""
    return [r for r in reports(session) if r.get("public") is True]


def public_figures(session: Session, year: int, now: datetime | None = None) -> list[Result]:
    """Each public report computed over each top organisation's whole tree for a calendar year (China days):
    aggregate figures only, no reader, no drill-down."""
    roots = list(session.scalars(select(Organization).where(Organization.parent_id.is_(None))
                                 .order_by(Organization.path)))
    return [compute_under(session, root, definition, since=date(year, 1, 1), until=date(year, 12, 31), now=now)
            for definition in public_reports(session) for root in roots]
