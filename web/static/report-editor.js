// The report editor: a report definition (forms/**/*.report.json) as a form — title, process, grouping, filters,
// measures with their conditions and steps, ranking, chart, organisation chart (orgTree), roles, public — offering
// only what the draft declares (its processes' reportable fields with their values, and their user tasks). A raw JSON view edits the same
// object. Saved through the endpoint every file uses; each problem of the draft is listed and shown beside the
// field its JSON pointer names.
(function () {
  var page = document.getElementById("report-editor");
  if (!page) { return; }
  var T = JSON.parse(document.getElementById("report-labels").textContent);
  var processes = JSON.parse(document.getElementById("report-processes").textContent);
  var roles = JSON.parse(document.getElementById("report-roles").textContent);
  var model = JSON.parse(document.getElementById("report-data").textContent);
  var form = document.getElementById("report-form");
  var raw = document.getElementById("report-json");
  var readonly = page.dataset.readonly === "true";
  var KINDS = ["count", "rate", "on_time", "duration", "overdue", "sum", "mean", "ratio"], TASK_KINDS = ["on_time", "duration", "overdue"];
  var FIELD_KINDS = ["sum", "mean", "ratio"], STEP_KINDS = ["sum", "mean"];   // of a numeric field; sum, mean: or of time in steps
  var STATUSES = ["running", "suspended", "completed", "terminated", "error"];
  var CHARTS = ["bar", "line", "stacked", "pie"];
  var TREE_KINDS = ["rate", "on_time", "ratio"];   // what the organisation chart (orgTree) may colour the units by
  var lastProblems = [];

  function el(tag, attrs, kids) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") { node.textContent = attrs[k]; } else if (k in node && k !== "list") { node[k] = attrs[k]; }
      else { node.setAttribute(k, attrs[k]); }
    });
    (kids || []).forEach(function (kid) { if (kid !== null && kid !== undefined) { node.appendChild(typeof kid === "string" ? document.createTextNode(kid) : kid); } });
    return node;
  }

  function slot() { return el("span", { className: "problem-slot" }); }

  function pointed(node, pointer) { node.dataset.pointer = pointer; node.appendChild(slot()); return node; }

  function process() {
    for (var i = 0; i < processes.length; i++) { if (processes[i].key === model.process) { return processes[i]; } }
    return null;
  }

  function fields() { var p = process(); return p ? p.fields : []; }

  function fieldOf(name) {
    if (name === "@status") {
      return { name: "@status", title: T.status, choices: STATUSES.map(function (s) { return { value: s, label: T["s_" + s] }; }) };
    }
    var found = fields().filter(function (f) { return f.name === name; })[0];
    return found || { name: name, title: name, choices: [] };
  }

  // A text input bound to object[key]; emptied, an optional key is removed.
  function text(object, key, optional, attrs) {
    var input = el("input", Object.assign({ type: "text", disabled: readonly }, attrs || {}));
    input.dataset.key = key;
    input.value = object[key] === undefined || object[key] === null ? "" : String(object[key]);
    input.addEventListener("input", function () {
      if (input.value === "" && optional) { delete object[key]; } else { object[key] = input.value; }
      if (attrs && attrs.onchanged) { attrs.onchanged(); }
    });
    return input;
  }

  function select(options, value, onchange, attrs) {
    var node = el("select", Object.assign({ disabled: readonly }, attrs || {}));
    options.forEach(function (o) { node.appendChild(el("option", { value: o[0], text: o[1] })); });
    node.value = value === undefined || value === null ? "" : String(value);
    node.addEventListener("change", function () { onchange(node.value); });
    return node;
  }

  function line(pointer, label, input, id) {
    var labelNode = el("label", { text: label });
    if (id) { input.id = id; labelNode.htmlFor = id; }
    return pointed(el("div", { className: "line" }, [labelNode, " ", input]), pointer);
  }

  function button(label, act, fn, id) {
    var b = el("button", { type: "button", text: label, title: label, disabled: readonly });
    b.dataset.act = act;
    if (id) { b.id = id; }
    b.addEventListener("click", function () { fn(); render(); });
    return b;
  }

  // ------------------------------------------------------------------ general
  function general() {
    var procOptions = processes.map(function (p) { return [p.key, p.name + "（" + p.key + "）"]; });
    if (model.process && !process()) { procOptions.unshift([model.process, model.process]); }
    if (!procOptions.length) { procOptions = [["", T.no_process]]; }
    var groups = [["@org", T.g_org], ["@month", T.g_month], ["@status", T.g_status]].concat(
      fields().map(function (f) { return [f.name, f.title + "（" + f.name + "）"]; }));
    if (model.groupBy && !groups.some(function (g) { return g[0] === model.groupBy; })) { groups.push([model.groupBy, model.groupBy]); }
    var roleBox = el("span", { id: "report-roles-choices" }, roles.map(function (r) {
      var box = el("input", { type: "checkbox", disabled: readonly, checked: (model.roles || []).indexOf(r.code) >= 0 });
      box.dataset.role = r.code;
      box.addEventListener("change", function () {
        var chosen = (model.roles || []).filter(function (c) { return c !== r.code; });
        if (box.checked) { chosen.push(r.code); }
        if (chosen.length) { model.roles = chosen; } else { delete model.roles; }
      });
      return el("label", {}, [box, r.name]);
    }));
    var publicBox = el("input", { type: "checkbox", disabled: readonly, checked: model.public === true });
    publicBox.addEventListener("change", function () { if (publicBox.checked) { model.public = true; } else { delete model.public; } });
    var description = el("textarea", { rows: 3, disabled: readonly });
    description.value = model.description || "";
    description.addEventListener("input", function () { if (description.value) { model.description = description.value; } else { delete model.description; } });
    var order = el("input", { type: "number", step: 1, disabled: readonly, className: "narrow" });
    order.value = model.order === undefined ? "" : String(model.order);
    order.addEventListener("input", function () { if (order.value === "") { delete model.order; } else { model.order = parseInt(order.value, 10); } });
    return el("fieldset", { id: "report-general" }, [el("legend", { text: T.general }),
      line("/key", T.key, text(model, "key", false), "report-key"),
      line("/title", T.title, text(model, "title", false), "report-title"),
      line("/description", T.description, description, "report-description"),
      line("/process", T.process, select(procOptions, model.process, function (v) { model.process = v; render(); }), "report-process"),
      line("/groupBy", T.group, select(groups, model.groupBy, function (v) { model.groupBy = v; render(); }), "report-group"),
      line("/groupLabel", T.group_label, text(model, "groupLabel", true), "report-group-label"),
      line("/chart", T.chart, select([["", T.chart_none]].concat(CHARTS.map(function (c) { return [c, T["chart_" + c]]; })),
        model.chart, function (v) { if (v) { model.chart = v; } else { delete model.chart; } }), "report-chart"),
      treeLine(),
      line("/order", T.order, order, "report-order"),
      line("/roles", T.roles, roleBox),
      line("/public", T.public, publicBox, "report-public")]);
  }

  // The organisation chart (`orgTree`): a tree of the units coloured by one of the report's rates. Offered the
  // rates of the report (rate, on-time rate, ratio) when it is grouped by unit; a choice that no longer fits (the
  // grouping or the measure changed) stays chosen, so that the saved draft's problem is shown beside it.
  function treeOptions() {
    var options = [["", T.tree_none]];
    if (model.groupBy === "@org") {
      model.measures.forEach(function (m) {
        if (m.name && TREE_KINDS.indexOf(m.kind) >= 0) { options.push([m.name, (m.label || m.name) + "（" + m.name + "）"]); }
      });
    }
    if (model.orgTree && !options.some(function (o) { return o[0] === model.orgTree; })) { options.push([model.orgTree, model.orgTree]); }
    return options;
  }

  function treeLine() {
    var node = select(treeOptions(), model.orgTree, function (v) { if (v) { model.orgTree = v; } else { delete model.orgTree; } });
    node.dataset.key = "orgTree";
    var shown = line("/orgTree", T.tree, node, "report-tree");
    shown.insertBefore(el("span", { className: "help", id: "report-tree-help", text: " " + T.tree_help }), shown.lastChild);
    return shown;
  }

  // After a measure is renamed: a chart naming it follows, and the choices are offered anew.
  function refreshTree(was, now) {
    if (was && now && model.orgTree === was) { model.orgTree = now; }
    var node = document.getElementById("report-tree");
    if (!node) { return; }
    node.textContent = "";
    treeOptions().forEach(function (o) { node.appendChild(el("option", { value: o[0], text: o[1] })); });
    node.value = model.orgTree || "";
  }

  // ------------------------------------------------------------------ conditions
  // The condition at holder[key] as rows: field, is / is not, and its values (chosen from the form's values when
  // the forms list them, else typed). An empty condition is removed unless `keep` (a rate's where and base).
  function conditionEditor(holder, key, pointer, keep, id) {
    var condition = holder[key] || {};
    var box = el("div", { className: "condition" });
    box.id = id;
    var names = Object.keys(condition);
    function store() {
      if (Object.keys(condition).length || keep) { holder[key] = condition; } else { delete holder[key]; }
    }
    function rename(from, to) {
      var rebuilt = {};
      Object.keys(condition).forEach(function (k) { rebuilt[k === from ? to : k] = k === from ? defaultValue(to) : condition[k]; });
      Object.keys(condition).forEach(function (k) { delete condition[k]; });
      Object.assign(condition, rebuilt);
    }
    if (!names.length) { box.appendChild(el("span", { className: "help", text: T.no_condition })); }
    names.forEach(function (name) {
      var wanted = condition[name];
      var mode = wanted !== null && typeof wanted === "object" && !Array.isArray(wanted) ? ("has" in wanted ? "has" : "not") : "is";
      var values = mode === "is" ? wanted : wanted[mode];
      var list = Array.isArray(values) ? values : [values];
      var info = fieldOf(name);
      var options = [["@status", T.status]].concat(fields().map(function (f) { return [f.name, f.title + "（" + f.name + "）"]; }));
      if (!options.some(function (o) { return o[0] === name; })) { options.push([name, name]); }
      options = options.filter(function (o) { return o[0] === name || !(o[0] in condition); });
      function put(chosen) {
        var value = chosen.length === 1 ? chosen[0] : chosen;
        var held = {};
        held[mode] = value;
        condition[name] = mode === "is" ? value : held;
      }
      var fieldSelect = select(options, name, function (v) { rename(name, v); render(); }, { className: "condition-field" });
      var op = select([["is", T.is], ["not", T.is_not], ["has", T.has]], mode, function (v) {
        mode = v;
        put(list);
      }, { className: "condition-op" });
      var valueNode;
      if (info.choices.length) {
        valueNode = el("span", { className: "choices" }, info.choices.map(function (c) {
          var check = el("input", { type: "checkbox", disabled: readonly, checked: list.some(function (v) { return String(v) === String(c.value); }) });
          check.dataset.value = String(c.value);
          check.addEventListener("change", function () {
            list = info.choices.filter(function (o, n) {
              return valueNode.querySelectorAll("input")[n].checked;
            }).map(function (o) { return o.value; });
            put(list);
          });
          return el("label", {}, [check, c.label]);
        }));
      } else {
        valueNode = el("input", { type: "text", disabled: readonly, className: "condition-text", placeholder: T.values_text });
        valueNode.value = list.map(String).join(", ");
        valueNode.addEventListener("input", function () {
          list = valueNode.value.split(/[,，]/).map(function (v) { return v.trim(); });
          if (list.length > 1) { list = list.filter(function (v) { return v !== ""; }); }
          put(list);
        });
      }
      var remove = button("✕", "remove-condition", function () { delete condition[name]; store(); });
      box.appendChild(pointed(el("div", { className: "condition-row" }, [fieldSelect, " ", op, " ", valueNode, " ", remove]),
        pointer + "/" + name));
    });
    var unused = ["@status"].concat(fields().map(function (f) { return f.name; })).filter(function (n) { return !(n in condition); });
    if (unused.length) {
      box.appendChild(button(T.add_condition, "add-condition", function () {
        var next = unused.filter(function (n) { return n !== "@status"; })[0] || unused[0];
        condition[next] = defaultValue(next);
        holder[key] = condition;
      }));
    }
    store();
    return box;
  }

  function defaultValue(name) {
    var info = fieldOf(name);
    return info.choices.length ? info.choices[0].value : "";
  }

  // ------------------------------------------------------------------ measures
  function measureBox(measure, n) {
    var pointer = "/measures/" + n;
    var list = model.measures;
    var kind = select(KINDS.map(function (k) { return [k, T["k_" + k]]; }), measure.kind, function (v) {
      measure.kind = v;
      if (v !== "rate") { delete measure.base; } else { measure.where = measure.where || {}; measure.base = measure.base || {}; }
      if (TASK_KINDS.indexOf(v) >= 0) { measure.tasks = measure.tasks || []; }
      else if (STEP_KINDS.indexOf(v) < 0 || measure.field) { delete measure.tasks; }
      if (FIELD_KINDS.indexOf(v) < 0) { delete measure.field; }
      if (v !== "ratio") { delete measure.over; }
      if (v !== "on_time") { delete measure.per; }         // each step or each case once: only an on-time rate
      if (v !== "duration") { delete measure.percentiles; delete measure.unit; }
      else { measure.percentiles = measure.percentiles || [50, 90]; measure.unit = measure.unit || "days"; }
      render();
    }, { className: "measure-kind" });
    kind.dataset.key = "kind";
    var was = measure.name;
    function renamed() {             // a name being retyped (emptied for a moment) keeps the chart's link to it
      if (measure.name) { refreshTree(was, measure.name); was = measure.name; }
      formulaHelp();
    }
    var head = el("div", { className: "measure-head" }, [
      pointed(el("span", {}, [el("label", { text: T.label + " " }), text(measure, "label", false, { className: "measure-label", onchanged: function () { refreshTree(); } })]), pointer + "/label"), " ",
      pointed(el("span", {}, [el("label", { text: T.name + " " }), text(measure, "name", false, { className: "measure-name narrow", onchanged: renamed })]), pointer + "/name"), " ",
      pointed(el("span", {}, [el("label", { text: T.kind + " " }), kind]), pointer + "/kind"), " ",
      button("↑", "up", function () { move(list, n, -1); }), button("↓", "down", function () { move(list, n, 1); }),
      button("✕", "remove", function () { list.splice(n, 1); })]);
    var parts = [el("legend", { text: T.measure + " " + (n + 1) }), head,
      pointed(el("div", { className: "line" }, [el("label", { text: T.where }),
        conditionEditor(measure, "where", pointer + "/where", measure.kind === "rate", "measure-" + n + "-where")]), pointer + "/where")];
    if (measure.kind === "rate") {
      parts.push(pointed(el("div", { className: "line" }, [el("label", { text: T.base }),
        conditionEditor(measure, "base", pointer + "/base", true, "measure-" + n + "-base")]), pointer + "/base"));
    }
    if (FIELD_KINDS.indexOf(measure.kind) >= 0) {
      var keys = measure.kind === "ratio" ? [["field", T.numerator], ["over", T.denominator]] : [["field", T.number_field]];
      keys.forEach(function (k) {
        var input = el("input", { type: "text", disabled: readonly, className: "measure-" + k[0], placeholder: T.number_help });
        input.value = measure[k[0]] || "";
        input.setAttribute("list", "report-number-fields");
        input.addEventListener("input", function () {
          if (input.value.trim()) { measure[k[0]] = input.value.trim(); } else { delete measure[k[0]]; }
        });
        parts.push(pointed(el("div", { className: "line" }, [el("label", { text: k[1] }), input]), pointer + "/" + k[0]));
      });
      if (!document.getElementById("report-number-fields")) {
        form.appendChild(el("datalist", { id: "report-number-fields" }, fields().map(function (f) {
          return el("option", { value: f.name, text: f.title });
        })));
      }
    }
    if (TASK_KINDS.indexOf(measure.kind) >= 0 || STEP_KINDS.indexOf(measure.kind) >= 0) {
      var tasks = (process() || { tasks: [] }).tasks.slice();
      (measure.tasks || []).forEach(function (t) { if (!tasks.some(function (k) { return k.id === t; })) { tasks.push({ id: t, name: t }); } });
      parts.push(pointed(el("div", { className: "line" }, [el("label", { text: STEP_KINDS.indexOf(measure.kind) >= 0 ? T.step_days : T.tasks }),
        el("span", { className: "task-choices" }, tasks.map(function (t) {
          var check = el("input", { type: "checkbox", disabled: readonly, checked: (measure.tasks || []).indexOf(t.id) >= 0 });
          check.dataset.task = t.id;
          check.addEventListener("change", function () {
            var chosen = (measure.tasks || []).filter(function (k) { return k !== t.id; });
            if (check.checked) { chosen.push(t.id); }
            measure.tasks = chosen;
            if (!chosen.length && STEP_KINDS.indexOf(measure.kind) >= 0) { delete measure.tasks; }
          });
          return el("label", { title: t.id }, [check, t.name]);
        }))]), pointer + "/tasks"));
    }
    if (measure.kind === "duration") {
      var percentiles = el("input", { type: "text", disabled: readonly, className: "narrow measure-percentiles" });
      percentiles.value = (measure.percentiles || []).join(",");
      percentiles.addEventListener("input", function () {
        measure.percentiles = percentiles.value.split(/[,，\s]+/).filter(Boolean).map(function (v) { return Number(v); });
      });
      parts.push(pointed(el("div", { className: "line" }, [el("label", { text: T.percentiles }), percentiles, " ", T.unit, " ",
        select([["days", T.u_days], ["hours", T.u_hours]], measure.unit || "days", function (v) { measure.unit = v; })]), pointer + "/percentiles"));
    }
    var box = el("fieldset", { className: "measure" }, parts);
    box.dataset.pointer = pointer;
    box.dataset.name = measure.name || "";
    box.appendChild(slot());
    return box;
  }

  function move(list, index, delta) {
    var to = index + delta;
    if (to < 0 || to >= list.length) { return; }
    list.splice(to, 0, list.splice(index, 1)[0]);
  }

  // ------------------------------------------------------------------ ranking
  function ranking() {
    var on = el("input", { type: "checkbox", id: "ranking-on", disabled: readonly, checked: !!model.ranking });
    on.addEventListener("change", function () {
      if (on.checked) { model.ranking = { formula: "", order: "desc" }; } else { delete model.ranking; }
      render();
    });
    var parts = [el("legend", { text: T.ranking }), el("label", {}, [on, T.ranking_on])];
    if (model.ranking) {
      var r = model.ranking;
      parts.push(line("/ranking/label", T.ranking_label, text(r, "label", true), "ranking-label"));
      parts.push(line("/ranking/formula", T.formula, text(r, "formula", false), "ranking-formula"));
      parts.push(el("p", { className: "help formula-help", id: "formula-help" }));
      parts.push(line("/ranking/order", T.ranking_order, select([["desc", T.desc], ["asc", T.asc]], r.order || "desc",
        function (v) { r.order = v; }), "ranking-order"));
    }
    var box = el("fieldset", { id: "report-ranking" }, parts);
    return pointed(box, "/ranking");
  }

  function formulaHelp() {
    var help = document.getElementById("formula-help");
    if (!help) { return; }
    help.textContent = T.formula_help;
    model.measures.forEach(function (m) { help.appendChild(el("code", { text: m.name || "", title: m.label || "" })); });
    help.appendChild(document.createTextNode(" " + T.functions));
  }

  // ------------------------------------------------------------------ the whole form
  function render() {
    if (!model) { return; }
    form.textContent = "";
    model.measures = Array.isArray(model.measures) ? model.measures : [];
    form.appendChild(general());
    form.appendChild(pointed(el("fieldset", { id: "report-filters" }, [el("legend", { text: T.filters }),
      conditionEditor(model, "filters", "/filters", false, "filters-condition")]), "/filters"));
    var measures = el("fieldset", { id: "report-measures" }, [el("legend", { text: T.measures })]);
    model.measures.forEach(function (m, n) { measures.appendChild(measureBox(m, n)); });
    measures.appendChild(button(T.add_measure, "add-measure", function () {
      model.measures.push({ name: "m" + (model.measures.length + 1), label: "", kind: "count" });
    }, "add-measure"));
    form.appendChild(pointed(measures, "/measures"));
    form.appendChild(ranking());
    formulaHelp();
    place(lastProblems);
  }

  // The report as saved: its keys in the order a reader expects (the page may hand them over sorted).
  var ORDER = ["key", "title", "order", "process", "roles", "public", "description", "groupBy", "groupLabel", "chart",
    "orgTree", "valueLabels", "filters", "measures", "ranking"];
  var MEASURE_ORDER = ["name", "label", "kind", "field", "over", "where", "base", "tasks", "percentiles", "unit", "description"];
  function ordered(object, keys) {
    var out = {};
    keys.concat(Object.keys(object)).forEach(function (k) { if (k in object && !(k in out)) { out[k] = object[k]; } });
    return out;
  }
  function cleaned() {
    var copy = ordered(model, ORDER);
    if (Array.isArray(copy.measures)) {
      copy.measures = copy.measures.map(function (m) { return m && typeof m === "object" ? ordered(m, MEASURE_ORDER) : m; });
    }
    return JSON.stringify(copy, null, 2) + "\n";
  }

  // Each problem of this file beside the field its JSON pointer names (the nearest enclosing one).
  function place(problems) {
    form.querySelectorAll(".problem-slot").forEach(function (s) { s.textContent = ""; });
    form.querySelectorAll(".has-problem").forEach(function (n) { n.classList.remove("has-problem"); });
    var owners = Array.prototype.slice.call(form.querySelectorAll("[data-pointer]"));
    problems.forEach(function (p) {
      if (p.file !== page.dataset.path || !p.element) { return; }
      var best = null;
      owners.forEach(function (node) {
        var at = node.dataset.pointer;
        if ((p.element === at || p.element.indexOf(at + "/") === 0) && (!best || at.length > best.dataset.pointer.length)) { best = node; }
      });
      if (!best) { return; }
      best.classList.add("has-problem");
      var target = best.querySelector(":scope > .problem-slot");
      if (target) { target.textContent += (target.textContent ? "；" : "") + p.message; }
    });
  }

  function show(body) {
    if (!window.lawflowShowSaved(body, T)) { return; }
    lastProblems = body.problems;
    place(body.problems);
  }

  var rawBox = document.getElementById("report-raw");
  rawBox.addEventListener("toggle", function () { if (rawBox.open && model) { raw.value = cleaned(); } });
  var apply = document.getElementById("apply-json");
  if (apply) {
    apply.addEventListener("click", function () {
      var result = document.getElementById("json-result");
      try {
        var parsed = JSON.parse(raw.value);
        if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) { result.textContent = T.json_not_object; return; }
        model = parsed;
        result.textContent = T.json_applied;
        var notice = document.getElementById("not-an-object");
        if (notice) { notice.hidden = true; }
        render();
      } catch (e) {
        result.textContent = T.json_bad + e.message;
      }
    });
  }

  var save = document.getElementById("save-report");
  if (save) {
    save.addEventListener("click", function () {
      var body = model ? cleaned() : raw.value;
      if (rawBox.open && raw.value !== body) {        // the JSON text being edited is what is saved
        try {
          var parsed = JSON.parse(raw.value);
          if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) { model = parsed; render(); }
        } catch (e) { /* saved as typed: the answer locates the error */ }
        body = raw.value;
      }
      fetch(page.dataset.save, {
        method: "PUT", credentials: "same-origin", body: body,
        headers: { "X-CSRF-Token": page.dataset.csrf, "Content-Type": "application/json" }
      }).then(function (r) { return r.json(); }).then(function (answer) {
        show(answer);
        if (rawBox.open && model) { raw.value = cleaned(); }
        page.dataset.saved = String(Date.now());
      });
    });
  }
  // The preview: title, description and column headings as the statistics page shows them, `{limit:…}` filled
  // from the draft's own limits table by the server (the one expander); an unknown name is listed with its pointer.
  var preview = document.getElementById("report-preview");
  var asked = 0, timer = null;      // previews asked for: an answer to an older one is dropped
  function refresh() {
    var mine = ++asked;
    fetch(page.dataset.preview, {
      method: "POST", credentials: "same-origin", body: model ? cleaned() : raw.value,
      headers: { "X-CSRF-Token": page.dataset.csrf, "Content-Type": "application/json" }
    }).then(function (r) { return r.text(); }).then(function (html) {
      if (mine !== asked) { return; }
      preview.innerHTML = html;
      page.dataset.previewed = String(Date.now());
    });
  }
  function schedule() { clearTimeout(timer); timer = setTimeout(refresh, 300); }
  if (preview) {
    page.addEventListener("input", schedule);
    page.addEventListener("change", schedule);
    page.addEventListener("click", function (e) { if (e.target.tagName === "BUTTON") { schedule(); } });
  }
  render();
  if (preview) { refresh(); }
  page.dataset.ready = "true";
})();
