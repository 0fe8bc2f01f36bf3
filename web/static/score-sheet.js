// Score sheets on the task page: item scores, subtotals, total and band while typing, computed from the standard
// the page embeds with the rules of web/score_sheet.py's preview (the server recomputes them on submission).
(function () {
  function num(text) { var n = parseFloat(text); return isFinite(n) ? n : null; }
  function tidy(n) { return Math.round(n * 100) / 100; }
  function within(sheet, attr, code) { return sheet.querySelector("[" + attr + '="' + CSS.escape(String(code)) + '"]'); }

  function itemScore(item, row) {
    var points = item.points || 0, rule = item.deduction;
    if (rule) {
      var count = 0;
      row.querySelectorAll(".deductions .row").forEach(function (r) {
        var reason = r.querySelector("input[name$='.reason']").value.trim();
        var given = r.querySelector("input.deduction-count").value.trim();
        if (reason || given) { count += num(given) || 1; }
      });
      var cap = rule.cap != null ? rule.cap : points;
      return { score: tidy(Math.max(0, points - Math.min(cap, (rule.points || 0) * count))), count: count };
    }
    var input = row.querySelector("input.score");
    if (!input || input.value.trim() === "") { return { score: points, count: null }; }
    var entered = num(input.value);
    return { score: entered !== null && entered >= 0 && entered <= points ? entered : 0, count: null };
  }

  // The row's colour and its 有差异 badge follow the typing, so an item scored as the earlier sheet shows none.
  function markDifference(row, differs) {
    row.classList.toggle("differs", differs);
    var badge = row.querySelector("[data-diff-badge]");
    if (differs && !badge) {
      badge = document.createElement("span");
      badge.className = "badge soon";
      badge.setAttribute("data-diff-badge", "");
      badge.textContent = row.closest("table").dataset.differsLabel;
      row.querySelector("td.earlier").append(" ", badge);
    }
    if (badge) { badge.hidden = !differs; }
  }

  function showOverride(box, differs) {
    var label = box.querySelector(".override");
    if (label) { label.hidden = !differs && !label.querySelector("input").value; }
  }

  function bandOf(standard, total, vetoed) {
    var bands = standard.bands || [];
    if (vetoed && standard.veto_band) {
      var found = bands.filter(function (b) { return b.code === standard.veto_band; })[0];
      if (found) { return found; }
    }
    return bands.filter(function (b) {
      return (b.min == null || b.min <= total) && (b.max == null || total < b.max);
    })[0] || {};
  }

  function update(sheet) {
    var standard = JSON.parse(sheet.querySelector(".sheet-standard").textContent);
    var base = 0, bonus = 0, vetoed = false;
    (standard.dimensions || []).forEach(function (dimension) {
      var subtotal = 0;
      (dimension.items || []).forEach(function (item) {
        var row = within(sheet, "data-item", item.code);
        if (!row) { return; }
        var found = itemScore(item, row);
        subtotal += found.score;
        row.querySelector("[data-score]").textContent = found.score;
        if (row.dataset.earlier !== undefined) { markDifference(row, num(row.dataset.earlier) !== found.score); }
        if (row.dataset.found !== undefined) { showOverride(row, found.count !== num(row.dataset.found)); }
        var veto = row.querySelector("input[data-veto]");
        if (item.veto && veto && veto.checked) { vetoed = true; }
      });
      subtotal = tidy(subtotal);
      base += subtotal;
      var cell = within(sheet, "data-subtotal", dimension.code);
      if (cell) { cell.textContent = subtotal; }
    });
    (standard.bonus || []).forEach(function (item) {
      var row = within(sheet, "data-bonus", item.code);
      var input = row && row.querySelector("input.bonus-points");
      var given = input ? num(input.value) : null;
      bonus += Math.min(given || 0, item.points || 0);
    });
    sheet.querySelectorAll("[data-veto-item]").forEach(function (box) {
      var hit = box.querySelector("input[data-veto]").checked;
      if (hit) { vetoed = true; }
      if (box.dataset.found !== undefined) { showOverride(box, hit !== (box.dataset.found === "1")); }
    });
    var total = tidy(base + bonus);
    sheet.querySelector("[data-subtotals]").textContent = tidy(base);
    sheet.querySelector("[data-bonus-total]").textContent = tidy(bonus);
    sheet.querySelector("[data-total]").textContent = total;
    sheet.querySelector("[data-band]").textContent = bandOf(standard, total, vetoed).label || "";
    sheet.querySelector("[data-veto-badge]").hidden = !vetoed;
  }

  function live(event) { return event.target.closest && event.target.closest(".score-sheet[data-live]"); }
  document.addEventListener("input", function (event) { var sheet = live(event); if (sheet) { update(sheet); } });
  document.addEventListener("change", function (event) { var sheet = live(event); if (sheet) { update(sheet); } });
  // Rows are added and removed by lawflow.js's handler of the same click (on the document, bubbling): note the
  // sheet while the button is still in it (capturing), count once that handler has run (bubbling up to window),
  // in the same task as the click, so the totals are right by the time the click has been handled.
  var clicked = null;
  document.addEventListener("click", function (event) {
    var sheet = live(event);
    clicked = sheet && event.target.closest("[data-add-row], [data-remove-row]") ? sheet : null;
  }, true);
  window.addEventListener("click", function () {
    var sheet = clicked;
    clicked = null;
    if (sheet) { update(sheet); }
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".score-sheet[data-live]").forEach(update);
  });
}());
