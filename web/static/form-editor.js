// The form editor: a JSON Schema in a text area, previewed live by the same renderer handlers see; saved into the draft.
(function () {
  var page = document.getElementById("form-editor");
  if (!page) { return; }
  var text = document.getElementById("schema-text");
  var preview = document.getElementById("preview");
  var timer = null;

  function refresh() {
    fetch(page.dataset.preview, {
      method: "POST", credentials: "same-origin", body: text.value,
      headers: { "X-CSRF-Token": page.dataset.csrf, "Content-Type": "application/json" }
    }).then(function (r) { return r.text(); }).then(function (html) {
      preview.innerHTML = html;
      page.dataset.previewed = String(Date.now());
    });
  }

  text.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(refresh, 300); });
  var button = document.getElementById("save-form");
  if (button) {
    button.addEventListener("click", function () {
      var result = document.getElementById("save-result");
      fetch(page.dataset.save, {
        method: "PUT", credentials: "same-origin", body: text.value,
        headers: { "X-CSRF-Token": page.dataset.csrf, "Content-Type": "application/json" }
      }).then(function (r) { return r.json(); }).then(function (body) {
        if (!body.saved) { result.textContent = "未保存：" + (body.errors ? body.errors.map(function (e) { return e.message; }).join("；") : body.detail); return; }
        var mine = body.problems.filter(function (p) { return page.dataset.save.indexOf(p.file) >= 0; });
        result.textContent = body.problems.length ? "已保存，草稿有 " + body.problems.length + " 个问题：" +
          body.problems.map(function (p) { return p.file + (p.element ? " [" + p.element + "]" : "") + " " + p.message; }).join("；")
          : "已保存，校验通过";
        page.dataset.saved = String(Date.now());
        return mine;
      });
    });
  }
  refresh();
})();
