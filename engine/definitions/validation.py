"""Bundle validation: every problem, with file, element id and line, before anything is stored."""
from __future__ import annotations

import ast
from dataclasses import dataclass, field, replace

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.exclusive_gateway import ExclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import CallActivity
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from ..core.errors import Problem
from ..core.messages import Msg
from ..core.recipients import KnownPeople
from ..core.vocabulary import DOCUMENT_MESSAGE, FORM_PROPERTY, NUMBER_PATTERN_PROPERTY
from ..sandbox.script import Sandbox
from .code_checks import UNPARSABLE, compile_problem, condition_text, expressions
from .dmn_checks import check_decision_tables
from .assignment_checks import human_task_ids, keep_with_problems
from .form_checks import check_forms
from .number_patterns import pattern_problem
from .participant_views import participant_problems
from .public_declarations import caught_messages, check_public_declarations
from .public_documents import check_public_documents
from .recipient_checks import recipient_problems, unregistered_roles
from .review_checks import check_reviews
from .ledger_schema import check_ledgers
from .registry_schema import check_registries
from .limit_references import reference_problems as limit_reference_problems
from .limit_tables import check_limit_tables
from .scenario_files import scenario_problems
from .report_schema import check_reports, form_choices, report_problems
from .standards import auto_rule_warnings, check_standards, reference_problems
from .tree_checks import (
    BPMN_NS, SPIFF_NS, check_compensation, check_ignored_events, check_messages, check_property_names,
)

RESERVED_IDS = {"Start", "Root", "End"}   # names SpiffWorkflow gives its own internal task specs
_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)


@dataclass
class ParsedBundle:
    """What a valid bundle yields: its processes, their specs and properties."""

    files: dict[str, bytes]
    specs: dict[str, tuple] = field(default_factory=dict)          # key -> (spec, subprocess specs)
    properties: dict[str, dict] = field(default_factory=dict)      # key -> process properties
    names: dict[str, str] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)
    forms: dict[str, dict] = field(default_factory=dict)
    standards: dict[str, dict] = field(default_factory=dict)       # path -> scoring standard
    ledgers: dict[str, dict] = field(default_factory=dict)         # path -> ledger definition
    reports: dict[str, dict] = field(default_factory=dict)         # path -> report definition
    limits: dict[str, dict] = field(default_factory=dict)          # path -> limits table


def parse_bundle(files: dict[str, bytes], sandbox: Sandbox,
                 known: KnownPeople | None = None) -> tuple[ParsedBundle, list[Problem]]:
    """Parse and check every diagram and form; return the result and all problems found (`known`: the people
    the database holds, against which recipients are checked)."""
    problems: list[Problem] = []
    bundle = ParsedBundle(files=files)
    parser = SpiffBpmnParser(validator=VALIDATOR)
    lines: dict[tuple[str, str], int] = {}         # (file, element id) -> line: ids are unique per file only
    process_nodes: dict[str, tuple[str, etree._Element]] = {}
    flows: dict[tuple[str, str, str], str] = {}     # (file, gateway, condition text) -> sequence flow id
    trees: dict[str, etree._Element] = {}
    for path in sorted(files):
        if not path.endswith((".bpmn", ".dmn")):
            continue
        tree = _parse_xml(path, files[path], problems)
        if tree is None:
            continue
        trees[path] = tree
        for el in tree.iter():
            if isinstance(el.tag, str) and el.get("id"):
                lines.setdefault((path, el.get("id")), el.sourceline)
                if el.get("id") in RESERVED_IDS:
                    problems.append(Problem(path, Msg("validation.reserved_id", id=el.get("id")),
                                            element=el.get("id"), line=el.sourceline))
        check_property_names(path, tree, problems)
        check_compensation(path, tree, problems)
        check_ignored_events(path, tree, problems)
        if check_messages(path, tree, problems):
            continue                    # SpiffWorkflow's parser would only trip on the same references, unreadably
        for flow in tree.iter(f"{{{BPMN_NS}}}sequenceFlow"):
            condition = flow.find(f"{{{BPMN_NS}}}conditionExpression")
            if condition is not None and condition.text:
                flows[(path, flow.get("sourceRef"), condition.text.strip())] = flow.get("id")
        for proc in tree.iter(f"{{{BPMN_NS}}}process"):
            process_nodes[proc.get("id")] = (path, proc)
        if path.endswith(".dmn"):
            table_problems = check_decision_tables(path, tree, sandbox)
            if table_problems:          # SpiffWorkflow's parser would only repeat the first bad cell, unlocated
                problems.extend(table_problems)
                continue
        try:
            if path.endswith(".bpmn"):
                parser.add_bpmn_xml(tree, filename=path)
            else:
                parser.add_dmn_xml(tree, filename=path)
        except ValidationException as exc:
            problems.append(_from_validation(exc, path))
        except Exception as exc:        # SpiffWorkflow's parser may trip on odd but schema-valid XML
            problems.append(Problem(path, Msg("validation.diagram_unparsable", kind=type(exc).__name__,
                                                    detail=str(exc))))
    diagrams_broken = bool(problems)
    bundle.forms.update(check_forms(files, problems))
    bundle.standards.update(check_standards(files, problems))
    bundle.ledgers.update(check_ledgers(files, problems))
    bundle.reports.update(check_reports(files, problems))
    check_registries(files, problems)
    problems.extend(reference_problems(bundle.forms, bundle.standards, files))
    bundle.limits.update(check_limit_tables(files, problems))
    problems.extend(limit_reference_problems(files, bundle.limits, trees))
    if diagrams_broken:         # unparsed diagrams would only add follow-on noise; bad forms do not stop the rest
        return bundle, problems
    where = _Locator(lines, flows)
    top_level, checked = set(parser.get_process_ids()), set()
    for key in sorted(top_level):
        path, node = process_nodes[key]
        try:
            spec = parser.get_spec(key)
            subs = parser.get_subprocess_specs(key, require_call_activity_specs=False)
        except ValidationException as exc:
            problems.append(_from_validation(exc, path, where))
            continue
        except Exception as exc:        # as above: a diagram is data, and validation reports rather than crashes
            problems.append(Problem(path, Msg("validation.process_unparsable", key=key, kind=type(exc).__name__,
                                                detail=str(exc)), element=key,
                                    line=node.sourceline))
            continue
        bundle.specs[key] = (spec, subs)
        bundle.names[key] = node.get("name") or key
        bundle.paths[key] = path
        bundle.properties[key] = _process_properties(node)
        _check_pattern(bundle.properties[key], path, key, node.sourceline, problems)
        check_public_declarations(path, key, node, bundle.properties[key], caught_messages(spec, subs), problems)
        check_public_documents(path, key, node, bundle.properties[key], spec, subs, problems)
        problems.extend(Problem(path, msg, element=key, line=node.sourceline)
                        for msg in participant_problems(bundle.properties[key]))
        embedded = [sub for name, sub in subs.items() if sub is not None and name not in top_level and name not in checked]
        checked.update(name for name in subs if name not in top_level)
        human = human_task_ids(spec, subs)
        lanes_seen: set[str] = set()
        roles_seen: set[str] = set()
        for process in (spec, *embedded):          # embedded and event subprocesses are checked like the rest
            for task_spec in process.task_specs.values():
                _check_task(task_spec, path, where, bundle, parser, sandbox, problems)
                problems.extend(where.problem(path, task_spec.bpmn_id, message)
                                for message in keep_with_problems(task_spec, human))
                problems.extend(where.problem(path, task_spec.bpmn_id, message)
                                for message in recipient_problems(task_spec, human, known, lanes_seen))
                problems.extend(replace(where.problem(path, task_spec.bpmn_id, message), severity="warning")
                                for message in unregistered_roles(task_spec, known, roles_seen))
    problems.extend(auto_rule_warnings(bundle.standards, bundle.properties, files, bundle.ledgers))
    task_ids = {key: {name for process in (spec, *subs.values()) if process is not None for name in process.task_specs}
                for key, (spec, subs) in bundle.specs.items()}
    choices = form_choices(bundle.forms, files)
    problems.extend(report_problems(bundle.reports, files, bundle.properties, task_ids, choices))
    check_reviews(bundle, where, problems)
    problems.extend(scenario_problems(files, set(bundle.specs), set().union(*task_ids.values())))
    return bundle, problems


def _parse_xml(path: str, content: bytes, problems: list[Problem]):
    """A diagram's XML tree, or None with a problem: unparsable, or declaring a DOCTYPE. Diagrams never need
    one, and entities are how XML reads local files (XXE) or expands a few bytes into gigabytes; the browser's
    diagram viewer would expand them too."""
    try:
        tree = etree.fromstring(content, parser=_XML_PARSER)
    except etree.XMLSyntaxError as exc:
        problems.append(Problem(path, Msg("validation.xml", detail=exc.msg), line=exc.lineno))
        return None
    if tree.getroottree().docinfo.doctype:
        problems.append(Problem(path, Msg("validation.doctype"), line=1))
        return None
    return tree


class _Locator:
    def __init__(self, lines: dict[tuple[str, str], int], flows: dict[tuple[str, str, str], str]):
        self.lines = lines
        self.flows = flows

    def flow(self, file: str, key: tuple) -> str | None:
        """The sequence flow that carries a gateway's condition (conditions belong to flows, not gateways)."""
        _, source, text = key
        return self.flows.get((file, source, text))

    def find(self, file: str, element: str) -> tuple[str, int | None] | None:
        """Where an element is: in `file` if it is there, else in the one other file that has it (a DMN table)."""
        if (file, element) in self.lines:
            return file, self.lines[(file, element)]
        elsewhere = [(f, line) for (f, e), line in self.lines.items() if e == element]
        return elsewhere[0] if len(elsewhere) == 1 else None

    def problem(self, default_file: str, element: str, message: Msg) -> Problem:
        path, line = self.find(default_file, element) or (default_file, None)
        return Problem(path, message, element=element, line=line)


def _from_validation(exc: ValidationException, path: str, where: "_Locator | None" = None) -> Problem:
    line = exc.line_number if isinstance(exc.line_number, int) else None
    # SpiffWorkflow's own English, as is: the web puts the parser messages it knows into the reader's language
    message = Msg("validation.spiff", message=str(exc.args[0]) if exc.args else str(exc))
    element = exc.id or None
    if line is None and element and where is not None:
        path, line = where.find(exc.file_name or path, element) or (exc.file_name or path, None)
    return Problem(exc.file_name or path, message, element=element, line=line)


def _process_properties(node) -> dict:
    props = {}
    for prop in node.findall(f"{{{BPMN_NS}}}extensionElements/{{{SPIFF_NS}}}properties/{{{SPIFF_NS}}}property"):
        props[prop.get("name")] = prop.get("value")
    return props


def _check_pattern(props: dict, path: str, key: str, line: int, problems: list[Problem]) -> None:
    pattern = props.get(NUMBER_PATTERN_PROPERTY)
    problem = pattern_problem(pattern) if pattern else None
    if problem:
        problems.append(Problem(path, Msg("validation.bad_pattern", detail=problem), element=key, line=line))


def _check_task(ts, path, where: _Locator, bundle: ParsedBundle, parser, sandbox, problems) -> None:
    element = getattr(ts, "bpmn_id", None)
    if element is None:
        return
    if getattr(ts, "manual", False):
        _check_human_task(ts, path, where, bundle, problems)
    for label, source, mode, *inner in expressions(ts):
        message = compile_problem(sandbox, source, mode)
        if message:
            target = where.flow(path, inner[0]) if inner and isinstance(inner[0], tuple) else (
                inner[0] if inner and where.find(path, inner[0]) else None) or element
            file, line = where.find(path, target) or (path, None)
            detail = Msg("validation.compile", label=label, source=source.strip()[:80], detail=message)
            problems.append(Problem(file, detail, element=target, line=line))
    template = _document_template(getattr(ts, "event_definition", None))
    if template and f"forms/{template}" not in bundle.files:
        problems.append(where.problem(path, element, Msg("validation.template_missing", template=template)))
    if isinstance(getattr(ts, "event_definition", None), TimerEventDefinition):
        message = _constant_timer_problem(ts.event_definition)
        if message:
            problems.append(where.problem(path, element, message))
    if isinstance(ts, ExclusiveGateway):
        _check_gateway(ts, path, where, problems)
    if isinstance(ts, CallActivity) and ts.spec not in parser.get_process_ids():
        problems.append(where.problem(path, element, Msg("validation.call_missing", process=ts.spec)))


def _check_human_task(ts, path, where: _Locator, bundle: ParsedBundle, problems) -> None:
    element = ts.bpmn_id
    if not ts.lane:
        problems.append(where.problem(path, element, Msg("validation.no_lane")))
    form = (ts.extensions or {}).get("properties", {}).get(FORM_PROPERTY)
    if type(ts).__name__ == "ManualTask" and not form:
        return
    if not form:
        problems.append(where.problem(path, element, Msg("validation.no_form", property=FORM_PROPERTY)))
    elif f"forms/{form}" not in bundle.files:
        problems.append(where.problem(path, element, Msg("validation.form_missing", form=form)))


def _document_template(event) -> str | None:
    """The template a `document` message names, when its payload spells it as a constant."""
    if getattr(event, "name", None) != DOCUMENT_MESSAGE or not getattr(event, "expression", None):
        return None
    try:
        node = ast.parse(event.expression.strip(), mode="eval").body
    except UNPARSABLE:
        return None
    if isinstance(node, ast.Dict):
        for key, value in zip(node.keys, node.values):
            if isinstance(key, ast.Constant) and key.value == "template" and isinstance(value, ast.Constant):
                return str(value.value)
    return None


def _constant_timer_problem(event) -> Msg | None:
    """A timer written as a constant ISO 8601 string must parse; computed ones are checked when they run."""
    try:
        value = ast.literal_eval(event.expression.strip())
    except (*UNPARSABLE, TypeError):
        return None
    if not isinstance(value, str):
        return Msg("validation.timer_not_text", type=type(value).__name__)
    try:
        if isinstance(event, DurationTimerEventDefinition):
            TimerEventDefinition.parse_iso_duration(value)
        elif isinstance(event, CycleTimerEventDefinition):
            TimerEventDefinition.parse_iso_recurring_interval(value)
        else:
            TimerEventDefinition.get_datetime(value)
    except Exception:    # SpiffWorkflow raises bare Exception/ValueError/AttributeError for bad ISO text
        return Msg("validation.timer_format", value=value)
    return None


def _check_gateway(ts, path, where: _Locator, problems) -> None:
    if len(ts.outputs) < 2 or ts.default_task_spec is not None:
        return
    conditions = [condition_text(c) for c, _ in ts.cond_task_specs]
    if len(conditions) == 2 and _complementary(*conditions):
        return
    problems.append(where.problem(
        path, ts.bpmn_id,
        Msg("validation.no_default_flow")))


def _complementary(first: str, second: str) -> bool:
    def norm(src):
        return ast.dump(ast.parse(src.strip(), mode="eval").body)
    try:
        a, b = norm(first), norm(second)
        neg_a = ast.dump(ast.UnaryOp(op=ast.Not(), operand=ast.parse(first.strip(), mode="eval").body))
        neg_b = ast.dump(ast.UnaryOp(op=ast.Not(), operand=ast.parse(second.strip(), mode="eval").body))
    except UNPARSABLE:
        return False
    return b == neg_a or a == neg_b
