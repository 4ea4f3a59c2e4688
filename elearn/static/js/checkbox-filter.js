/* Searchable checkbox lists (the activity form's modules and professions): typing in the list's
   filter shows only the choices whose label contains every typed word. Ticked choices stay ticked
   and are posted even while hidden. Without this script the filter stays hidden and every choice shows. */
(function () {
  "use strict";
  function words(text) {
    return text.toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "").split(/\s+/).filter(Boolean);
  }
  document.querySelectorAll("[data-filter-list]").forEach(function (input) {
    var list = document.getElementById(input.getAttribute("data-filter-list"));
    var box = input.closest(".pick-filter");
    var none = box.querySelector("[data-filter-none]");
    if (!list) { return; }
    box.hidden = false;
    input.addEventListener("input", function () {
      var wanted = words(input.value), shown = 0;
      list.querySelectorAll("li").forEach(function (item) {
        var text = words(item.textContent).join(" ");
        var match = wanted.every(function (word) { return text.indexOf(word) !== -1; });
        item.hidden = !match;
        if (match) { shown += 1; }
      });
      none.hidden = shown > 0;
    });
  });
})();
