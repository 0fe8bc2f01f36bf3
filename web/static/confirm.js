// Consequential actions ask first: a submit button marked data-confirm="question" shows the question in the page's
// <dialog id="confirm-dialog">; 确定 sends the form as that button would have, 取消 (or Esc) sends nothing.
(function () {
  var dialog = document.getElementById("confirm-dialog");
  if (!dialog) return;
  var pending = null;
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-confirm]");
    if (!button || !button.form) return;
    if (button.dataset.confirmed === "yes") {
      button.dataset.confirmed = "";
      return;
    }
    event.preventDefault();
    pending = button;
    document.getElementById("confirm-question").textContent = button.dataset.confirm;
    dialog.returnValue = "";
    dialog.showModal();
  });
  dialog.addEventListener("close", function () {
    var button = pending;
    pending = null;
    if (button && dialog.returnValue === "ok") {
      button.dataset.confirmed = "yes";
      button.click();
    }
  });
})();
