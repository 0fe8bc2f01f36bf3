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
      mark(JSON.parse(box.dataset.current), "current");
      canvas.zoom("fit-viewport");
      box.dataset.rendered = "true";
    })
    .catch(function (error) { box.textContent = "流程图加载失败：" + error.message; });
})();
