// The decision-table editor of a draft's DMN file (policy/dmn_editor.html): dmn-js opens the draft's XML (the
// decision table view; the other views of the file as tabs), in Chinese unless the page is English; 保存 sends the XML
// through the draft's save endpoint (CSRF header) and shows its answer with the shared save-result helper, each
// problem of this file also marked on the cell, column, rule or table its element id names.
import DmnModeler from "dmn-js/lib/Modeler";
import "dmn-js/dist/assets/diagram-js.css";
import "dmn-js/dist/assets/dmn-js-shared.css";
import "dmn-js/dist/assets/dmn-js-drd.css";
import "dmn-js/dist/assets/dmn-js-decision-table.css";
import "dmn-js/dist/assets/dmn-js-decision-table-controls.css";
import "dmn-js/dist/assets/dmn-js-literal-expression.css";
import "dmn-js/dist/assets/dmn-js-boxed-expression.css";
import "dmn-js/dist/assets/dmn-js-boxed-expression-controls.css";
import "dmn-js/dist/assets/dmn-font/css/dmn-embedded.css";
import zh from "./dmn/zh.js";

function translateModule(dictionary) {
  function translate(template, replacements) {
    const text = dictionary[template] || template;
    return text.replace(/{([^}]+)}/g, (whole, key) => (replacements && key in replacements ? replacements[key] : whole));
  }
  return { translate: ["value", translate] };
}

function start(page) {
  const T = JSON.parse(document.getElementById("dmn-labels").textContent);
  const chinese = document.documentElement.lang !== "en";
  // Each view gets the translation itself: dmn-js replaces (not merges) `common.additionalModules` per view.
  const translated = { additionalModules: chinese ? [translateModule(zh)] : [] };
  const modeler = new DmnModeler({
    container: document.getElementById("dmn-canvas"),
    drd: translated, decisionTable: translated, literalExpression: translated, boxedExpression: translated,
  });
  const tabs = document.getElementById("dmn-views");
  const marks = document.createElement("style");
  document.head.appendChild(marks);

  function viewName(view) {
    if (view.type === "drd") return T.drd;
    return (view.element.name || view.element.id) + (view.type === "decisionTable" ? "" : ` (${T.literal})`);
  }

  let hasDiagram = false;        // a file without DMNDI has no diagram to show: its DRD view would be empty

  function showTabs() {
    const views = modeler.getViews().filter((view) => hasDiagram || view.type !== "drd");
    const active = modeler.getActiveView();
    tabs.textContent = "";
    tabs.hidden = views.length < 2;
    views.forEach((view) => {
      const tab = document.createElement("button");
      tab.type = "button";
      tab.textContent = viewName(view);
      tab.className = "dmn-view" + (active && view.element === active.element ? " active" : "");
      tab.setAttribute("aria-pressed", String(active && view.element === active.element));
      tab.addEventListener("click", () => modeler.open(view));
      tabs.appendChild(tab);
    });
  }
  modeler.on("views.changed", showTabs);

  // Problems of this file on their cells: a style rule per element id survives every re-render of the table.
  // A problem of a whole table (its hit policy) is marked on the hit policy.
  function selector(id) {
    const tables = modeler.getViews().map((view) => view.element.decisionLogic && view.element.decisionLogic.id);
    if (tables.includes(id)) return "#dmn-canvas .hit-policy";
    const name = CSS.escape(id);
    return `#dmn-canvas [data-element-id="${name}"], #dmn-canvas [data-col-id="${name}"], ` +
      `#dmn-canvas [data-row-id="${name}"]`;
  }

  function mark(problems) {
    const ids = problems.filter((p) => p.file === page.dataset.path && p.element).map((p) => p.element);
    marks.textContent = ids.map((id) =>
      selector(id) + " { background: #fdecea !important; outline: 2px solid #c0392b; outline-offset: -2px; }").join("\n");
    page.dataset.problemCells = String(ids.length);
    // Each listed problem of this file brings its cell into view when clicked.
    document.querySelectorAll("#save-problems li").forEach((item, i) => {
      const problem = problems[i];
      if (!problem || problem.file !== page.dataset.path || !problem.element) return;
      item.classList.add("locatable");
      item.addEventListener("click", () => {
        const target = document.querySelector(selector(problem.element));
        if (target) target.scrollIntoView({ block: "center", inline: "center" });
      });
    });
  }

  fetch(page.dataset.raw, { credentials: "same-origin" })
    .then((response) => response.text())
    .then((xml) => {
      hasDiagram = /<([\w-]+:)?DMNDiagram[\s>]/.test(xml);
      page.classList.toggle("no-drd", !hasDiagram);
      return modeler.importXML(xml);
    })
    .then(() => { showTabs(); page.dataset.ready = "true"; })
    .catch((error) => {
      document.getElementById("save-result").textContent = T.cannot_open + (error && error.message ? error.message : error);
      page.dataset.ready = "failed";
    });

  const button = document.getElementById("save-dmn");
  if (!button) return;
  button.addEventListener("click", () => {
    button.disabled = true;
    modeler.saveXML({ format: true })
      .then(({ xml }) => fetch(page.dataset.save, {
        method: "PUT", credentials: "same-origin", body: xml,
        headers: { "X-CSRF-Token": page.dataset.csrf, "Content-Type": "application/xml" },
      }))
      .then((response) => response.json())
      .then((body) => {
        if (window.lawflowShowSaved(body, T)) mark(body.problems);
        page.dataset.saved = String(Date.now());
      })
      .catch((error) => { document.getElementById("save-result").textContent = T.not_saved + error; })
      .finally(() => { button.disabled = false; });
  });
}

const page = document.getElementById("dmn-editor");
if (page) start(page);
