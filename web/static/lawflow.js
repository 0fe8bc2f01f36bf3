// Repeating groups and lists in task forms: add and remove rows without a round trip.
document.addEventListener("click", function (event) {
  var add = event.target.closest("[data-add-row]");
  if (add) {
    var box = document.getElementById(add.dataset.addRow);
    var template = box.querySelector("template");
    var index = parseInt(box.dataset.next || "0", 10);
    box.dataset.next = String(index + 1);
    var html = template.innerHTML.split("__index__").join(String(index));
    template.insertAdjacentHTML("beforebegin", html);
    event.preventDefault();
  }
  var remove = event.target.closest("[data-remove-row]");
  if (remove) {
    remove.closest(".row").remove();
    event.preventDefault();
  }
});

// A button marked data-print prints the page (the print style leaves out the navigation and the buttons).
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    window.print();
    event.preventDefault();
  }
});

// A form marked data-no-submit is never sent (the form editor's preview: Enter in a field stays on the page).
document.addEventListener("submit", function (event) {
  if (event.target.closest("[data-no-submit]")) event.preventDefault();
});

// On a narrow screen the navigation folds behind the 菜单 button.
document.addEventListener("click", function (event) {
  var toggle = event.target.closest("#nav-toggle");
  if (toggle) {
    var open = toggle.closest("header").classList.toggle("nav-open");
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  }
});

// Tables stack into cards on a narrow screen (screens.css): each cell is led by its column's title.
document.querySelectorAll("main table:not(.wide):not(.sheet)").forEach(function (table) {
  var head = table.querySelector("tr");
  if (!head || !head.querySelector("th")) return;
  var titles = Array.prototype.map.call(head.children, function (cell) { return cell.textContent.trim(); });
  table.querySelectorAll("tr").forEach(function (row) {
    if (row === head) return;
    Array.prototype.forEach.call(row.children, function (cell, i) {
      if (cell.tagName === "TD" && !cell.hasAttribute("data-label") && titles[i]) cell.setAttribute("data-label", titles[i]);
    });
  });
});
// A selection toolbar (_batch_bar.html): "select all" ticks every row box of its form, and the count follows.
function batchCount(formId) {
  var label = document.querySelector("#" + formId + " #batch-count");
  if (!label) return;
  var n = document.querySelectorAll('input.batch-pick[form="' + formId + '"]:checked').length;
  label.textContent = n ? label.dataset.some.replace("{n}", String(n)) : label.dataset.none;
}
document.addEventListener("change", function (event) {
  var all = event.target.closest("[data-select-all]");
  if (all) {
    document.querySelectorAll('input.batch-pick[form="' + all.dataset.selectAll + '"]').forEach(function (box) {
      box.checked = all.checked;
    });
    batchCount(all.dataset.selectAll);
  } else if (event.target.matches("input.batch-pick")) {
    batchCount(event.target.getAttribute("form"));
  }
});
// Fields shown only while other fields of the form have a value (`x-shownWhen`, web/formfields.py): a hidden
// field's inputs are disabled, so nothing is sent for it (the server drops it too, and does not require it).
function refreshShownWhen(form) {
  form.querySelectorAll("[data-shown-when]").forEach(function (field) {
    var rule = JSON.parse(field.dataset.shownWhen), shown = true;
    Object.keys(rule).forEach(function (name) {
      var inputs = form.querySelectorAll('[name="' + CSS.escape(name) + '"]');
      if (!inputs.length) return;                 // shown read-only: nothing to follow
      var wanted = [].concat(rule[name]).map(String), values = [];
      inputs.forEach(function (input) {
        if ((input.type === "radio" || input.type === "checkbox") ? input.checked : input.value !== "") values.push(input.value);
      });
      if (!values.some(function (v) { return wanted.indexOf(v) >= 0; })) shown = false;
    });
    field.style.display = shown ? "" : "none";
    field.querySelectorAll("input, select, textarea").forEach(function (input) { input.disabled = !shown; });
  });
}
document.querySelectorAll("form").forEach(function (form) { if (form.querySelector("[data-shown-when]")) refreshShownWhen(form); });
["change", "input"].forEach(function (kind) {
  document.addEventListener(kind, function (event) {
    var form = event.target.closest && event.target.closest("form");
    if (form && form.querySelector("[data-shown-when]")) refreshShownWhen(form);
  });
});
