// The BPMN modeler for policy staff (the draft's diagram page, templates/policy/modeler.html): bpmn-js with the
// bpmn-js properties panel, lawflow's own groups for what lawflow reads (modeler/provider.js), the interface in
// Chinese (modeler/translate.js), search (Ctrl+F), a readable zoom, and validation problems shown on their elements
// and in the panel.
import "bpmn-js/dist/assets/diagram-js.css";
import "bpmn-js/dist/assets/bpmn-js.css";
import "bpmn-js/dist/assets/bpmn-font/css/bpmn-embedded.css";
import "@bpmn-io/properties-panel/dist/assets/properties-panel.css";
import BpmnModeler from "bpmn-js/lib/Modeler";
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from "bpmn-js-properties-panel";
import { debounce } from "min-dash";
import LawflowProviderModule from "./modeler/provider.js";
import TranslateModule, { isChinese } from "./modeler/translate.js";

const MIN_ZOOM = 0.8;                       // below this a task's 12 px name is drawn under 10 px high: too small to read
const LOOP_REFERENCES = ["loopDataInputRef", "loopDataOutputRef"];

// Debounced panel inputs that saving can flush, so a value typed just before 保存并校验 is in what is saved.
function FlushableDebounce() {
  const pending = new Set();
  const make = (fn) => {
    const debounced = debounce((...args) => { pending.delete(debounced); fn(...args); }, 300);
    const wrapped = (...args) => { pending.add(debounced); debounced(...args); };
    wrapped.flush = () => debounced.flush();
    return wrapped;
  };
  make.flush = () => { [...pending].forEach((d) => d.flush()); pending.clear(); };
  return make;
}

function text(zh, en) { return isChinese() ? zh : en; }

function boot(page, descriptor) {
  const choices = JSON.parse(page.dataset.choices);
  choices.readonly = page.dataset.readonly === "true";
  const problems = new Map();               // element id -> messages of the last save
  choices.problemsOf = (id) => problems.get(id) || [];
  const modeler = new BpmnModeler({
    container: "#canvas",
    propertiesPanel: { parent: "#properties" },
    additionalModules: [
      BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, LawflowProviderModule, TranslateModule,
      { lawflowChoices: ["value", choices], debounceInput: ["factory", FlushableDebounce] },
    ],
    moddleExtensions: { spiffworkflow: descriptor },
  });
  const canvas = modeler.get("canvas");
  const registry = modeler.get("elementRegistry");
  const overlays = modeler.get("overlays");
  const eventBus = modeler.get("eventBus");
  const result = document.getElementById("save-result");

  function showProblems(found) {
    const list = document.getElementById("problems");
    list.innerHTML = "";
    overlays.remove({ type: "problem" });
    problems.forEach((messages, id) => { if (registry.get(id)) { canvas.removeMarker(id, "has-problem"); } });
    problems.clear();
    found.forEach((p) => {
      const item = document.createElement("li");
      item.dataset.element = p.element || "";
      item.textContent = p.file + (p.line ? ":" + p.line : "") + (p.element ? " [" + p.element + "]" : "") + "：" + p.message;
      list.appendChild(item);
      if (p.file === page.dataset.path && p.element && registry.get(p.element)) {
        problems.set(p.element, [...(problems.get(p.element) || []), p.message]);
        canvas.addMarker(p.element, "has-problem");
        overlays.add(p.element, "problem", { position: { top: -10, right: 10 }, html: '<span class="problem-badge">!</span>' });
        item.addEventListener("click", () => focus(p.element));
      }
    });
    eventBus.fire("propertiesPanel.providersChanged");     // re-render the panel with its problems group
  }

  function focus(id) {
    const element = registry.get(id);
    if (!element) { return; }
    modeler.get("selection").select(element);
    if (!element.waypoints) {
      const box = canvas.viewbox();
      canvas.zoom(Math.max(box.scale, 1), "auto");
    }
    canvas.scrollToElement(element, { top: 80, bottom: 80, left: 80, right: 80 });
  }

  function readableZoom() {
    canvas.zoom("fit-viewport");
    if (canvas.zoom() < MIN_ZOOM) {
      // the whole diagram would be too small to read: show its start at a readable scale instead
      const inner = canvas.viewbox().inner;
      canvas.zoom(MIN_ZOOM, { x: inner.x, y: inner.y });
      const box = canvas.viewbox();
      const palette = 120 / MIN_ZOOM;          // leave the palette's width free on the left
      canvas.viewbox({ x: inner.x - palette, y: inner.y - 20, width: box.width, height: box.height });
    }
  }

  function save() {
    modeler.get("debounceInput").flush();
    result.textContent = text("保存中…", "Saving…");
    modeler.saveXML({ format: true }).then((saved) => fetch(page.dataset.save, {
      method: "PUT", credentials: "same-origin", body: saved.xml,
      headers: { "X-CSRF-Token": page.dataset.csrf, "Content-Type": "application/xml" },
    })).then((response) => response.json()).then((body) => {
      if (!body.saved) {
        result.textContent = text("未保存：", "Not saved: ") +
          (body.errors ? body.errors.map((e) => e.message).join(text("；", "; ")) : body.detail);
        return;
      }
      showProblems(body.problems);
      result.textContent = body.problems.length
        ? text("已保存，草稿有 " + body.problems.length + " 个问题", "Saved; the draft has " + body.problems.length + " problem(s)")
        : text("已保存，校验通过", "Saved; validation passed");
      page.dataset.saved = String(Date.now());
    }).catch((error) => { result.textContent = text("保存失败：", "Saving failed: ") + error.message; });
  }

  return fetch(page.dataset.src, { credentials: "same-origin" }).then((r) => r.text())
    .then((xml) => modeler.importXML(xml)).then(({ warnings }) => {
      // a multi-instance's lists are named by data, not by an element of the diagram: keep the names as they are
      (warnings || []).forEach((w) => {
        const name = w.property && w.property.replace(/^bpmn:/, "");
        if (w.element && LOOP_REFERENCES.includes(name)) {
          w.element.set(name, modeler.get("moddle").create("bpmn:Property", { id: w.value }));
        }
      });
      readableZoom();
      return new Promise((resolve) => {
        // the panel listens for selections once it has rendered (preact runs its effects after the next paint)
        requestAnimationFrame(() => setTimeout(resolve, 100));
      });
    }).then(() => {
      const known = JSON.parse(page.dataset.problems || "[]");
      if (known.length) { showProblems(known); }
      if (page.dataset.element) { focus(page.dataset.element); }
      page.dataset.ready = "true";
      const button = document.getElementById("save-diagram");
      if (button) { button.addEventListener("click", save); }
      document.getElementById("find-element").addEventListener("click", (event) => {
        event.stopPropagation();                  // a click outside the search box closes it
        modeler.get("searchPad").toggle();
      });
      document.getElementById("zoom-in").addEventListener("click", () => modeler.get("zoomScroll").stepZoom(1));
      document.getElementById("zoom-out").addEventListener("click", () => modeler.get("zoomScroll").stepZoom(-1));
      document.getElementById("zoom-fit").addEventListener("click", () => canvas.zoom("fit-viewport"));
    });
}

const page = document.getElementById("modeler-page");
if (page) {
  fetch(page.dataset.moddle).then((r) => r.json()).then((descriptor) => boot(page, descriptor)).catch((error) => {
    document.getElementById("save-result").textContent = text("流程图加载失败：", "The diagram could not be loaded: ") + error.message;
  });
}
