// The BPMN modeler for policy staff: bpmn-js with a properties panel for what lawflow's diagrams use
// (names, documentation = legal basis, lanes = roles, forms, due and assignee expressions, timers, conditions,
// scripts, message names and payloads, process properties), and validation problems shown on their elements.
(function () {
  var page = document.getElementById("modeler-page");
  if (!page || !window.BpmnJS) { return; }
  var readonly = page.dataset.readonly === "true";
  var forms = JSON.parse(page.dataset.forms);
  var roles = JSON.parse(page.dataset.roles);
  var panel = document.getElementById("properties");
  var modeler, moddle, modeling, registry, canvas, overlays;
  var HELPERS = "now()、add_working_days(时刻, n)、add_days(时刻, n)、add_calendar_days(时刻, n)、add_hours(时刻, n)、" +
    "working_days_left(期限)、clock_remaining(期限, \"working\")、clock_resume(剩余)、task_started";
  var TIMER_KINDS = { timeDate: "时刻（期限表达式）", timeDuration: "时长（如 \"P10D\"）", timeCycle: "周期" };

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function field(label, input, hint) {
    var wrap = el("div", { "class": "prop" });
    wrap.appendChild(el("label", {}, label));
    wrap.appendChild(input);
    if (hint) { wrap.appendChild(el("div", { "class": "help" }, hint)); }
    panel.appendChild(wrap);
    if (readonly) { input.setAttribute("disabled", "disabled"); }
    return input;
  }

  function textInput(name, value, multiline) {
    var input = el(multiline ? "textarea" : "input", { "data-prop": name, rows: multiline ? "5" : "" });
    input.value = value || "";
    return input;
  }

  // ---- extension elements (spiffworkflow:properties and friends)
  function extensions(bo, create) {
    if (!bo.extensionElements && create) {
      bo.extensionElements = moddle.create("bpmn:ExtensionElements", { values: [] });
      bo.extensionElements.$parent = bo;
    }
    return bo.extensionElements;
  }

  function findExtension(bo, type, create) {
    var ext = extensions(bo, create);
    if (!ext) { return null; }
    ext.values = ext.values || [];
    var found = ext.values.filter(function (v) { return v.$type === type; })[0];
    if (!found && create) {
      found = moddle.create(type, type === "spiffworkflow:Properties" ? { properties: [] } : {});
      found.$parent = ext;
      ext.values.push(found);
    }
    return found;
  }

  function getProperty(bo, name) {
    var props = findExtension(bo, "spiffworkflow:Properties", false);
    var found = props && (props.properties || []).filter(function (p) { return p.name === name; })[0];
    return found ? found.value : "";
  }

  function setProperty(element, bo, name, value) {
    var props = findExtension(bo, "spiffworkflow:Properties", true);
    props.properties = props.properties || [];
    var found = props.properties.filter(function (p) { return p.name === name; })[0];
    if (!value) {
      props.properties = props.properties.filter(function (p) { return p.name !== name; });
    } else if (found) {
      found.value = value;
    } else {
      var created = moddle.create("spiffworkflow:Property", { name: name, value: value });
      created.$parent = props;
      props.properties.push(created);
    }
    touch(element, bo);
  }

  function setBody(element, bo, type, value) {
    var found = findExtension(bo, type, true);
    found.value = value;
    touch(element, bo);
  }

  function touch(element, bo) {
    // record the change on the command stack so it is saved and can be undone
    modeling.updateModdleProperties(element, bo, { extensionElements: bo.extensionElements });
  }

  // ---- the panel
  function show(element) {
    panel.innerHTML = "";
    if (!element) { panel.appendChild(el("p", { "class": "help" }, "选择一个元素以编辑其属性。")); return; }
    var bo = element.businessObject;
    var type = bo.$type;
    panel.appendChild(el("h3", {}, (bo.name || bo.id) + "（" + type.replace("bpmn:", "") + "）"));
    panel.appendChild(el("p", { "class": "help" }, "编号：" + bo.id));

    if (type === "bpmn:Lane") {
      var list = el("datalist", { id: "role-list" });
      roles.forEach(function (r) { list.appendChild(el("option", { value: r })); });
      panel.appendChild(list);
      var lane = field("泳道 = 角色", textInput("name", bo.name), "办理人是案件所属机构中担任此角色的人员；" +
        "也可写 角色@机构代码、角色@parent（上级机构）、角色@field:数据名、user:用户名 或 task:任务编号");
      lane.setAttribute("list", "role-list");
      lane.addEventListener("change", function () { modeling.updateProperties(element, { name: lane.value }); });
      return;
    }

    var name = field("名称", textInput("name", bo.name));
    name.addEventListener("change", function () { modeling.updateProperties(element, { name: name.value }); });

    var docText = (bo.documentation && bo.documentation[0] && bo.documentation[0].text) || "";
    var doc = field("说明（法律依据）", textInput("documentation", docText, true), "办理人在期限旁看到这段文字");
    doc.addEventListener("change", function () {
      var documentation = doc.value ? [moddle.create("bpmn:Documentation", { text: doc.value })] : [];
      modeling.updateProperties(element, { documentation: documentation });
    });

    if (type === "bpmn:UserTask" || type === "bpmn:ManualTask") {
      var formSelect = el("select", { "data-prop": "formJsonSchemaFilename" });
      formSelect.appendChild(el("option", { value: "" }, "（无）"));
      forms.forEach(function (f) { formSelect.appendChild(el("option", { value: f }, f)); });
      formSelect.value = getProperty(bo, "formJsonSchemaFilename");
      field("表单", formSelect).addEventListener("change", function () {
        setProperty(element, bo, "formJsonSchemaFilename", formSelect.value);
      });
      propertyInput(element, bo, "dueExpression", "办理期限表达式", "如 review_deadline；可用：" + HELPERS);
      propertyInput(element, bo, "assigneeExpression", "指定办理人表达式", "如 lead_leader；空则由泳道角色办理");
      propertyInput(element, bo, "publicStage", "公众可见的办理阶段", "投诉人查询进度时看到的阶段名称");
    }
    if (type === "bpmn:ScriptTask") {
      var script = field("脚本", textInput("script", bo.script, true), "可用：" + HELPERS);
      script.rows = 12;
      script.addEventListener("change", function () { modeling.updateProperties(element, { script: script.value }); });
    }
    if (type === "bpmn:CallActivity") {
      var called = field("调用的流程", textInput("calledElement", bo.calledElement), "被调用流程的标识（process id）");
      called.addEventListener("change", function () { modeling.updateProperties(element, { calledElement: called.value.trim() }); });
    }
    if (type === "bpmn:BusinessRuleTask") {
      var decision = findExtension(bo, "spiffworkflow:CalledDecisionId", false);
      var decisionInput = field("决策表", textInput("calledDecisionId", decision ? decision.value : ""), "DMN 中 decision 的 id");
      decisionInput.addEventListener("change", function () {
        setBody(element, bo, "spiffworkflow:CalledDecisionId", decisionInput.value.trim());
      });
    }
    if (type === "bpmn:BoundaryEvent") {
      var cancel = el("input", { type: "checkbox", "data-prop": "cancelActivity" });
      cancel.checked = bo.cancelActivity !== false;
      field("触发时中断所附任务", cancel, "不勾选：提醒、督办等与任务并行").addEventListener("change", function () {
        modeling.updateProperties(element, { cancelActivity: cancel.checked });
      });
    }
    if (type === "bpmn:SequenceFlow") {
      var cond = field("条件", textInput("condition", bo.conditionExpression ? bo.conditionExpression.body : "", true));
      cond.addEventListener("change", function () {
        var expr = cond.value ? moddle.create("bpmn:FormalExpression", { body: cond.value }) : undefined;
        modeling.updateProperties(element, { conditionExpression: expr });
      });
    }
    (bo.eventDefinitions || []).forEach(function (definition) { eventDefinition(element, definition); });
    if (type === "bpmn:Participant" && bo.processRef) { processProperties(element, bo.processRef); }
    if (type === "bpmn:Process") { processProperties(element, bo); }
    if (type !== "bpmn:Participant" && type !== "bpmn:Process") { otherProperties(element, bo); }
  }

  function propertyInput(element, bo, key, label, hint) {
    var input = field(label, textInput(key, getProperty(bo, key)), hint);
    input.addEventListener("change", function () { setProperty(element, bo, key, input.value.trim()); });
  }

  function eventDefinition(element, definition) {
    if (definition.$type === "bpmn:TimerEventDefinition") {
      var kind = ["timeDate", "timeDuration", "timeCycle"].filter(function (k) { return definition[k]; })[0] || "timeDate";
      var kindSelect = el("select", { "data-prop": "timerKind" });
      Object.keys(TIMER_KINDS).forEach(function (k) { kindSelect.appendChild(el("option", { value: k }, TIMER_KINDS[k])); });
      kindSelect.value = kind;
      field("定时类型", kindSelect);
      var expr = field("定时表达式", textInput("timer", definition[kind] ? definition[kind].body : "", true),
        "如 add_working_days(task_started, 10)；可用：" + HELPERS);
      var apply = function () {
        var props = { timeDate: undefined, timeDuration: undefined, timeCycle: undefined };
        props[kindSelect.value] = moddle.create("bpmn:FormalExpression", { body: expr.value });
        modeling.updateModdleProperties(element, definition, props);
      };
      kindSelect.addEventListener("change", apply);
      expr.addEventListener("change", apply);
    }
    if (definition.$type === "bpmn:MessageEventDefinition") {
      var message = definition.messageRef;
      var msgName = field("消息名称", textInput("message", message ? message.name : ""),
        "notify（通知）、copy（抄送）、document（生成文书）或流程等待的消息");
      msgName.addEventListener("change", function () {
        var wanted = msgName.value.trim();
        if (wanted) { modeling.updateModdleProperties(element, definition, { messageRef: messageNamed(element, wanted) }); }
      });
      var payload = findExtension(definition, "spiffworkflow:MessagePayload", false);
      var payloadInput = field("消息内容（表达式）", textInput("payload", payload ? payload.value : "", true));
      payloadInput.addEventListener("change", function () {
        setBody(element, definition, "spiffworkflow:MessagePayload", payloadInput.value);
      });
      var variable = findExtension(definition, "spiffworkflow:MessageVariable", false);
      var variableInput = field("接收消息的变量", textInput("variable", variable ? variable.value : ""));
      variableInput.addEventListener("change", function () {
        setBody(element, definition, "spiffworkflow:MessageVariable", variableInput.value);
      });
    }
  }

  // The diagram's message of that name, created beside the process when there is none: choosing a name attaches the
  // event to it, never renames a message other events share.
  function messageNamed(element, name) {
    var definitions = modeler.getDefinitions();
    var roots = definitions.rootElements || [];
    var found = roots.filter(function (r) { return r.$type === "bpmn:Message" && r.name === name; })[0];
    if (found) { return found; }
    var id = "Message_" + (/^[A-Za-z_][\w-]*$/.test(name) ? name : Date.now().toString(36));
    while (roots.some(function (r) { return r.id === id; })) { id += "_1"; }
    found = moddle.create("bpmn:Message", { id: id, name: name });
    found.$parent = definitions;
    modeling.updateModdleProperties(element, definitions, { rootElements: roots.concat([found]) });
    return found;
  }

  var KNOWN = ["formJsonSchemaFilename", "dueExpression", "assigneeExpression", "publicStage"];

  function otherProperties(element, bo) {
    var props = findExtension(bo, "spiffworkflow:Properties", false);
    (props ? props.properties || [] : []).forEach(function (p) {
      if (KNOWN.indexOf(p.name) < 0) { propertyInput(element, bo, p.name, "属性 " + p.name); }
    });
  }

  function processProperties(element, process) {
    panel.appendChild(el("h3", {}, "流程属性"));
    [["businessNumberPattern", "业务编号格式", "如 〔{year}〕投诉第{seq:04d}号"],
     ["reportableFields", "申报字段", "逗号分隔：写入案件、可查询统计的数据"],
     ["titleField", "标题字段", ""], ["leaderField", "包案领导字段", ""], ["relatedFields", "关联案件字段", ""],
     ["starterRoles", "可发起角色", "角色代码或名称，逗号分隔；留空则所有工作人员可发起"],
     ["fieldLabels", "字段名称", "字段:名称，逗号分隔（表单中没有的字段）"],
     ["valueLabels", "取值名称", "字段=取值:名称，逗号分隔"],
     ["portalForm", "公众提交表单", ""], ["publicFields", "公众可见字段", "字段 或 字段:名称，逗号分隔"]
    ].forEach(function (spec) {
      var input = field(spec[1], textInput(spec[0], getProperty(process, spec[0])), spec[2]);
      input.addEventListener("change", function () { setProperty(element, process, spec[0], input.value.trim()); });
    });
  }

  // ---- save and show problems on their elements
  function showProblems(problems) {
    var list = document.getElementById("problems");
    list.innerHTML = "";
    overlays.clear();
    registry.getAll().forEach(function (e) { canvas.removeMarker(e.id, "has-problem"); });
    problems.forEach(function (p) {
      var item = el("li", { "data-element": p.element || "" },
        p.file + (p.line ? ":" + p.line : "") + (p.element ? " [" + p.element + "]" : "") + "：" + p.message);
      list.appendChild(item);
      if (p.file === page.dataset.path && p.element && registry.get(p.element)) {
        canvas.addMarker(p.element, "has-problem");
        overlays.add(p.element, "problem", { position: { top: -10, right: 10 }, html: '<span class="problem-badge">!</span>' });
        item.addEventListener("click", function () { modeler.get("selection").select(registry.get(p.element)); });
      }
    });
  }

  function save() {
    var result = document.getElementById("save-result");
    result.textContent = "保存中…";
    modeler.saveXML({ format: true }).then(function (saved) {
      return fetch(page.dataset.save, {
        method: "PUT", credentials: "same-origin", body: saved.xml,
        headers: { "X-CSRF-Token": page.dataset.csrf, "Content-Type": "application/xml" }
      });
    }).then(function (response) { return response.json(); }).then(function (body) {
      if (!body.saved) { result.textContent = "未保存：" + (body.errors ? body.errors.map(function (e) { return e.message; }).join("；") : body.detail); return; }
      showProblems(body.problems);
      result.textContent = body.problems.length ? "已保存，草稿有 " + body.problems.length + " 个问题" : "已保存，校验通过";
      page.dataset.saved = String(Date.now());
    }).catch(function (error) { result.textContent = "保存失败：" + error.message; });
  }

  fetch(page.dataset.moddle).then(function (r) { return r.json(); }).then(function (descriptor) {
    modeler = new BpmnJS({ container: "#canvas", moddleExtensions: { spiffworkflow: descriptor } });
    window.lawflowModeler = modeler;      // for the browser tests and the console
    moddle = modeler.get("moddle");
    modeling = modeler.get("modeling");
    registry = modeler.get("elementRegistry");
    canvas = modeler.get("canvas");
    overlays = modeler.get("overlays");
    modeler.on("selection.changed", function (event) { show(event.newSelection[0]); });
    modeler.on("element.changed", function (event) {
      var selected = modeler.get("selection").get()[0];
      if (selected && selected === event.element && !panel.contains(document.activeElement)) { show(selected); }
    });
    return fetch(page.dataset.src, { credentials: "same-origin" });
  }).then(function (r) { return r.text(); }).then(function (xml) {
    return modeler.importXML(xml);
  }).then(function () {
    canvas.zoom("fit-viewport");
    page.dataset.ready = "true";
    var button = document.getElementById("save-diagram");
    if (button) { button.addEventListener("click", save); }
  }).catch(function (error) {
    document.getElementById("save-result").textContent = "流程图加载失败：" + error.message;
  });
})();
