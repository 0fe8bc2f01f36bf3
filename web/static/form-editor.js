// The form editor: a task form (JSON Schema) edited as a list of fields — add, order, remove; each field's kind,
// label, help, required, bounds, pattern, date limits, options, default, and the conditions "required when field
// X is Y" (allOf/if/then) and "shown when field X is Y" (x-shownWhen) — previewed live by the same renderer
// handlers see, and saved into the draft. The JSON stays available as the 高级 view. The editor changes the parsed
// schema in place, so keywords it does not know are kept in their order; a form saved with no change is saved as
// the very text it was loaded from.
(function () {
  var page = document.getElementById("form-editor");
  if (!page) { return; }
  var T = JSON.parse(document.getElementById("form-editor-labels").textContent);
  var DIRECTORIES = JSON.parse(page.dataset.directories || "[]");
  var text = document.getElementById("schema-text");
  var preview = document.getElementById("preview");
  var visual = document.getElementById("visual-editor");
  var jsonView = document.getElementById("json-editor");
  var readonly = page.dataset.readonly === "true";
  var original = text.value;
  var schema = parse(original);
  var opened = {};                // keys of the fields whose details are open
  var timer = null;
  var notice = "";                // what a removal took along, said beside the list
  var keyErrors = {};             // field name -> why the name typed for it was refused (shown beside it)
  var TODAY = "today";
  var KINDS = ["text", "longtext", "number", "integer", "date", "datetime", "yesno", "choice", "multi", "file",
               "directory", "organization"];
  var TYPED = ["type", "format", "enum", "enumNames", "items", "uniqueItems", "x-widget", "x-directory",
               "x-organization", "minItems", "maxItems", "minLength", "maxLength", "minimum", "maximum",
               "exclusiveMinimum", "exclusiveMaximum", "pattern", "x-patternMessage", "x-notAfter", "x-notBefore",
               "default", "multipleOf"];
  var FILE_ITEMS = {"type": "object", "required": ["attachment_id", "filename"],
                    "properties": {"attachment_id": {"type": "integer"}, "filename": {"type": "string"},
                                   "size": {"type": "integer"}}};

  function parse(source) {
    try {
      var value = JSON.parse(source);
      return value && typeof value === "object" && !Array.isArray(value) ? value : null;
    } catch (e) { return null; }
  }

  function el(tag, attrs, kids) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") { node.textContent = attrs[k]; } else if (k === "on") {
        Object.keys(attrs.on).forEach(function (kind) { node.addEventListener(kind, attrs.on[kind]); });
      } else if (k in node && k !== "list") { node[k] = attrs[k]; } else { node.setAttribute(k, attrs[k]); }
    });
    (kids || []).forEach(function (kid) {
      if (kid) { node.appendChild(typeof kid === "string" ? document.createTextNode(kid) : kid); }
    });
    return node;
  }

  function labelled(caption, input, hint) {
    return el("label", {"class": "fe-prop"}, [el("span", {text: caption}), input,
                                              hint ? el("small", {"class": "help", text: hint}) : null]);
  }

  // ------------------------------------------------------------------ the JSON text, written from the schema

  function inline(value) {
    if (value === null || typeof value !== "object") { return JSON.stringify(value); }
    if (Array.isArray(value)) { return "[" + value.map(inline).join(", ") + "]"; }
    return "{" + Object.keys(value).map(function (k) { return JSON.stringify(k) + ": " + inline(value[k]); }).join(", ") + "}";
  }

  // The form, then its properties, one per line; what fits stays on its line (the shipped forms' layout).
  function format(value, indent) {
    var flat = inline(value);
    if (value === null || typeof value !== "object" || Object.keys(value).length === 0 ||
        ((indent.length >= 4 || Array.isArray(value)) && flat.length + indent.length <= 118)) { return flat; }
    var inner = indent + "  ";
    if (Array.isArray(value)) {
      return "[\n" + value.map(function (v) { return inner + format(v, inner); }).join(",\n") + "\n" + indent + "]";
    }
    return "{\n" + Object.keys(value).map(function (k) {
      return inner + JSON.stringify(k) + ": " + format(value[k], inner);
    }).join(",\n") + "\n" + indent + "}";
  }

  function serialize() {
    var before = parse(original);
    if (before && JSON.stringify(before) === JSON.stringify(schema)) { return original; }   // nothing changed
    return format(schema, "") + "\n";
  }

  function changed(rebuild) {
    text.value = serialize();
    page.dataset.edited = String(Date.now());
    if (rebuild) { render(); }
    schedule();
  }

  // ------------------------------------------------------------------ the fields of the schema

  function props() {
    if (!schema.properties || typeof schema.properties !== "object" || Array.isArray(schema.properties)) {
      schema.properties = {};
    }
    return schema.properties;
  }

  function keys() { return Object.keys(props()); }

  function isRequired(key) { return Array.isArray(schema.required) && schema.required.indexOf(key) >= 0; }

  function setRequired(key, on) {
    var list = Array.isArray(schema.required) ? schema.required : [];
    var at = list.indexOf(key);
    if (on && at < 0) { list.push(key); } else if (!on && at >= 0) { list.splice(at, 1); }
    schema.required = list;
  }

  function kindOf(p) {
    var items = p.items && typeof p.items === "object" ? p.items : {};
    if (p["x-widget"] === "files" || p["x-widget"] === "file") { return "file"; }
    if (p["x-standard"]) { return "other"; }
    if (p.type === "boolean") { return "yesno"; }
    if (p.type === "integer" || p.type === "number") { return p.type; }
    if (p.type === "array") { return Array.isArray(items.enum) ? "multi" : "other"; }
    if (p.type !== "string") { return "other"; }
    if (Array.isArray(p.enum)) { return "choice"; }
    if (p["x-directory"]) { return "directory"; }
    if (p["x-organization"]) { return "organization"; }
    if (p.format === "date") { return "date"; }
    if (p.format === "date-time") { return "datetime"; }
    if (p.format) { return "other"; }
    if (p["x-widget"] === "textarea" ||
        (p["x-widget"] === undefined && !p.pattern && !(typeof p.maxLength === "number" && p.maxLength <= 200))) {
      return "longtext";
    }
    return "text";
  }

  function setKind(p, kind) {
    TYPED.forEach(function (k) { delete p[k]; });
    var made = {
      text: {"type": "string", "maxLength": 200}, longtext: {"type": "string", "x-widget": "textarea"},
      number: {"type": "number"}, integer: {"type": "integer"}, date: {"type": "string", "format": "date"},
      datetime: {"type": "string", "format": "date-time"}, yesno: {"type": "boolean"},
      choice: {"type": "string", "enum": ["option_1"], "enumNames": [T.option + " 1"]},
      multi: {"type": "array", "uniqueItems": true,
              "items": {"type": "string", "enum": ["option_1"], "enumNames": [T.option + " 1"]}},
      file: {"type": "array", "x-widget": "files", "items": JSON.parse(JSON.stringify(FILE_ITEMS))},
      directory: {"type": "string", "x-directory": DIRECTORIES[0] || ""},
      organization: {"type": "string", "x-organization": true}
    }[kind];
    Object.keys(made).forEach(function (k) { p[k] = made[k]; });
  }

  // Rebuild the properties in a new order or with a key renamed, keeping each field's own object.
  function reorder(order, renamed) {
    var old = props(), fresh = {};
    order.forEach(function (k) { fresh[renamed && renamed[k] ? renamed[k] : k] = old[k]; });
    schema.properties = fresh;
  }

  function renameEverywhere(from, to) {
    function swapList(list) { if (Array.isArray(list)) { list.forEach(function (v, i) { if (v === from) { list[i] = to; } }); } }
    function swapKey(object) {
      if (object && typeof object === "object" && from in object) {
        var copy = {};
        Object.keys(object).forEach(function (k) { copy[k === from ? to : k] = object[k]; });
        Object.keys(object).forEach(function (k) { delete object[k]; });
        Object.keys(copy).forEach(function (k) { object[k] = copy[k]; });
      }
    }
    swapList(schema.required);
    (Array.isArray(schema.allOf) ? schema.allOf : []).forEach(function (rule) {
      ["if", "then", "else"].forEach(function (part) {
        if (rule && rule[part] && typeof rule[part] === "object") { swapList(rule[part].required); swapKey(rule[part].properties); }
      });
    });
    keys().forEach(function (k) { swapKey(props()[k]["x-shownWhen"]); });
    (Array.isArray(schema["x-workingDaysAfter"]) ? schema["x-workingDaysAfter"] : []).forEach(function (rule) {
      if (rule.field === from) { rule.field = to; }
      if (rule.after === from) { rule.after = to; }
    });
  }

  // ------------------------------------------------------------------ conditions

  // A rule of allOf the editor shows as "required when": {if: {properties: {X: {const: v}}, required: [X]},
  // then: {required: [field]}} (or X: {enum: [v, …]}). Every other rule is kept as it is (高级).
  function simpleRule(rule) {
    if (!rule || typeof rule !== "object" || Object.keys(rule).sort().join() !== "if,then") { return null; }
    var cond = rule["if"], then = rule.then;
    if (!cond || Object.keys(cond).sort().join() !== "properties,required" || !then ||
        Object.keys(then).join() !== "required" || !Array.isArray(then.required) || then.required.length !== 1) { return null; }
    var names = Object.keys(cond.properties || {});
    if (names.length !== 1 || !Array.isArray(cond.required) || cond.required.join() !== names[0]) { return null; }
    var test = cond.properties[names[0]];
    var how = test && typeof test === "object" ? Object.keys(test).join() : "";
    if (how !== "const" && !(how === "enum" && Array.isArray(test.enum))) { return null; }
    return {other: names[0], value: how === "const" ? test["const"] : test.enum, field: then.required[0]};
  }

  function rules() { return Array.isArray(schema.allOf) ? schema.allOf : []; }

  function requiredWhen(key) {
    var found = [];
    rules().forEach(function (rule, index) {
      var simple = simpleRule(rule);
      if (simple && simple.field === key) { simple.index = index; found.push(simple); }
    });
    return found;
  }

  function makeRule(other, value, field) {
    var test = Array.isArray(value) ? {"enum": value} : {"const": value};
    var props = {};
    props[other] = test;
    return {"if": {"properties": props, "required": [other]}, "then": {"required": [field]}};
  }

  function removeRule(index) {
    schema.allOf.splice(index, 1);
    if (!schema.allOf.length) { delete schema.allOf; }
  }

  function conditionFields(key) {         // what a condition may look at: the other single-valued fields
    return keys().filter(function (k) { return k !== key && ["multi", "file", "other"].indexOf(kindOf(props()[k])) < 0; });
  }

  function typed(other, raw) {
    var kind = kindOf(props()[other] || {});
    if (kind === "yesno") { return raw === "true"; }
    if ((kind === "number" || kind === "integer") && raw !== "" && !isNaN(Number(raw))) { return Number(raw); }
    return raw;
  }

  function valueInput(other, value, onChange) {
    var p = props()[other] || {}, kind = kindOf(p), input;
    if (kind === "choice" || kind === "yesno") {
      var options = kind === "yesno" ? [["true", T.yes], ["false", T.no]]
        : p.enum.map(function (v, i) { return [String(v), String((p.enumNames || p.enum)[i])]; });
      input = el("select", {disabled: readonly}, options.map(function (o) { return el("option", {value: o[0], text: o[1]}); }));
    } else {
      input = el("input", {type: "text", disabled: readonly});
    }
    input.value = value === undefined || value === null ? "" : String(value);
    input.setAttribute("aria-label", T.condition_value);
    input.className = "fe-cond-value";
    input.addEventListener("change", function () { onChange(typed(other, input.value)); });
    return input;
  }

  function firstValue(other) {
    var p = props()[other] || {}, kind = kindOf(p);
    if (kind === "choice") { return p.enum[0]; }
    if (kind === "yesno") { return true; }
    return "";
  }

  function fieldSelect(key, chosen, onChange) {
    var select = el("select", {disabled: readonly, "class": "fe-cond-field"}, conditionFields(key).map(function (k) {
      return el("option", {value: k, text: (props()[k].title || k) + " (" + k + ")"});
    }));
    select.setAttribute("aria-label", T.condition_field);
    select.value = chosen;
    select.addEventListener("change", function () { onChange(select.value); });
    return select;
  }

  function conditionRow(cls, key, other, value, onField, onValue, onRemove) {
    var values = Array.isArray(value) ? value : [value];
    var shown = values.length === 1 ? valueInput(other, values[0], onValue)
      : el("span", {"class": "fe-cond-value", text: values.join(T.or)});
    return el("div", {"class": "fe-cond " + cls}, [T.when, " ", fieldSelect(key, other, onField), " ", T.is, " ", shown, " ",
      readonly ? null : el("button", {type: "button", "class": "fe-cond-remove", text: T.remove, on: {click: onRemove}})]);
  }

  function conditions(key, p) {
    var box = el("div", {"class": "fe-conditions"});
    var candidates = conditionFields(key);
    box.appendChild(el("h4", {text: T.required_when}));
    requiredWhen(key).forEach(function (rule) {
      box.appendChild(conditionRow("fe-required-when", key, rule.other, rule.value,
        function (other) { schema.allOf[rule.index] = makeRule(other, firstValue(other), key); changed(true); },
        function (value) { schema.allOf[rule.index] = makeRule(rule.other, value, key); changed(false); },
        function () { removeRule(rule.index); changed(true); }));
    });
    if (!readonly && candidates.length) {
      box.appendChild(el("button", {type: "button", "class": "fe-add-required-when", text: T.add_required_when, on: {click: function () {
        if (!Array.isArray(schema.allOf)) { schema.allOf = []; }
        schema.allOf.push(makeRule(candidates[0], firstValue(candidates[0]), key));
        changed(true);
      }}}));
    }
    box.appendChild(el("h4", {text: T.shown_when}));
    var shown = p["x-shownWhen"] && typeof p["x-shownWhen"] === "object" ? p["x-shownWhen"] : null;
    Object.keys(shown || {}).forEach(function (other) {
      box.appendChild(conditionRow("fe-shown-when", key, other, shown[other],
        function (next) {
          var fresh = {};
          Object.keys(shown).forEach(function (k) { if (k === other) { fresh[next] = firstValue(next); } else { fresh[k] = shown[k]; } });
          p["x-shownWhen"] = fresh;
          changed(true);
        },
        function (value) { shown[other] = value; changed(false); },
        function () { delete shown[other]; if (!Object.keys(shown).length) { delete p["x-shownWhen"]; } changed(true); }));
    });
    var unused = candidates.filter(function (k) { return !shown || !(k in shown); });
    if (!readonly && unused.length) {
      box.appendChild(el("button", {type: "button", "class": "fe-add-shown-when", text: T.add_shown_when, on: {click: function () {
        if (!shown) { p["x-shownWhen"] = {}; }
        p["x-shownWhen"][unused[0]] = firstValue(unused[0]);
        changed(true);
      }}}));
    }
    return box;
  }

  // ------------------------------------------------------------------ one field's properties

  // An input bound to holder[key]: emptied, the keyword is removed; numbers stored as numbers.
  function bound(holder, key, caption, kind, hint) {
    var input = el(kind === "textarea" ? "textarea" : "input", {disabled: readonly});
    if (kind !== "textarea") { input.type = kind === "number" ? "number" : kind === "date" ? "date" : "text"; }
    if (kind === "number") { input.step = "any"; }
    input.dataset.prop = key;
    var value = holder[key];
    input.value = value === undefined || value === null ? "" : String(value);
    input.addEventListener("input", function () {
      if (input.value === "") { delete holder[key]; }
      else if (kind === "number") { if (!isNaN(Number(input.value))) { holder[key] = Number(input.value); } }
      else { holder[key] = input.value; }
      changed(false);
    });
    return labelled(caption, input, hint);
  }

  function check(holder, key, caption, on, off) {
    var box = el("input", {type: "checkbox", disabled: readonly, checked: holder[key] !== undefined && holder[key] !== false});
    box.dataset.prop = key;
    box.addEventListener("change", function () { if (box.checked) { on(); } else { off(); } changed(false); });
    return el("label", {"class": "fe-check"}, [box, " ", caption]);
  }

  function options(holder) {
    var box = el("div", {"class": "fe-options"}, [el("h4", {text: T.options})]);
    holder.enum.forEach(function (value, i) {
      var code = el("input", {type: "text", value: String(value), disabled: readonly});
      code.setAttribute("aria-label", T.option_value);
      var name = el("input", {type: "text", value: String((holder.enumNames || holder.enum)[i]), disabled: readonly});
      name.setAttribute("aria-label", T.option_label);
      code.addEventListener("input", function () { holder.enum[i] = code.value; changed(false); });
      name.addEventListener("input", function () {
        if (!Array.isArray(holder.enumNames)) { holder.enumNames = holder.enum.map(String); }
        holder.enumNames[i] = name.value;
        changed(false);
      });
      box.appendChild(el("div", {"class": "fe-option"}, [code, " ", name, " ", readonly ? null : el("button", {
        type: "button", text: T.remove, on: {click: function () {
          holder.enum.splice(i, 1);
          if (Array.isArray(holder.enumNames)) { holder.enumNames.splice(i, 1); }
          changed(true);
        }}})]));
    });
    if (!readonly) {
      box.appendChild(el("button", {type: "button", "class": "fe-add-option", text: T.add_option, on: {click: function () {
        var n = holder.enum.length + 1;
        holder.enum.push("option_" + n);
        if (Array.isArray(holder.enumNames)) { holder.enumNames.push(T.option + " " + n); }
        changed(true);
      }}}));
    }
    return box;
  }

  function defaultInput(p, kind) {
    if (["file", "multi", "other"].indexOf(kind) >= 0) { return null; }
    if (kind === "choice" || kind === "yesno") {
      var choices = kind === "yesno" ? [["true", T.yes], ["false", T.no]]
        : p.enum.map(function (v, i) { return [String(v), String((p.enumNames || p.enum)[i])]; });
      var select = el("select", {disabled: readonly}, [el("option", {value: "", text: T.none})].concat(
        choices.map(function (o) { return el("option", {value: o[0], text: o[1]}); })));
      select.dataset.prop = "default";
      select.value = p["default"] === undefined ? "" : String(p["default"]);
      select.addEventListener("change", function () {
        if (select.value === "") { delete p["default"]; }
        else { p["default"] = kind === "yesno" ? select.value === "true" : p.enum[choices.map(function (o) { return o[0]; }).indexOf(select.value)]; }
        changed(false);
      });
      return labelled(T["default"], select);
    }
    return bound(p, "default", T["default"], kind === "number" || kind === "integer" ? "number" : kind === "date" ? "date" : "text");
  }

  function keyInput(key) {
    var input = el("input", {type: "text", value: key, disabled: readonly, "class": "fe-key"});
    input.dataset.prop = "key";
    var error = el("span", {"class": "field-error", role: "alert"});
    input.addEventListener("change", function () {
      var next = input.value.trim();
      error.textContent = "";
      delete keyErrors[key];
      if (next === key) { return; }
      var why = next === "" ? T.key_empty : !/^[A-Za-z_][A-Za-z0-9_]*$/.test(next) ? T.key_bad
        : next in props() ? T.key_taken : "";
      if (why) { error.textContent = keyErrors[key] = why; return; }
      var renamed = {};
      renamed[key] = next;
      reorder(keys(), renamed);
      renameEverywhere(key, next);
      if (opened[key]) { delete opened[key]; opened[next] = true; }
      changed(true);
    });
    return labelled(T.key, el("span", {}, [input, error]), T.key_hint);
  }

  function details(key, p) {
    var kind = kindOf(p);
    var box = el("div", {"class": "fe-details"});
    box.appendChild(keyInput(key));
    var kindSelect = el("select", {disabled: readonly || kind === "other"}, (kind === "other" ? ["other"] : KINDS).map(function (k) {
      return el("option", {value: k, text: T["kind_" + k]});
    }));
    kindSelect.dataset.prop = "kind";
    kindSelect.value = kind;
    kindSelect.addEventListener("change", function () { setKind(p, kindSelect.value); changed(true); });
    box.appendChild(labelled(T.kind, kindSelect, kind === "other" ? T.kind_other_hint : ""));
    var title = bound(p, "title", T.title, "text");
    title.querySelector("input").addEventListener("input", function () {      // the list shows the label as typed
      var shown = visual.querySelector('.fe-field[data-key="' + CSS.escape(key) + '"] .fe-open');
      if (shown) { shown.textContent = p.title || key; }
    });
    box.appendChild(title);
    box.appendChild(bound(p, "description", T.description, "textarea"));
    box.appendChild(check({required: isRequired(key) || undefined}, "required", T.required,
                          function () { setRequired(key, true); }, function () { setRequired(key, false); }));
    if (kind === "directory") {
      var directory = bound(p, "x-directory", T.directory, "text");
      var list = el("datalist", {id: "fe-directories"}, DIRECTORIES.map(function (d) { return el("option", {value: d}); }));
      directory.querySelector("input").setAttribute("list", "fe-directories");
      box.appendChild(directory);
      box.appendChild(list);
    }
    if (kind === "choice") { box.appendChild(options(p)); }
    if (kind === "multi") { box.appendChild(options(p.items)); }
    if (kind === "text" || kind === "longtext") {
      box.appendChild(bound(p, "minLength", T.min_length, "number"));
      box.appendChild(bound(p, "maxLength", T.max_length, "number"));
      box.appendChild(bound(p, "pattern", T.pattern, "text", T.pattern_hint));
      box.appendChild(bound(p, "x-patternMessage", T.pattern_message, "text"));
    }
    if (kind === "number" || kind === "integer") {
      box.appendChild(bound(p, "minimum", T.minimum, "number"));
      box.appendChild(bound(p, "maximum", T.maximum, "number"));
    }
    if (kind === "multi" || kind === "file") {
      box.appendChild(bound(p, "minItems", T.min_items, "number"));
      box.appendChild(bound(p, "maxItems", T.max_items, "number"));
    }
    if (kind === "date" || kind === "datetime") {
      box.appendChild(check(p, "x-notAfter", T.not_after_today, function () { p["x-notAfter"] = TODAY; },
                            function () { delete p["x-notAfter"]; }));
      box.appendChild(check(p, "x-notBefore", T.not_before_today, function () { p["x-notBefore"] = TODAY; },
                            function () { delete p["x-notBefore"]; }));
    }
    var fallback = defaultInput(p, kind);
    if (fallback) { box.appendChild(fallback); }
    box.appendChild(check(p, "x-prefill", T.prefill, function () { p["x-prefill"] = true; }, function () { delete p["x-prefill"]; }));
    box.appendChild(check(p, "x-fromCase", T.from_case, function () { p["x-fromCase"] = true; p.readOnly = true; },
                          function () { delete p["x-fromCase"]; delete p.readOnly; }));
    box.appendChild(conditions(key, p));
    return box;
  }

  // ------------------------------------------------------------------ the list

  function move(key, step) {
    var order = keys(), at = order.indexOf(key), to = at + step;
    if (to < 0 || to >= order.length) { return; }
    order.splice(at, 1);
    order.splice(to, 0, key);
    reorder(order);
    changed(true);
    var row = visual.querySelector('.fe-field[data-key="' + CSS.escape(key) + '"] .fe-' + (step < 0 ? "up" : "down"));
    if (row && !row.disabled) { row.focus(); }
  }

  // A field removed takes along what names it, so no rule is left pointing at nothing: a rule of allOf whose
  // condition (if) looks at it is removed whole; where only its then/else names it, the field is struck from
  // their lists and maps (a part left empty goes, and a rule left with neither goes); a shown-when on it and a
  // working-days rule naming it go too. What went is said beside the list.
  function removeField(key) {
    delete props()[key];
    setRequired(key, false);
    var gone = 0;
    for (var i = rules().length - 1; i >= 0; i--) {
      var struck = forget(schema.allOf[i], key);
      if (struck) { gone += 1; }
      if (struck === "whole") { removeRule(i); }
    }
    keys().forEach(function (k) {
      var shown = props()[k]["x-shownWhen"];
      if (shown && typeof shown === "object" && key in shown) {
        delete shown[key];
        gone += 1;
        if (!Object.keys(shown).length) { delete props()[k]["x-shownWhen"]; }
      }
    });
    var days = schema["x-workingDaysAfter"];
    if (Array.isArray(days)) {
      for (var j = days.length - 1; j >= 0; j--) {
        if (days[j] && (days[j].field === key || days[j].after === key)) { days.splice(j, 1); gone += 1; }
      }
      if (!days.length) { delete schema["x-workingDaysAfter"]; }
    }
    delete opened[key];
    notice = gone ? T.removed_rules.replace("{field}", key).replace("{count}", String(gone)) : "";
    changed(true);
  }

  // Strike `key` from a rule of allOf: "whole" when the rule is to go (its condition names the field, or nothing
  // is left of it), "part" when the field was struck from its then/else, "" when the rule does not name it.
  function forget(rule, key) {
    if (!rule || typeof rule !== "object") { return ""; }
    if (names(rule["if"], key)) { return "whole"; }
    var touched = false;
    ["then", "else"].forEach(function (part) {
      var body = rule[part];
      if (!names(body, key)) { return; }
      touched = true;
      if (Array.isArray(body.required)) {
        body.required = body.required.filter(function (k) { return k !== key; });
        if (!body.required.length) { delete body.required; }
      }
      if (body.properties && typeof body.properties === "object") {
        delete body.properties[key];
        if (!Object.keys(body.properties).length) { delete body.properties; }
      }
      if (!Object.keys(body).length) { delete rule[part]; }
    });
    return !touched ? "" : !("then" in rule) && !("else" in rule) ? "whole" : "part";
  }

  function names(part, key) {     // whether a rule's if/then/else names the field, in its required or properties
    return !!part && typeof part === "object" && ((Array.isArray(part.required) && part.required.indexOf(key) >= 0) ||
      (!!part.properties && typeof part.properties === "object" && key in part.properties));
  }

  function addField() {
    var n = keys().length + 1;
    while (("field_" + n) in props()) { n += 1; }
    var key = "field_" + n;
    props()[key] = {"type": "string", "title": T.new_field + " " + n, "maxLength": 200};
    opened[key] = true;
    changed(true);
    var input = visual.querySelector('.fe-field[data-key="' + key + '"] input.fe-key');
    if (input) { input.focus(); input.select(); }
  }

  function action(cls, sign, name, disabled, click) {
    var button = el("button", {type: "button", "class": cls, text: sign, title: name, disabled: disabled, on: {click: click}});
    button.setAttribute("aria-label", name);
    return button;
  }

  function render() {
    if (!schema) { return; }
    keyErrors = {};                 // the names are drawn again from the schema
    visual.textContent = "";
    var head = el("div", {"class": "fe-form"});
    head.appendChild(bound(schema, "title", T.form_title, "text"));
    head.appendChild(bound(schema, "description", T.form_description, "textarea"));
    visual.appendChild(head);
    var list = el("ol", {id: "field-list", "class": "fe-fields"});
    var order = keys();
    order.forEach(function (key, index) {
      var p = props()[key];
      if (!p || typeof p !== "object") { return; }
      var kind = kindOf(p);
      var marks = [];
      if (isRequired(key)) { marks.push(T.required); }
      if (requiredWhen(key).length) { marks.push(T.mark_required_when); }
      if (p["x-shownWhen"]) { marks.push(T.mark_shown_when); }
      var summary = el("div", {"class": "fe-summary"}, [
        el("div", {}, [
          el("button", {type: "button", "class": "fe-open", "aria-expanded": opened[key] ? "true" : "false",
                        text: (p.title || key), on: {click: function () { opened[key] = !opened[key]; render(); }}}),
          " ", el("code", {text: key}), " ",
          el("span", {"class": "muted", text: T["kind_" + kind] + (marks.length ? " · " + marks.join(" · ") : "")})]),
        readonly ? null : el("span", {"class": "fe-actions"}, [
          action("fe-up", "↑", T.up, index === 0, function () { move(key, -1); }),
          action("fe-down", "↓", T.down, index === order.length - 1, function () { move(key, 1); }),
          action("fe-remove", "✕", T.remove, false, function () { removeField(key); })])
      ]);
      var item = el("li", {"class": "fe-field"}, [summary, opened[key] ? details(key, p) : null]);
      item.dataset.key = key;
      list.appendChild(item);
    });
    visual.appendChild(list);
    if (notice) { visual.appendChild(el("p", {"class": "help", id: "editor-notice", role: "status", text: notice})); }
    if (!readonly) { visual.appendChild(el("button", {type: "button", id: "add-field", text: T.add_field, on: {click: addField}})); }
    var others = rules().filter(function (r) { return !simpleRule(r); }).length;
    if (others) { visual.appendChild(el("p", {"class": "help", id: "other-rules", text: T.other_rules.replace("{count}", String(others))})); }
  }

  // ------------------------------------------------------------------ views, preview, save

  var showVisual = document.getElementById("show-visual");
  var showJson = document.getElementById("show-json");
  var viewError = document.getElementById("view-error");

  function view(which) {
    viewError.textContent = "";
    if (which === "visual") {
      var parsed = parse(text.value);
      if (!parsed) { viewError.textContent = T.json_bad; return; }
      schema = parsed;
      render();
    }
    visual.hidden = which !== "visual";
    jsonView.hidden = which === "visual";
    showVisual.setAttribute("aria-pressed", String(which === "visual"));
    showJson.setAttribute("aria-pressed", String(which !== "visual"));
    page.dataset.view = which;
  }

  var asked = 0;                  // previews asked for: an answer to an older one is dropped

  function refresh() {
    var mine = ++asked, shows = page.dataset.edited || "";       // the edit this preview draws
    fetch(page.dataset.preview, {
      method: "POST", credentials: "same-origin", body: text.value,
      headers: { "X-CSRF-Token": page.dataset.csrf, "Content-Type": "application/json" }
    }).then(function (r) { return r.text(); }).then(function (html) {
      if (mine !== asked) { return; }
      preview.innerHTML = html;
      var form = preview.querySelector("form");
      if (form) { form.dispatchEvent(new Event("change", {bubbles: true})); }     // x-shownWhen (lawflow.js)
      page.dataset.previewed = shows;
    });
  }

  function schedule() { clearTimeout(timer); timer = setTimeout(refresh, 300); }

  function matches(pattern, value) {
    try { return new RegExp(pattern).test(value); } catch (e) { return true; }   // a bad pattern: named at save
  }

  // The preview checks a field's pattern as the handler's form will: a value that does not match gets the
  // field's x-patternMessage beside it when it is left (and the message goes as soon as the value matches).
  function checkPattern(event, leaving) {
    var field = event.target.closest ? event.target.closest("[data-field]") : null;
    var p = field ? (props()[field.dataset.field] || {}) : {};
    if (!field || typeof p.pattern !== "string" || !("value" in event.target)) { return; }
    var wrong = event.target.value !== "" && !matches(p.pattern, event.target.value);
    var error = field.querySelector(".fe-pattern-error");
    if (!wrong && error) { error.remove(); }
    if (wrong && leaving) {
      if (!error) { error = field.appendChild(el("div", {"class": "field-error fe-pattern-error", role: "alert"})); }
      error.textContent = typeof p["x-patternMessage"] === "string" ? p["x-patternMessage"] : T.pattern_mismatch;
    }
  }

  preview.addEventListener("change", function (event) { checkPattern(event, true); });
  preview.addEventListener("input", function (event) { checkPattern(event, false); });

  // What the form may not be saved with, each on its field: a name refused, bounds crossed. (A pattern is
  // checked by the save itself, by RE2 as the engine runs it: a browser's RegExp reads some patterns otherwise.)
  var BOUNDS = [["minimum", "maximum", "minimum", "maximum"],                  // keywords, then their captions
                ["exclusiveMinimum", "exclusiveMaximum", "minimum", "maximum"],
                ["minLength", "maxLength", "min_length", "max_length"], ["minItems", "maxItems", "min_items", "max_items"]];

  function faults(form) {
    var found = [];
    Object.keys(keyErrors).forEach(function (k) { found.push([k, keyErrors[k]]); });
    var fields = form && form.properties && typeof form.properties === "object" ? form.properties : {};
    Object.keys(fields).forEach(function (k) {
      var p = fields[k];
      if (!p || typeof p !== "object") { return; }
      BOUNDS.forEach(function (b) {
        if (typeof p[b[0]] === "number" && typeof p[b[1]] === "number" && p[b[0]] > p[b[1]]) {
          found.push([k, T.bounds_crossed.replace("{low}", T[b[2]]).replace("{high}", T[b[3]])]);
        }
      });
    });
    return found.map(function (f) {
      var p = fields[f[0]] || {};
      return {key: f[0], message: fill(T.field_fault, p.title ? p.title + " (" + f[0] + ")" : f[0], f[1])};
    });
  }

  function fill(template, field, problem) {     // a function as replacement: a "$'" in a message stays as it is
    return template.replace("{field}", function () { return field; })
                   .replace("{problem}", function () { return problem; });
  }

  // A problem the server found in the form, named on its field when its element is one (properties/<name>/…).
  function locatedFault(form, error) {
    var parts = typeof error.element === "string" ? error.element.split("/") : [];
    var fields = form && form.properties && typeof form.properties === "object" ? form.properties : {};
    var key = parts[0] === "properties" && parts[1] in fields ? parts[1] : "";
    var p = key ? fields[key] || {} : {};
    var where = key ? (p.title ? p.title + " (" + key + ")" : key) : error.element;
    return {key: key, message: where ? fill(T.field_fault, where, error.message) : error.message};
  }

  function showFaults(found) {
    visual.querySelectorAll(".fe-problem").forEach(function (node) { node.remove(); });
    found.forEach(function (f) {
      var row = visual.querySelector('.fe-field[data-key="' + CSS.escape(f.key) + '"] .fe-summary');
      if (row) { row.appendChild(el("div", {"class": "field-error fe-problem", role: "alert", text: f.message})); }
    });
  }

  text.addEventListener("input", function () {
    var parsed = parse(text.value);
    if (parsed) { schema = parsed; }
    schedule();
  });
  showVisual.addEventListener("click", function () { view("visual"); });
  showJson.addEventListener("click", function () { view("json"); });
  var button = document.getElementById("save-form");
  if (button) {
    button.addEventListener("click", function () {
      var result = document.getElementById("save-result");
      var body = text.value;
      var found = faults(parse(body));
      showFaults(found);
      if (found.length) {
        result.textContent = T.not_saved + found.map(function (f) { return f.message; }).join("；");
        page.dataset.refused = String(Date.now());
        return;
      }
      fetch(page.dataset.save + "?refuse=own-problems", {
        method: "PUT", credentials: "same-origin", body: body,
        headers: { "X-CSRF-Token": page.dataset.csrf, "Content-Type": "application/json" }
      }).then(function (r) { return r.json(); }).then(function (answer) {
        if (!answer.saved) {
          var located = (answer.errors || []).map(function (e) { return locatedFault(parse(body), e); });
          showFaults(located.filter(function (f) { return f.key; }));
          result.textContent = T.not_saved +
            (answer.errors ? located.map(function (f) { return f.message; }).join("；") : answer.detail);
          page.dataset.refused = String(Date.now());
          return;
        }
        notice = "";
        var said = document.getElementById("editor-notice");
        if (said) { said.remove(); }
        original = body;
        result.textContent = answer.problems.length ? T.saved_problems.replace("{count}", String(answer.problems.length)) +
          answer.problems.map(function (p) { return p.file + (p.element ? " [" + p.element + "]" : "") + " " + p.message; }).join("；")
          : T.saved_ok;
        page.dataset.saved = String(Date.now());
      });
    });
  }
  view(schema ? "visual" : "json");
  page.dataset.ready = "true";
  refresh();
})();
