// Draws the case's diagram with bpmn-js and marks the finished and the current steps.
(function () {
  var box = document.getElementById("diagram");
  if (!box || !window.BpmnJS) { return; }
  var viewer = new BpmnJS({ container: box });
  fetch(box.dataset.src, { credentials: "same-origin" })
    .then(function (response) { return response.text(); })
    .then(function (xml) { return viewer.importXML(xml); })
    .then(function () {
      var canvas = viewer.get("canvas");
      var registry = viewer.get("elementRegistry");
      var mark = function (ids, marker) {
        ids.forEach(function (id) { if (registry.get(id)) { canvas.addMarker(id, marker); } });
      };
      mark(JSON.parse(box.dataset.done), "done");
      var current = JSON.parse(box.dataset.current).map(function (id) { return registry.get(id); })
        .filter(Boolean);
      var fit = function () { canvas.zoom("fit-viewport"); };
      // A large diagram fitted into the box is too small to read: show the current step at a readable size.
      var focus = function () {
        if (!current.length) { return fit(); }
        var el = current[0], outer = canvas.viewbox().outer, scale = 0.9;
        var width = outer.width / scale, height = outer.height / scale;
        canvas.viewbox({ x: el.x + el.width / 2 - width / 2, y: el.y + el.height / 2 - height / 2,
                         width: width, height: height });
      };
      mark(current.map(function (el) { return el.id; }), "current");
      fit();
      if (current.length && canvas.zoom() < 0.6) { focus(); }
      var bind = function (id, handler) {
        var button = document.getElementById(id);
        if (button) { button.addEventListener("click", handler); }
      };
      bind("diagram-fit", fit);
      bind("diagram-current", focus);
      box.dataset.rendered = "true";
    })
    .catch(function (error) { box.textContent = "流程图加载失败：" + error.message; });
})();
