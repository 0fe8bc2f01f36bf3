// What saving a file of a draft answered, shown the same way by every structured editor: saved or not, and each
// problem of the draft with its file, line and element. Answers whether it was saved, so the editor can then place
// the problems beside its own fields.
window.lawflowShowSaved = function (body, T) {
  "use strict";
  var result = document.getElementById("save-result"), list = document.getElementById("save-problems");
  list.textContent = "";
  if (!body.saved) {
    result.textContent = T.not_saved + (body.errors ? body.errors.map(function (e) { return e.message; }).join("；") : body.detail);
    return false;
  }
  result.textContent = body.problems.length ? T.saved_problems.replace("{count}", body.problems.length) : T.saved_ok;
  body.problems.forEach(function (p) {
    var where = p.file + (p.line ? ":" + p.line : "") + (p.element ? " [" + p.element + "]" : "");
    var item = document.createElement("li");
    item.className = p.severity;
    item.textContent = (p.severity === "warning" ? T.warning + " " : "") + where + "：" + p.message;
    list.appendChild(item);
  });
  return true;
};
