/* Result page: "your score is being sent" updates itself. Every data-seconds it asks data-url (the
 * launch token in X-Launch-Token) where the score is, and shows the server-rendered wording the answer
 * names; after data-max-seconds, or when the LMS cannot be reached for now, it shows the "will arrive
 * later" wording and stops. It builds no text, and without it the page keeps its refresh link.
 * No inline code: the page's Content-Security-Policy allows only our own script files. */
(function () {
  "use strict";
  var box = document.getElementById("grade-status");
  if (!box || !window.fetch || !box.getAttribute("data-url")) { return; }
  var url = box.getAttribute("data-url");
  var token = box.getAttribute("data-token");
  var every = Math.max(1, parseInt(box.getAttribute("data-seconds"), 10) || 3) * 1000;
  var until = Date.now() + Math.max(1, parseInt(box.getAttribute("data-max-seconds"), 10) || 120) * 1000;
  var refresh = box.querySelector("[data-refresh]");
  var FINAL = {delivered: true, parked: true};

  function show(state) {
    var wording = box.querySelector("[data-when='" + state + "']");
    if (!wording) { return; }
    box.querySelectorAll("[data-when]").forEach(function (p) { p.hidden = p !== wording; });
    box.setAttribute("data-status", state);
  }

  function stop(state) {
    show(state);
    if (refresh) { refresh.hidden = !!FINAL[state]; }   // still on its way: the link stays for later
  }

  function ask() {
    if (Date.now() >= until) { stop("later"); return; }
    fetch(url, {headers: {"X-Launch-Token": token, "Accept": "application/json"}, credentials: "same-origin",
                cache: "no-store"})
      .then(function (response) {
        var renewed = response.headers.get("X-Launch-Token");
        if (renewed) { token = renewed; }
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (answer) {
        if (FINAL[answer.state]) { stop(answer.state); return; }
        show(answer.state === "later" ? "later" : "sending");
        setTimeout(ask, every);
      })
      .catch(function () { stop("later"); });   // the session ended or the network is gone: say so, stop
  }

  if (refresh) { refresh.hidden = true; }   // this script keeps the text current; no need to reload
  setTimeout(ask, every);
}());
