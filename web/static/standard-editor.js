// The standard editor: a scoring standard as tables (the standard, dimensions with their items, bonus items, vetoes,
// bands) with live sums, saved as JSON into the draft through the endpoint every file uses; each problem the draft
// then has is listed, and shown beside the row (JSON pointer) it concerns.
(function () {
  var page = document.getElementById("standard-editor");
  if (!page) { return; }
  var T = JSON.parse(document.getElementById("standard-labels").textContent);
  var data = document.getElementById("standard-data");
  var model = data ? JSON.parse(data.textContent) : null;
  var form = document.getElementById("standard-form");
  var readonly = page.dataset.readonly === "true";
  var badAuto = {};                       // pointer -> true while an auto rule's text is not a JSON object

  function el(tag, attrs, kids) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") { node.textContent = attrs[k]; } else if (k in node && k !== "list") { node[k] = attrs[k]; }
      else { node.setAttribute(k, attrs[k]); }
    });
    (kids || []).forEach(function (kid) { if (kid) { node.appendChild(typeof kid === "string" ? document.createTextNode(kid) : kid); } });
    return node;
  }

  // An input bound to holder()[key]: numbers as numbers, an emptied optional value removed.
  function field(holder, key, kind, optional, extra) {
    var value = holder() ? holder()[key] : undefined;
    var attrs = Object.assign({ type: kind === "number" ? "number" : "text", disabled: readonly }, extra || {});
    if (kind === "number") { attrs.step = "any"; }
    var input = el("input", attrs);
    if (!input.dataset.key) { input.dataset.key = key; }
    input.value = value === undefined || value === null ? "" : String(value);
    input.addEventListener("input", function () {
      var target = holder(true);
      if (input.value === "" && (optional || kind === "number")) { delete target[key]; }
      else { target[key] = kind === "number" ? Number(input.value) : input.value; }
      sums();
    });
    return input;
  }

  // A yes/no bound to holder()[key]; with `byDefault` true an unset value counts as yes and "no" is kept explicitly.
  function checkbox(holder, key, byDefault) {
    var value = (holder() || {})[key];
    var box = el("input", { type: "checkbox", disabled: readonly, checked: value === true || (byDefault && holder() && value === undefined) });
    box.dataset.key = key;
    box.addEventListener("change", function () {
      if (box.checked) { holder(true)[key] = true; } else if (byDefault) { holder(true)[key] = false; } else { delete holder(true)[key]; }
    });
    return box;
  }

  function own(object) { return function () { return object; }; }

  function slot() { return el("span", { className: "problem-slot" }); }

  function buttons(list, index) {
    if (readonly) { return el("td"); }
    function act(label, name, fn) {
      var b = el("button", { type: "button", text: label, title: label });
      b.dataset.act = name;
      b.addEventListener("click", function () { fn(); render(); });
      return b;
    }
    return el("td", { className: "row-actions" }, [
      act("↑", "up", function () { move(list, index, -1); }), act("↓", "down", function () { move(list, index, 1); }),
      act("✕", "remove", function () { list.splice(index, 1); })]);
  }

  function move(list, index, delta) {
    var to = index + delta;
    if (to < 0 || to >= list.length) { return; }
    list.splice(to, 0, list.splice(index, 1)[0]);
  }

  function adder(label, id, fn) {
    var b = el("button", { type: "button", text: label, disabled: readonly });
    b.id = id;
    b.addEventListener("click", function () { fn(); render(); });
    return b;
  }

  function head(names) { return el("tr", {}, names.map(function (n) { return el("th", { text: n }); })); }

  // A table row of inputs with its actions, and under it a row (hidden until a save finds one) for its problems.
  function row(table, pointer, cells, list, index, code) {
    var tr = el("tr", {}, cells.map(function (c) { return el("td", { className: c.className === "auto" ? "auto-cell" : "" }, [c]); }));
    tr.dataset.pointer = pointer;
    tr.dataset.code = code || "";
    tr.appendChild(buttons(list, index));
    var problems = el("tr", { className: "problem-row", hidden: true }, [el("td", { colSpan: cells.length + 1 }, [slot()])]);
    problems.dataset.for = code || "";
    table.appendChild(tr);
    table.appendChild(problems);
    return tr;
  }

  // The auto rule as read-only text, with a toggle to edit it as JSON.
  function autoCell(entry, pointer) {
    var shown = el("code", { className: "auto-text", text: entry.auto ? JSON.stringify(entry.auto) : T.auto_none });
    var area = el("textarea", { className: "auto-json", rows: 4, hidden: true, disabled: readonly });
    area.value = entry.auto ? JSON.stringify(entry.auto, null, 2) : "";
    area.addEventListener("input", function () {
      var text = area.value.trim(), parsed = null;
      try { parsed = text ? JSON.parse(text) : null; } catch (e) { parsed = undefined; }
      var ok = parsed === null || (parsed && typeof parsed === "object" && !Array.isArray(parsed));
      area.classList.toggle("invalid", !ok);
      if (!ok) { badAuto[pointer] = true; return; }
      delete badAuto[pointer];
      if (parsed === null) { delete entry.auto; } else { entry.auto = parsed; }
      shown.textContent = entry.auto ? JSON.stringify(entry.auto) : T.auto_none;
    });
    var toggle = el("button", { type: "button", className: "auto-toggle", text: T.auto_edit });
    toggle.addEventListener("click", function () { area.hidden = !area.hidden; });
    return el("div", { className: "auto" }, [shown, " ", toggle, area]);
  }

  function kindSelect(item) {
    var select = el("select", { disabled: readonly });
    select.dataset.key = "kind";
    [["", T.kind_none], ["fixed", T.kind_fixed], ["per_occurrence", T.kind_per_occurrence],
      ["per_share", T.kind_per_share]].forEach(function (o) {
      select.appendChild(el("option", { value: o[0], text: o[1] }));
    });
    select.value = item.deduction ? item.deduction.kind || "" : "";
    select.addEventListener("change", function () {
      if (!select.value) { delete item.deduction; } else { item.deduction = Object.assign(item.deduction || {}, { kind: select.value }); }
      if (item.deduction && select.value !== "per_share") { delete item.deduction.step; }   // only a share has a step
      render();
    });
    return select;
  }

  function itemRow(table, dim, d, item, i) {
    var rule = function (create) { if (create && !item.deduction) { item.deduction = { kind: "fixed" }; } return item.deduction; };
    var off = function (key) { return { disabled: readonly || !item.deduction, "data-key": "deduction." + key }; };
    var cells = [field(own(item), "code", "text", false, { className: "narrow" }), field(own(item), "title", "text"),
      field(own(item), "points", "number", false, { className: "narrow" }), field(own(item), "evidence", "text", true),
      kindSelect(item), field(rule, "points", "number", false, Object.assign({ className: "narrow" }, off("points"))),
      field(rule, "cap", "number", true, Object.assign({ className: "narrow" }, off("cap"))),
      field(rule, "step", "number", true, { className: "narrow", "data-key": "deduction.step",
        disabled: readonly || !item.deduction || item.deduction.kind !== "per_share" }),
      field(rule, "unit", "text", true, Object.assign({ className: "narrow" }, off("unit"))), field(rule, "label", "text", true, off("label")),
      checkbox(own(item), "veto"), autoCell(item, "/dimensions/" + d + "/items/" + i)];
    row(table, "/dimensions/" + d + "/items/" + i, cells, dim.items, i, item.code).className = "item-row";
  }

  function dimensionSection(dim, d) {
    var pointer = "/dimensions/" + d;
    var header = el("div", { className: "dimension-head" }, [
      el("label", {}, [T.code + " ", field(own(dim), "code", "text", false, { className: "narrow" })]), " ",
      el("label", {}, [T.dimension + " ", field(own(dim), "title", "text")]), " ",
      el("label", {}, [T.points + " ", field(own(dim), "points", "number", false, { className: "narrow" })]), " ",
      el("span", { className: "sum dimension-sum" }), " ", slot()]);
    var table = el("table", { className: "items" }, [head([T.code, T.item, T.points, T.evidence, T.kind, T.deduct, T.cap, T.step,
      T.unit, T.label, T.veto, T.auto, T.actions])]);
    dim.items = dim.items || [];
    dim.items.forEach(function (item, i) { itemRow(table, dim, d, item, i); });
    var box = el("fieldset", { className: "dimension" }, [el("legend", { text: T.dimension + " " + (dim.code || "") }),
      header, el("div", { className: "table-scroll" }, [table]), adder(T.add_item, "add-item-" + d, function () { dim.items.push({ code: "", title: "", points: 0 }); })]);
    box.dataset.pointer = pointer;
    var controls = buttons(model.dimensions, d);
    controls.className = "dimension-actions";
    header.appendChild(el("span", {}, Array.prototype.slice.call(controls.childNodes)));
    return box;
  }

  function general() {
    var rule = function (create) { if (create && !model.pass) { model.pass = {}; } return model.pass; };
    var line = function (pointer, label, input) {
      var box = el("div", {}, [el("label", {}, [label + " ", input]), slot()]);
      box.dataset.pointer = pointer;
      return box;
    };
    var bandCodes = el("datalist", { id: "band-codes" }, (model.bands || []).map(function (b) { return el("option", { value: b.code || "" }); }));
    return el("fieldset", { id: "standard-general" }, [el("legend", { text: T.general }),
      line("/title", T.title, field(own(model), "title", "text")),
      line("/scale", T.scale, field(own(model), "scale", "number", false, { className: "narrow" })),
      line("/description", T.description, field(own(model), "description", "text", true)),
      line("/basis", T.basis, field(own(model), "basis", "text", true)),
      line("/pass/min_total", T.min_total, field(rule, "min_total", "number", true, { className: "narrow" })),
      line("/pass/no_veto", T.no_veto, checkbox(rule, "no_veto", true)),
      line("/veto_band", T.veto_band, field(own(model), "veto_band", "text", true, { list: "band-codes", className: "narrow" })),
      bandCodes, el("p", {}, [el("span", { id: "dimensions-sum", className: "sum" }), " ", el("span", { id: "bonus-sum", className: "sum" })])]);
  }

  function entryTable(key, title, columns, blank, addLabel) {
    var list = model[key] || [];
    var table = el("table", { id: key + "-table" }, [head(columns.map(function (c) { return c[1]; }).concat([T.actions]))]);
    list.forEach(function (entry, n) {
      var cells = columns.map(function (c) {
        if (c[2] === "check") { return checkbox(own(entry), c[0]); }
        if (c[2] === "auto") { return autoCell(entry, "/" + key + "/" + n); }
        return field(own(entry), c[0], c[2], c[3], c[2] === "number" ? { className: "narrow" } : {});
      });
      row(table, "/" + key + "/" + n, cells, list, n, entry.code);
    });
    return el("fieldset", { id: key + "-section" }, [el("legend", { text: title }), el("div", { className: "table-scroll" }, [table]),
      adder(addLabel, "add-" + key, function () { model[key] = list; list.push(blank()); })]);
  }

  function render() {
    form.textContent = "";
    model.dimensions = model.dimensions || [];
    form.appendChild(general());
    var dims = el("div", { id: "dimensions" }, [el("h3", { text: T.dimensions })]);
    model.dimensions.forEach(function (dim, d) { dims.appendChild(dimensionSection(dim, d)); });
    dims.appendChild(adder(T.add_dimension, "add-dimension", function () {
      model.dimensions.push({ code: "", title: "", points: 0, items: [{ code: "", title: "", points: 0 }] });
    }));
    form.appendChild(dims);
    form.appendChild(entryTable("bonus", T.bonus, [["code", T.code, "text"], ["title", T.title, "text"],
      ["points", T.points, "number"], ["evidence", T.evidence, "text", true]],
      function () { return { code: "", title: "", points: 1 }; }, T.add_bonus));
    form.appendChild(entryTable("vetoes", T.vetoes, [["code", T.code, "text"], ["title", T.title, "text"],
      ["evidence", T.evidence, "text", true], ["auto", T.auto, "auto"]],
      function () { return { code: "", title: "" }; }, T.add_veto));
    form.appendChild(entryTable("bands", T.bands, [["code", T.code, "text"], ["label", T.band_label, "text"],
      ["min", T.band_min, "number"], ["max", T.band_max, "number"], ["passed", T.passed, "check"]],
      function () { return { code: "", label: "" }; }, T.add_band));
    ["bonus", "vetoes"].forEach(function (key) { if (model[key] && !model[key].length) { delete model[key]; } });
    badAuto = {};
    sums();
  }

  function add(values) { return values.reduce(function (a, b) { return a + (Number(b) || 0); }, 0); }

  function mark(node, have, want, label) {
    node.textContent = label + " " + have + " / " + want;
    node.classList.toggle("mismatch", Math.abs(have - want) > 1e-9);
    node.classList.toggle("match", Math.abs(have - want) <= 1e-9);
  }

  // The live sums: each dimension's items against its points, the dimensions against the scale.
  function sums() {
    form.querySelectorAll("fieldset.dimension").forEach(function (box, d) {
      var dim = model.dimensions[d];
      mark(box.querySelector(".dimension-sum"), add(dim.items.map(function (i) { return i.points; })), Number(dim.points) || 0, T.items_sum);
    });
    mark(document.getElementById("dimensions-sum"), add(model.dimensions.map(function (d) { return d.points; })), Number(model.scale) || 0, T.dimensions_sum);
    document.getElementById("bonus-sum").textContent = T.bonus_sum + " " + add((model.bonus || []).map(function (b) { return b.points; }));
  }

  // Each problem of this file beside the row or field its JSON pointer names (the nearest enclosing one).
  function place(problems) {
    form && form.querySelectorAll(".problem-slot").forEach(function (s) { s.textContent = ""; });
    form && form.querySelectorAll(".has-problem").forEach(function (n) { n.classList.remove("has-problem"); });
    form && form.querySelectorAll(".problem-row").forEach(function (n) { n.hidden = true; });
    var owners = form ? Array.prototype.slice.call(form.querySelectorAll("[data-pointer]")) : [];
    problems.forEach(function (p) {
      if (p.file !== page.dataset.path || !p.element) { return; }
      var best = null;
      owners.forEach(function (node) {
        var at = node.dataset.pointer;
        if ((p.element === at || p.element.indexOf(at + "/") === 0) && (!best || at.length > best.dataset.pointer.length)) { best = node; }
      });
      if (!best) { return; }
      best.classList.add("has-problem");
      var under = best.nextElementSibling && best.nextElementSibling.classList.contains("problem-row") ? best.nextElementSibling : null;
      if (under) { under.hidden = false; }
      var target = under ? under.querySelector(".problem-slot") : best.querySelector(":scope > .problem-slot, :scope > .dimension-head > .problem-slot");
      if (target) { target.textContent += (target.textContent ? "；" : "") + p.message; }
    });
  }

  function show(body) {
    if (!window.lawflowShowSaved(body, T)) { return; }
    place(body.problems);
  }

  var button = document.getElementById("save-standard");
  if (button) {
    button.addEventListener("click", function () {
      if (Object.keys(badAuto).length) { document.getElementById("save-result").textContent = T.not_saved + T.auto_bad; return; }
      var text = model ? JSON.stringify(model, null, 2) + "\n" : document.getElementById("standard-text").value;
      fetch(page.dataset.save, {
        method: "PUT", credentials: "same-origin", body: text,
        headers: { "X-CSRF-Token": page.dataset.csrf, "Content-Type": "application/json" }
      }).then(function (r) { return r.json(); }).then(function (body) {
        show(body);
        page.dataset.saved = String(Date.now());
      });
    });
  }
  if (model) { render(); }
  page.dataset.ready = "true";
})();
