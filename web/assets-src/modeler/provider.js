// The lawflow properties provider: groups of the properties panel for what lawflow reads from a diagram, beside the
// standard BPMN groups (name, id, documentation, message, multi-instance). Choice lists (forms, roles, processes,
// decisions) and the properties each kind of element may carry come from the page (web/modeler_data.py, which
// reads engine/core/vocabulary.py), so a new vocabulary term gets a field here without a change.
import { h } from "@bpmn-io/properties-panel/preact";
import {
  CheckboxEntry, Group, SelectEntry, TextAreaEntry, TextFieldEntry,
  isCheckboxEntryEdited, isSelectEntryEdited, isTextAreaEntryEdited, isTextFieldEntryEdited,
} from "@bpmn-io/properties-panel";
import { useService } from "bpmn-js-properties-panel";
import { is, getBusinessObject } from "bpmn-js/lib/util/ModelUtil";
import { HELPERS, PROPERTY_TEXT } from "./labels.js";

const SPIFF_PROPERTIES = "spiffworkflow:Properties";
const TIMER_KINDS = [["timeDate", "Moment (deadline expression)"], ["timeDuration", "Duration (e.g. \"P10D\")"],
  ["timeCycle", "Cycle"]];
const CHOICE_PROPERTIES = { formJsonSchemaFilename: "forms", portalForm: "forms", timeLimit: "limits" };

// ---- reading and writing extension elements, as undoable commands

function extensionValues(bo, type) {
  const ext = bo.get("extensionElements");
  return ext ? (ext.get("values") || []).filter((v) => is(v, type)) : [];
}

export function getProperty(bo, name) {
  const props = extensionValues(bo, SPIFF_PROPERTIES)[0];
  const found = props && (props.get("properties") || []).find((p) => p.name === name);
  return found ? found.value || "" : "";
}

function update(element, moddleElement, properties) {
  return { cmd: "element.updateModdleProperties", context: { element, moddleElement, properties } };
}

function ensureExtensions(element, bo, bpmnFactory, commands) {
  let ext = bo.get("extensionElements");
  if (!ext) {
    ext = bpmnFactory.create("bpmn:ExtensionElements", { values: [] });
    ext.$parent = bo;
    commands.push(update(element, bo, { extensionElements: ext }));
  }
  return ext;
}

function ensureChild(element, ext, type, attrs, bpmnFactory, commands) {
  let found = (ext.get("values") || []).find((v) => is(v, type));
  if (!found) {
    found = bpmnFactory.create(type, attrs);
    found.$parent = ext;
    commands.push(update(element, ext, { values: [...(ext.get("values") || []), found] }));
  }
  return found;
}

function setProperty(services, element, bo, name, value) {
  const { bpmnFactory, commandStack } = services;
  const commands = [];
  value = (value || "").trim();
  const existing = extensionValues(bo, SPIFF_PROPERTIES)[0];
  const current = existing && (existing.get("properties") || []).find((p) => p.name === name);
  if (!value) {
    if (!current) { return; }
    commands.push(update(element, existing, { properties: existing.get("properties").filter((p) => p !== current) }));
  } else if (current) {
    commands.push(update(element, current, { value }));
  } else {
    const ext = ensureExtensions(element, bo, bpmnFactory, commands);
    const props = ensureChild(element, ext, SPIFF_PROPERTIES, { properties: [] }, bpmnFactory, commands);
    const created = bpmnFactory.create("spiffworkflow:Property", { name, value });
    created.$parent = props;
    commands.push(update(element, props, { properties: [...(props.get("properties") || []), created] }));
  }
  commandStack.execute("properties-panel.multi-command-executor", commands);
}

function getBody(bo, type) {
  const found = extensionValues(bo, type)[0];
  return found ? found.value || "" : "";
}

function setBody(services, element, bo, type, value) {
  const { bpmnFactory, commandStack } = services;
  const commands = [];
  const found = extensionValues(bo, type)[0];
  if (!value) {
    if (!found) { return; }
    commands.push(update(element, bo.get("extensionElements"),
      { values: bo.get("extensionElements").get("values").filter((v) => v !== found) }));
  } else if (found) {
    commands.push(update(element, found, { value }));
  } else {
    const ext = ensureExtensions(element, bo, bpmnFactory, commands);
    ensureChild(element, ext, type, { value }, bpmnFactory, commands);
  }
  commandStack.execute("properties-panel.multi-command-executor", commands);
}

function useServices() {
  return {
    bpmnFactory: useService("bpmnFactory"), commandStack: useService("commandStack"),
    modeling: useService("modeling"), translate: useService("translate"), debounce: useService("debounceInput"),
    lawflow: useService("lawflowChoices"),
  };
}

// ---- entry components

function withCurrent(options, value, translate, note) {
  if (value && !options.some((o) => o.value === value)) {
    options.push({ value, label: value + " " + translate(note) });
  }
  return options;
}

// A hint listing the engine's helpers gets the vocabulary's helpers after them (`helpers` of the choices, generated
// from engine/core/vocabulary.py by web/modeler_data.py), so a new helper is listed without a change here.
function describe(s, hint) {
  const more = hint.endsWith(HELPERS) && (s.lawflow.helpers || []).length
    ? s.translate(", ") + s.lawflow.helpers.join(s.translate(", ")) : "";
  return s.translate(hint) + more;
}

function PropertyEntry(props) {
  const { element, id, owner, name, kind } = props;
  const s = useServices();
  const bo = owner(element);
  const [label, hint] = PROPERTY_TEXT[name] || [name, (props.meaning || "")];
  // a list of roles is typed (several may be named), with the roles there are to choose from beside it
  const roles = props.parsed === "comma-separated roles" && s.lawflow.roles.length
    ? " " + s.translate("Roles: ") + s.lawflow.roles.join(s.translate(", ")) : "";
  const common = {
    element, id, label: s.translate(label), description: describe(s, hint) + roles, disabled: s.lawflow.readonly,
    getValue: () => getProperty(bo, name),
    setValue: (value) => setProperty(s, element, bo, name, value),
  };
  if (kind === "check") {
    return h(CheckboxEntry, {
      ...common, getValue: () => getProperty(bo, name) === "true",
      setValue: (checked) => setProperty(s, element, bo, name, checked ? "true" : ""),
    });
  }
  if (kind === "forms") {
    return h(SelectEntry, {
      ...common,
      getOptions: () => withCurrent([{ value: "", label: s.translate("<none>") },
        ...s.lawflow.forms.map((f) => ({ value: f, label: f }))], getProperty(bo, name), s.translate,
      "(not in this draft)"),
    });
  }
  if (kind === "limits") {       // the rows of the limits table beside the diagram (web/modeler_data.py)
    return h(SelectEntry, {
      ...common,
      getOptions: () => withCurrent([{ value: "", label: s.translate("<none>") },
        ...(s.lawflow.limits || []).map((l) => ({ value: l.name, label: `${l.label}（${l.name}，${l.text}）` }))],
      getProperty(bo, name), s.translate, "(not in the limits table)"),
    });
  }
  if (kind === "expression") {
    return h(TextAreaEntry, { ...common, debounce: s.debounce, rows: 2, monospace: true });
  }
  return h(TextFieldEntry, { ...common, debounce: s.debounce });
}

// A list of roles (senderRoles, transferRoles, starterRoles): a box to tick for each known role, the diagram's text
// (comma-separated codes or names) kept as it was but for the role ticked or cleared; a name the list does not know
// stays ticked, marked, until it is cleared.
function splitRoles(value) {
  return value.split(",").map((r) => r.trim()).filter(Boolean);
}

function RoleListEntry(props) {
  const { element, id, owner, name } = props;
  const s = useServices();
  const bo = owner(element);
  const [label, hint] = PROPERTY_TEXT[name] || [name, (props.meaning || "")];
  const value = getProperty(bo, name);
  const chosen = splitRoles(value);
  const known = s.lawflow.role_codes || [];
  const isRole = (entry, role) => entry === role.code || entry === role.name;
  const options = known.map((role) => ({ key: role.code, label: `${role.name}（${role.code}）`, role,
    checked: chosen.some((entry) => isRole(entry, role)) }));
  chosen.filter((entry) => !known.some((role) => isRole(entry, role))).forEach((entry) => options.push(
    { key: entry, label: entry + " " + s.translate("(not a role)"), role: { code: entry, name: entry }, checked: true }));
  const separator = value.includes(", ") ? ", " : ",";
  function toggle(role, checked) {
    const next = checked ? [...chosen, role.code] : chosen.filter((entry) => !isRole(entry, role));
    setProperty(s, element, bo, name, next.join(separator));
  }
  const prefix = `bio-properties-panel-${id}`;
  return h("div", { class: "bio-properties-panel-entry lawflow-role-list", "data-entry-id": id },
    h("div", { class: "bio-properties-panel-label", id: `${prefix}-label` }, s.translate(label)),
    h("div", { class: "bio-properties-panel-input lawflow-roles", id: prefix, role: "group", "aria-labelledby": `${prefix}-label`,
      "data-value": value },
    options.map((option, i) => h("label", { class: "lawflow-role", key: option.key, "data-role": option.role.code },
      h("input", { type: "checkbox", id: `${prefix}-${i}`, checked: option.checked, disabled: s.lawflow.readonly,
        onChange: (event) => toggle(option.role, event.target.checked) }), " ", option.label))),
    h("div", { class: "bio-properties-panel-description" }, s.translate(hint)));
}

function isRoleListEdited(node) {
  return !!(node && node.dataset.value);
}

function TextEntry(props) {
  const { element, id, label, hint, get, set, rows } = props;
  const s = useServices();
  const common = {
    element, id, label: s.translate(label), description: describe(s, hint), disabled: s.lawflow.readonly,
    getValue: () => get(element) || "", setValue: (value) => set(s, element, value), debounce: s.debounce,
  };
  return rows ? h(TextAreaEntry, { ...common, rows, monospace: true, autoResize: true }) : h(TextFieldEntry, common);
}

function ChoiceEntry(props) {
  const { element, id, label, hint, get, set, options, note } = props;
  const s = useServices();
  return h(SelectEntry, {
    element, id, label: s.translate(label), description: s.translate(hint), disabled: s.lawflow.readonly,
    getValue: () => get(element) || "",
    setValue: (value) => set(s, element, value),
    getOptions: () => withCurrent([{ value: "", label: s.translate("<none>") }, ...options(s.lawflow)],
      get(element) || "", s.translate, note),
  });
}

function CancelActivityEntry(props) {
  const { element, id } = props;
  const s = useServices();
  return h(CheckboxEntry, {
    element, id, label: s.translate("Interrupts the task it is attached to"),
    description: s.translate("Unchecked: a reminder or supervision runs beside the task"), disabled: s.lawflow.readonly,
    getValue: () => getBusinessObject(element).cancelActivity !== false,
    setValue: (checked) => s.modeling.updateProperties(element, { cancelActivity: checked }),
  });
}

function timerKind(definition) {
  return TIMER_KINDS.map((k) => k[0]).find((k) => definition.get(k)) || "timeDate";
}

function TimerKindEntry(props) {
  const { element, id, definition } = props;
  const s = useServices();
  return h(SelectEntry, {
    element, id, label: s.translate("Timer kind"), disabled: s.lawflow.readonly,
    getValue: () => timerKind(definition),
    setValue: (kind) => {
      const current = definition.get(timerKind(definition));
      const body = current ? current.body : "";
      const changes = { timeDate: undefined, timeDuration: undefined, timeCycle: undefined };
      changes[kind] = s.bpmnFactory.create("bpmn:FormalExpression", { body });
      s.modeling.updateModdleProperties(element, definition, changes);
    },
    getOptions: () => TIMER_KINDS.map(([value, label]) => ({ value, label: s.translate(label) })),
  });
}

function setTimer(s, element, definition, value) {
  const kind = timerKind(definition);
  const changes = {};
  changes[kind] = s.bpmnFactory.create("bpmn:FormalExpression", { body: value });
  s.modeling.updateModdleProperties(element, definition, changes);
}

function ProblemsEntry(props) {
  const { element, id } = props;
  const s = useServices();
  const items = s.lawflow.problemsOf(element.id);
  return h("div", { class: "bio-properties-panel-entry", "data-entry-id": id },
    h("ul", { class: "lawflow-problems" }, items.map((text) => h("li", null, text))));
}

function MessageHintEntry(props) {
  const { id } = props;
  const s = useServices();
  return h("div", { class: "bio-properties-panel-entry", "data-entry-id": id },
    h("div", { class: "bio-properties-panel-description" },
      s.translate("Choose a message or create a new one; name it with a message the engine handles or one a process waits for."),
      " ", s.translate("Messages the engine handles: "), s.lawflow.messages.join(", ")));
}

// A message event's message chosen by typing its name: the event is attached to the diagram's message of that name,
// created beside the process when there is none; a message other events share is never renamed, and one that only
// this event used (a message just created with 新建消息…) is dropped when the event leaves it.
function messageDefinition(element) {
  return (getBusinessObject(element).get("eventDefinitions") || []).find((d) => is(d, "bpmn:MessageEventDefinition"));
}

function usedElsewhere(registry, message, definition) {
  const seen = new Set();
  return registry.getAll().some((el) => {
    const bo = getBusinessObject(el);
    if (!bo || seen.has(bo)) { return false; }
    seen.add(bo);
    return bo.messageRef === message                 // a send or receive task, a message flow
      || (bo.eventDefinitions || []).some((d) => d !== definition && d.messageRef === message);
  });
}

function definitionsOf(bo) {
  while (bo && !is(bo, "bpmn:Definitions")) { bo = bo.$parent; }
  return bo;
}

function attachMessageNamed(s, element, name) {
  const definition = messageDefinition(element);
  name = (name || "").trim();
  if (!definition || !name) { return; }
  const current = definition.get("messageRef");
  if (current && current.name === name) { return; }
  const definitions = definitionsOf(definition);
  const before = definitions.get("rootElements") || [];
  let roots = before;
  if (current && !usedElsewhere(s.registry, current, definition)) { roots = roots.filter((r) => r !== current); }
  let message = roots.find((r) => is(r, "bpmn:Message") && r.name === name);
  if (!message) {
    let id = "Message_" + (/^[A-Za-z_][\w.-]*$/.test(name) ? name : Date.now().toString(36));
    while (before.some((r) => r.id === id) || s.registry.get(id)) { id += "_1"; }
    message = s.bpmnFactory.create("bpmn:Message", { id, name });
    message.$parent = definitions;
    roots = [...roots, message];
  }
  // the reference first: bpmn-js puts an element's message back among the root elements while the element uses it
  const commands = [update(element, definition, { messageRef: message })];
  if (roots !== before) { commands.push(update(element, definitions, { rootElements: roots })); }
  s.commandStack.execute("properties-panel.multi-command-executor", commands);
}

function MessageNameEntry(props) {
  const { element, id } = props;
  const s = { ...useServices(), registry: useService("elementRegistry") };
  return h(TextFieldEntry, {
    element, id, label: s.translate("Message name"), disabled: s.lawflow.readonly, debounce: s.debounce,
    description: s.translate("Typing a name attaches the event to the message of that name, created if there is none; a message other events use is not renamed."),
    getValue: () => { const d = messageDefinition(element); return (d && d.messageRef && d.messageRef.name) || ""; },
    setValue: (value) => attachMessageNamed(s, element, value),
  });
}

// ---- which groups an element gets

function kindOf(element) {
  const bo = getBusinessObject(element);
  if (is(bo, "bpmn:UserTask") || is(bo, "bpmn:ManualTask")) { return "task"; }
  const definitions = bo.get("eventDefinitions") || [];
  const message = definitions.some((d) => is(d, "bpmn:MessageEventDefinition"));
  if (message && (is(bo, "bpmn:StartEvent") || is(bo, "bpmn:IntermediateCatchEvent") || is(bo, "bpmn:BoundaryEvent"))) {
    return "catch";
  }
  if (is(bo, "bpmn:BoundaryEvent") && definitions.some((d) => is(d, "bpmn:TimerEventDefinition"))) { return "timer"; }
  return null;
}

function processOf(element) {
  const bo = getBusinessObject(element);
  if (is(bo, "bpmn:Process")) { return bo; }
  if (is(bo, "bpmn:Participant")) { return bo.get("processRef"); }
  return null;
}

function propertyEntries(choices, where, owner, prefix) {
  return (choices.properties[where] || []).map((term) => term.parsed === "comma-separated roles" &&
    (choices.role_codes || []).length ? {
      id: prefix + term.name, component: RoleListEntry, owner, name: term.name, meaning: term.meaning,
      isEdited: isRoleListEdited,
    } : ({
    id: prefix + term.name, component: PropertyEntry, owner, name: term.name, meaning: term.meaning, parsed: term.parsed,
    kind: CHOICE_PROPERTIES[term.name] || (term.parsed === "`true`" ? "check" : term.parsed === "expression" ? "expression" : "text"),
    isEdited: term.parsed === "`true`" ? isCheckboxEntryEdited : CHOICE_PROPERTIES[term.name] ? isSelectEntryEdited
      : term.parsed === "expression" ? isTextAreaEntryEdited : isTextFieldEntryEdited,
  }));
}

function group(id, label, entries, translate) {
  return entries.length ? { id, label: translate(label), component: Group, entries, shouldOpen: true } : null;
}

function lawflowGroups(element, choices, translate) {
  const bo = getBusinessObject(element);
  const own = (el) => getBusinessObject(el);
  const groups = [];
  const kind = kindOf(element);
  if (choices.problemsOf(element.id).length) {
    groups.push(group("lawflow-problems", "Validation problems", [{ id: "lawflow-problems", component: ProblemsEntry }], translate));
  }
  const handling = [];
  if (is(bo, "bpmn:Lane")) {
    handling.push({
      id: "lawflow-role", component: ChoiceEntry, label: "Role of the lane", note: "(not a role)",
      hint: "The holders of this role in the case's organisation do the lane's tasks; people elsewhere are named in the lane's Name: role@org-code, role@parent, role@field:name, user:username or task:task-id",
      isEdited: isSelectEntryEdited,
      get: (el) => own(el).name, set: (s, el, value) => s.modeling.updateProperties(el, { name: value }),
      options: (c) => c.roles.map((r) => ({ value: r, label: r })),
    });
  }
  if (kind === "task") { handling.push(...propertyEntries(choices, choices.kinds.task, own, "lawflow-")); }
  if (is(bo, "bpmn:ScriptTask")) {
    handling.push({
      id: "lawflow-script", component: TextEntry, label: "Script", hint: "Python in the sandbox; helpers: " + HELPERS,
      rows: 10, isEdited: isTextAreaEntryEdited, get: (el) => own(el).script,
      set: (s, el, value) => s.modeling.updateProperties(el, { script: value }),
    });
  }
  if (is(bo, "bpmn:SequenceFlow")) {
    handling.push({
      id: "lawflow-condition", component: TextEntry, label: "Condition", rows: 2, isEdited: isTextAreaEntryEdited,
      hint: "The flow is taken when this expression is true, e.g. decision == \"approve\"",
      get: (el) => (own(el).conditionExpression ? own(el).conditionExpression.body : ""),
      set: (s, el, value) => s.modeling.updateProperties(el, {
        conditionExpression: value ? s.bpmnFactory.create("bpmn:FormalExpression", { body: value }) : undefined,
      }),
    });
  }
  if (is(bo, "bpmn:CallActivity")) {
    handling.push({
      id: "lawflow-calledElement", component: ChoiceEntry, label: "Called process", note: "(not in this draft)",
      hint: "The process this step runs as a sub-case", isEdited: isSelectEntryEdited,
      get: (el) => own(el).calledElement, set: (s, el, value) => s.modeling.updateProperties(el, { calledElement: value || undefined }),
      options: (c) => c.processes.map((p) => ({ value: p.id, label: p.name + "（" + p.id + "）" })),
    });
  }
  if (is(bo, "bpmn:BusinessRuleTask")) {
    handling.push({
      id: "lawflow-calledDecisionId", component: ChoiceEntry, label: "Decision table", note: "(not in this draft)",
      hint: "The DMN decision this step evaluates", isEdited: isSelectEntryEdited,
      get: (el) => getBody(own(el), "spiffworkflow:CalledDecisionId"),
      set: (s, el, value) => setBody(s, el, own(el), "spiffworkflow:CalledDecisionId", value),
      options: (c) => c.decisions.map((d) => ({ value: d.id, label: d.name + "（" + d.id + "）" })),
    });
  }
  groups.push(group("lawflow-handling", "Handling", handling, translate));

  const timer = (bo.get("eventDefinitions") || []).find((d) => is(d, "bpmn:TimerEventDefinition"));
  const timing = [];
  if (timer) {
    timing.push({ id: "lawflow-timerKind", component: TimerKindEntry, definition: timer, isEdited: isSelectEntryEdited });
    timing.push({
      id: "lawflow-timer", component: TextEntry, label: "Timer expression", rows: 2, isEdited: isTextAreaEntryEdited,
      hint: "e.g. add_working_days(task_started, 10); helpers: " + HELPERS,
      get: () => { const expr = timer.get(timerKind(timer)); return expr ? expr.body : ""; },
      set: (s, el, value) => setTimer(s, el, timer, value),
    });
  }
  if (is(bo, "bpmn:BoundaryEvent")) {
    timing.push({ id: "lawflow-cancelActivity", component: CancelActivityEntry, isEdited: isCheckboxEntryEdited });
  }
  if (kind === "timer") { timing.push(...propertyEntries(choices, choices.kinds.timer, own, "lawflow-")); }
  groups.push(group("lawflow-timer", "Time limit", timing, translate));

  const message = (bo.get("eventDefinitions") || []).find((d) => is(d, "bpmn:MessageEventDefinition"));
  if (message) {
    const entries = [{ id: "lawflow-messageHint", component: MessageHintEntry }];
    if (kind === "catch") {
      entries.push({
        id: "lawflow-messageVariable", component: TextEntry, label: "Variable that receives the message",
        hint: "The case data the message's payload is stored under", isEdited: isTextFieldEntryEdited,
        get: () => getBody(message, "spiffworkflow:MessageVariable"),
        set: (s, el, value) => setBody(s, el, message, "spiffworkflow:MessageVariable", value.trim()),
      });
      entries.push(...propertyEntries(choices, choices.kinds.catch, own, "lawflow-"));
    } else {
      entries.push({
        id: "lawflow-messagePayload", component: TextEntry, label: "Message payload (expression)", rows: 4,
        hint: "What the message carries, e.g. {\"to\": \"lane:投诉受理\", \"title\": \"…\"}", isEdited: isTextAreaEntryEdited,
        get: () => getBody(message, "spiffworkflow:MessagePayload"),
        set: (s, el, value) => setBody(s, el, message, "spiffworkflow:MessagePayload", value),
      });
    }
    groups.push(group("lawflow-message", kind === "catch" ? "Receiving the message" : "Sending the message", entries, translate));
  }

  const process = processOf(element);
  if (process) {
    groups.push(group("lawflow-process", "Process properties",
      propertyEntries(choices, choices.kinds.process, () => process, "lawflow-process-"), translate));
  }
  return groups.filter(Boolean);
}

// Multi-instance in SpiffWorkflow: besides the cardinality and completion condition of the BPMN group, a list
// whose items each get an instance and a list that gathers the results.
function multiInstanceEntries(element) {
  const loop = getBusinessObject(element).get("loopCharacteristics");
  if (!loop || !is(loop, "bpmn:MultiInstanceLoopCharacteristics")) { return []; }
  const ref = (name) => ({
    get: () => { const v = loop.get(name); return v ? v.id || v.name || "" : ""; },
    set: (s, el, value) => s.modeling.updateModdleProperties(el, loop, {
      [name]: value ? s.bpmnFactory.create(name.endsWith("Ref") ? "bpmn:Property" : "bpmn:DataInput", { id: value.trim() }) : undefined,
    }),
  });
  const item = (name, type) => ({
    get: () => { const v = loop.get(name); return v ? v.id || v.name || "" : ""; },
    set: (s, el, value) => s.modeling.updateModdleProperties(el, loop, {
      [name]: value ? s.bpmnFactory.create(type, { id: value.trim(), name: value.trim() }) : undefined,
    }),
  });
  return [
    { id: "lawflow-loopDataInputRef", component: TextEntry, label: "Input collection", isEdited: isTextFieldEntryEdited,
      hint: "The list whose items each get an instance", ...ref("loopDataInputRef") },
    { id: "lawflow-inputDataItem", component: TextEntry, label: "Input item", isEdited: isTextFieldEntryEdited,
      hint: "The name each instance's item is given", ...item("inputDataItem", "bpmn:DataInput") },
    { id: "lawflow-loopDataOutputRef", component: TextEntry, label: "Output collection", isEdited: isTextFieldEntryEdited,
      hint: "The list the instances' results are gathered in", ...ref("loopDataOutputRef") },
    { id: "lawflow-outputDataItem", component: TextEntry, label: "Output item", isEdited: isTextFieldEntryEdited,
      hint: "The name each instance's result is read from", ...item("outputDataItem", "bpmn:DataOutput") },
  ];
}

const OPEN = ["general", "documentation", "message", "multiInstance"];

class LawflowPropertiesProvider {
  constructor(propertiesPanel, lawflowChoices, translate) {
    this._choices = lawflowChoices;
    this._translate = translate;
    propertiesPanel.registerProvider(400, this);          // after the BPMN provider (priority 1000 runs first)
  }

  getGroups(element) {
    return (groups) => {
      groups = groups.filter((g) => g.id !== "timer");   // lawflow's timer group says what lawflow's timers take
      groups.forEach((g) => {
        if (OPEN.includes(g.id)) { g.shouldOpen = true; }
        if (g.id === "multiInstance") { g.entries = [...g.entries, ...multiInstanceEntries(element)]; }
        if (g.id === "message" && messageDefinition(element)) {
          // the message is named, not renamed: see attachMessageNamed
          g.entries = [...g.entries.filter((e) => e.id !== "messageName"),
            { id: "messageName", component: MessageNameEntry, isEdited: isTextFieldEntryEdited }];
        }
      });
      const ours = lawflowGroups(element, this._choices, this._translate);
      const problems = ours.filter((g) => g.id === "lawflow-problems");
      const rest = ours.filter((g) => g.id !== "lawflow-problems");
      // lawflow's groups follow the BPMN ones they complete (the message chosen, then what it carries)
      const after = ["message", "multiInstance", "documentation"].map((id) => groups.findIndex((g) => g.id === id))
        .find((i) => i >= 0);
      groups.splice(after === undefined ? groups.length : after + 1, 0, ...rest);
      return [...problems, ...groups];
    };
  }
}
LawflowPropertiesProvider.$inject = ["propertiesPanel", "lawflowChoices", "translate"];

export default {
  __init__: ["lawflowPropertiesProvider"],
  lawflowPropertiesProvider: ["type", LawflowPropertiesProvider],
};
