/* Post-test attempt page: keeps the list of question numbers and the "answered" count up to date
 * while the learner answers, and marks the question being answered. The page renders the count and
 * the marks itself (right without JS); this only toggles server-rendered marks and texts, and writes
 * digits. "Answered" is the server's rule (quizzes.present.answered): any choice, any text, any part.
 * No inline code: the page's Content-Security-Policy allows only our own script files. */
(function () {
  "use strict";
  var nav = document.querySelector("[data-quiz-progress]");
  var form = document.querySelector("form.quiz-form");
  if (!nav || !form) { return; }
  var links = Array.prototype.slice.call(nav.querySelectorAll("a[data-question]"));

  function isAnswered(fieldset) {
    var controls = fieldset.querySelectorAll("input, select");
    for (var i = 0; i < controls.length; i++) {
      var control = controls[i];
      if (control.type === "radio" || control.type === "checkbox") {
        if (control.checked) { return true; }
      } else if (control.value !== "") {
        return true;
      }
    }
    return false;
  }

  function show(link, answered) {
    link.classList.toggle("answered", answered);
    link.querySelector("[data-when=answered]").hidden = !answered;
    link.querySelector("[data-when=open]").hidden = answered;
  }

  function update() {
    var count = 0;
    links.forEach(function (link) {
      var fieldset = document.getElementById(link.getAttribute("data-question"));
      var answered = fieldset !== null && isAnswered(fieldset);
      if (answered) { count += 1; }
      show(link, answered);
    });
    document.querySelectorAll("[data-answered-count]").forEach(function (out) {
      if (out.textContent !== String(count)) { out.textContent = String(count); }
    });
  }

  function current(event) {
    // The question holding keyboard focus is "where the learner is": aria-current on its number.
    var fieldset = event.target.closest ? event.target.closest("fieldset.question") : null;
    if (!fieldset) { return; }
    links.forEach(function (link) {
      if (link.getAttribute("data-question") === fieldset.id) { link.setAttribute("aria-current", "step"); }
      else { link.removeAttribute("aria-current"); }
    });
  }

  form.addEventListener("input", update);
  form.addEventListener("change", update);
  form.addEventListener("focusin", current);
  update();
}());
