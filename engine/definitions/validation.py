"""Bundle validation: every problem, with file, element id and line, before anything is stored."""
from __future__ import annotations

import ast
from dataclasses import dataclass, field

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

from ..core.errors import Problem, SandboxError
from ..core.messages import Msg
from ..core.vocabulary import (
    ASSIGNEE_PROPERTY, DOCUMENT_MESSAGE, DUE_PROPERTY, FORM_PROPERTY, NUMBER_PATTERN_PROPERTY,
    EXCLUDED_USERS_PROPERTY, OFFER_WHEN_PROPERTY,
)
from ..sandbox.script import Sandbox
from .assignment_checks import human_task_ids, keep_with_problems
from .form_checks import check_forms
from .number_patterns import pattern_problem
from .participant_views import participant_problems
from .public_declarations import caught_messages, check_public_declarations
from .public_documents import check_public_documents
from .review_checks import check_reviews
from .ledger_schema import check_ledgers
from .report_schema import check_reports, form_choices, report_problems
from .standards import auto_rule_warnings, check_standards, reference_problems
from .tree_checks import BPMN_NS, SPIFF_NS, check_compensation, check_property_names

RESERVED_IDS = {"Start", "Root", "End"}   # names SpiffWorkflow gives its own internal task specs
_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)
# Code nested deeper than this is refused at validation: compiling it recurses once per level, and a depth that
# compiles here with the stack to spare could exhaust it at run time, deep inside the workflow engine.
MAX_EXPRESSION_DEPTH = 100
MAX_EXPRESSION_CHARS = 10_000        # the longest shipped script is about a tenth of this; compiling costs per character
_UNPARSABLE = (SyntaxError, ValueError, RecursionError, MemoryError)   # what ast.parse raises on hostile text


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


def parse_bundle(files: dict[str, bytes], sandbox: Sandbox) -> tuple[ParsedBundle, list[Problem]]:
    """Parse and check every diagram and form; return the result and all problems found."""
    problems: list[Problem] = []
    bundle = ParsedBundle(files=files)
    parser = SpiffBpmnParser(validator=VALIDATOR)
    lines: dict[tuple[str, str], int] = {}         # (file, element id) -> line: ids are unique per file only
    process_nodes: dict[str, tuple[str, etree._Element]] = {}
    flows: dict[tuple[str, str, str], str] = {}     # (file, gateway, condition text) -> sequence flow id
    for path in sorted(files):
        if not path.endswith((".bpmn", ".dmn")):
            continue
        tree = _parse_xml(path, files[path], problems)
        if tree is None:
            continue
        for el in tree.iter():
            if isinstance(el.tag, str) and el.get("id"):
                lines.setdefault((path, el.get("id")), el.sourceline)
                if el.get("id") in RESERVED_IDS:
                    problems.append(Problem(path, Msg("validation.reserved_id", id=el.get("id")),
                                            element=el.get("id"), line=el.sourceline))
        check_property_names(path, tree, problems)
        check_compensation(path, tree, problems)
        for flow in tree.iter(f"{{{BPMN_NS}}}sequenceFlow"):
            condition = flow.find(f"{{{BPMN_NS}}}conditionExpression")
            if condition is not None and condition.text:
                flows[(path, flow.get("sourceRef"), condition.text.strip())] = flow.get("id")
        for proc in tree.iter(f"{{{BPMN_NS}}}process"):
            process_nodes[proc.get("id")] = (path, proc)
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
    problems.extend(reference_problems(bundle.forms, bundle.standards, files))
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
        for process in (spec, *embedded):          # embedded and event subprocesses are checked like the rest
            for task_spec in process.task_specs.values():
                _check_task(task_spec, path, where, bundle, parser, sandbox, problems)
                problems.extend(where.problem(path, task_spec.bpmn_id, message)
                                for message in keep_with_problems(task_spec, human))
    problems.extend(auto_rule_warnings(bundle.standards, bundle.properties, files, bundle.ledgers))
    task_ids = {key: {name for process in (spec, *subs.values()) if process is not None for name in process.task_specs}
                for key, (spec, subs) in bundle.specs.items()}
    choices = form_choices(bundle.forms, files)
    problems.extend(report_problems(bundle.reports, files, bundle.properties, task_ids, choices))
    check_reviews(bundle, where, problems)
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
    for label, source, mode, *inner in _expressions(ts):
        message = _compile_problem(sandbox, source, mode)
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


def _compile_problem(sandbox, source: str, mode: str) -> Msg | str | None:
    """Why diagram code does not compile in the sandbox, or None. Code too deep or too long for Python's parser
    (which raises RecursionError or MemoryError, not SyntaxError) is a problem like any other."""
    if len(source) > MAX_EXPRESSION_CHARS:
        return Msg("validation.too_long", length=len(source), limit=MAX_EXPRESSION_CHARS)
    too_deep = Msg("validation.too_deep", limit=MAX_EXPRESSION_DEPTH)
    try:
        depth = _depth(ast.parse(source.strip() if mode == "eval" else source, mode=mode))
    except (RecursionError, MemoryError):
        return too_deep
    except (SyntaxError, ValueError):
        depth = 0                       # the sandbox names the syntax error
    if depth > MAX_EXPRESSION_DEPTH:
        return too_deep
    try:
        sandbox.compile(source, mode)
    except SandboxError as exc:
        return exc.msg
    except (RecursionError, MemoryError):
        return too_deep
    except ValueError as exc:           # e.g. a NUL character, which ast.parse refuses with ValueError
        return str(exc)
    return None


def _depth(tree: ast.AST) -> int:
    """How deep a syntax tree is, counted without recursion."""
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


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
    except _UNPARSABLE:
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
    except (*_UNPARSABLE, TypeError):
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
    conditions = [_condition_text(c) for c, _ in ts.cond_task_specs]
    if len(conditions) == 2 and _complementary(*conditions):
        return
    problems.append(where.problem(
        path, ts.bpmn_id,
        Msg("validation.no_default_flow")))


def _condition_text(cond) -> str | None:
    """The expression text of a sequence-flow condition (SpiffWorkflow wraps it in an operator)."""
    if cond is None or isinstance(cond, str):
        return cond
    args = getattr(cond, "args", None)
    return args[0] if args else None


def _complementary(first: str, second: str) -> bool:
    def norm(src):
        return ast.dump(ast.parse(src.strip(), mode="eval").body)
    try:
        a, b = norm(first), norm(second)
        neg_a = ast.dump(ast.UnaryOp(op=ast.Not(), operand=ast.parse(first.strip(), mode="eval").body))
        neg_b = ast.dump(ast.UnaryOp(op=ast.Not(), operand=ast.parse(second.strip(), mode="eval").body))
    except _UNPARSABLE:
        return False
    return b == neg_a or a == neg_b


def _expressions(ts):
    """Every piece of code a task spec will hand to the script engine, as (label, source, mode)."""
    for cond, _ in getattr(ts, "cond_task_specs", []) or []:
        text = _condition_text(cond)
        if text:
            yield Msg("label.condition"), text, "eval", ("flow", getattr(ts, "bpmn_id", None), text.strip())
    for attr in ("script", "prescript", "postscript"):
        if getattr(ts, attr, None):
            yield Msg(f"label.{attr}"), getattr(ts, attr), "exec"
    for attr, label in (("cardinality", "cardinality"), ("condition", "completion")):
        value = getattr(ts, attr, None)
        if isinstance(value, str) and value:
            yield Msg(f"label.{label}"), value, "eval"
    yield from _property_expressions(ts)
    event = getattr(ts, "event_definition", None)
    if event is not None:
        if isinstance(event, TimerEventDefinition):
            yield Msg("label.timer"), event.expression, "eval"
        elif getattr(event, "expression", None):
            yield Msg("label.event"), event.expression, "eval"
    engine = getattr(ts, "dmnEngine", None)
    if engine is not None:
        yield from _dmn_expressions(engine.decision_table)


def _property_expressions(ts):
    """Expressions written as element properties: when a message may be sent, a task's due moment, assignee and
    excluded users."""
    properties = (getattr(ts, "extensions", None) or {}).get("properties") or {}
    for name, label in ((OFFER_WHEN_PROPERTY, "offer_when"), (DUE_PROPERTY, "due"), (ASSIGNEE_PROPERTY, "assignee"),
                        (EXCLUDED_USERS_PROPERTY, "excluded_users")):
        if properties.get(name):
            yield Msg(f"label.{label}"), properties[name], "eval"


def _dmn_expressions(table):
    """DMN code, each with the DMN element it sits on (inputs first; a bad input is reported once)."""
    bad_inputs = set()
    for inp in table.inputs:
        if inp.expression:
            yield Msg("label.dmn_input", name=inp.label or inp.id), inp.expression, "eval", inp.id
            bad_inputs.add(inp.id)
    for rule in table.rules:
        for entry in rule.inputEntries:
            for lhs in entry.lhs:
                if lhs and lhs.strip() not in ("", "-"):
                    # The input expression was checked on its own; check the entry against a plain name.
                    yield Msg("label.dmn_condition", row=rule.row_number), _dmn_match("dmninput", lhs), "eval", entry.id
        for out in rule.outputEntries:
            if out.text and out.text.strip():
                yield Msg("label.dmn_output", row=rule.row_number), out.text, "eval", out.id


def _dmn_match(input_expr: str, match: str) -> str:
    """The expression SpiffWorkflow's DMN engine will build from an input entry."""
    if "?" in match:
        return match.replace("?", "dmninputexpr")
    try:
        ast.parse(match.strip(), mode="eval")
        return f"({input_expr}) == ({match})"
    except _UNPARSABLE:
        return f"({input_expr}) {match}"
