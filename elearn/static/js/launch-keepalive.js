/* Keep-alive of a launched page (elearn.launch.session). A learner may stay on one page longer than a
 * launch token lives (a timed post-test, a long answer): every data-seconds this script POSTs to
 * data-url with the page's token in X-Launch-Token; a renewed token in the answer replaces the old one
 * in the page's lt fields, links and form actions, so the next post is accepted. When the launch session
 * has ended (401/403) it shows the server-rendered #launch-ended notice and stops. No inline code: the
 * page's Content-Security-Policy allows only our own script files. */
(function () {
  "use strict";
  var me = document.currentScript;
  if (!me || !window.fetch) { return; }
  var url = me.getAttribute("data-url");
  var token = me.getAttribute("data-token");
  var every = Math.max(1, parseInt(me.getAttribute("data-seconds"), 10) || 300) * 1000;
  var timer = null;

  function replaceIn(element, attribute, before, after) {
    var value = element.getAttribute(attribute);
    if (value && value.indexOf(before) !== -1) {
      element.setAttribute(attribute, value.split(before).join(after));
    }
  }

  function adopt(renewed) {
    // The page was rendered with the old token; everything that carries it gets the renewed one.
    var before = "lt=" + encodeURIComponent(token), after = "lt=" + encodeURIComponent(renewed);
    document.querySelectorAll("input[name=lt]").forEach(function (input) { input.value = renewed; });
    document.querySelectorAll("a[href]").forEach(function (a) { replaceIn(a, "href", before, after); });
    document.querySelectorAll("form[action]").forEach(function (f) { replaceIn(f, "action", before, after); });
    token = renewed;
  }

  function ended() {
    clearInterval(timer);
    timer = null;
    var notice = document.getElementById("launch-ended");
    if (notice) { notice.hidden = false; }  // role=alert announces it; it stays in view (app.css)
  }

  function ping() {
    if (timer === null) { return; }
    fetch(url, {method: "POST", headers: {"X-Launch-Token": token}, credentials: "same-origin", cache: "no-store"})
      .then(function (response) {
        if (response.status === 401 || response.status === 403) { ended(); return; }
        var renewed = response.headers.get("X-Launch-Token");
        if (response.ok && renewed && renewed !== token) { adopt(renewed); }
      })
      .catch(function () { /* offline for a moment: the next ping tries again */ });
  }

  timer = setInterval(ping, every);
  // Timers sleep with the laptop: ping as soon as the page is seen again, before the learner types on.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { ping(); }
  });
}());
