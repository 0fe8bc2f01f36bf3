// 系统管理 · 工作日历: clicking a day of the month grids puts it into, or takes it out of, the typed lists — a weekday
// into the holidays, a Saturday or Sunday into the make-up working days; typing in the lists recolours the grids.
(function () {
  var form = document.getElementById("calendar-form");
  if (!form) return;
  var lists = { holiday: document.getElementById("a-holidays"), workday: document.getElementById("a-workdays") };
  var ISO = /^\d{4}-\d{2}-\d{2}$/;

  function entries(textarea) {
    return textarea.value.replace(/\s*(~|～|至)\s*/g, "~").split(/[\s,，、;；]+/).filter(function (e) { return e; });
  }

  function days(textarea) {      // the single dates and the dates of ranges A~B a list names
    var found = {};
    entries(textarea).forEach(function (entry) {
      var parts = entry.split("~");
      if (!ISO.test(parts[0]) || (parts[1] && !ISO.test(parts[1]))) return;
      var day = new Date(parts[0] + "T00:00:00Z"), last = new Date((parts[1] || parts[0]) + "T00:00:00Z");
      for (var n = 0; day <= last && n < 366; n++) {
        found[day.toISOString().slice(0, 10)] = true;
        day.setUTCDate(day.getUTCDate() + 1);
      }
    });
    return found;
  }

  function paint() {
    var holidays = days(lists.holiday), workdays = days(lists.workday);
    form.querySelectorAll("button.day").forEach(function (button) {
      var day = button.dataset.day, weekend = button.dataset.weekend === "yes";
      button.classList.toggle("holiday", !!holidays[day]);
      button.classList.toggle("workday", !!workdays[day]);
      button.classList.toggle("rest", weekend && !holidays[day] && !workdays[day]);
      button.classList.toggle("work", !weekend && !holidays[day] && !workdays[day]);
      button.setAttribute("aria-pressed", holidays[day] || workdays[day] ? "true" : "false");
    });
  }

  function toggle(textarea, day) {    // a list with a range is written out day by day once it is clicked
    var chosen = days(textarea), wrong = entries(textarea).filter(function (entry) {
      return !/^\d{4}-\d{2}-\d{2}(~\d{4}-\d{2}-\d{2})?$/.test(entry);
    });
    if (chosen[day]) delete chosen[day]; else chosen[day] = true;
    textarea.value = wrong.concat(Object.keys(chosen).sort()).join("\n");
  }

  form.addEventListener("click", function (event) {
    var button = event.target.closest("button.day");
    if (!button) return;
    toggle(button.dataset.weekend === "yes" ? lists.workday : lists.holiday, button.dataset.day);
    paint();
  });
  lists.holiday.addEventListener("input", paint);
  lists.workday.addEventListener("input", paint);
  paint();
})();
