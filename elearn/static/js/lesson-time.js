/* Lesson time: while the lesson is visible, tell the server every ~30 s that the learner is still
   reading. The server decides what to credit (at most the time since the previous beat, capped);
   this script only says "visible now". The launch token goes in the form body, as in every form. */
(function () {
  "use strict";
  var lesson = document.querySelector("[data-beat-url]");
  if (!lesson || !window.fetch) { return; }
  var url = lesson.getAttribute("data-beat-url");
  var token = lesson.getAttribute("data-lt");
  var every = 1000 * (parseInt(lesson.getAttribute("data-beat-seconds"), 10) || 30);
  var timer = null;

  function send(start) {
    // keepalive lets the beat sent while the page is being hidden or left still arrive.
    var body = new URLSearchParams({lt: token});
    if (start) { body.set("start", "1"); }
    fetch(url, {method: "POST", body: body, credentials: "same-origin", keepalive: true}).catch(function () {});
  }

  function visible() {
    // Coming (back) into view restarts the clock: hidden time is never credited.
    send(true);
    if (timer === null) { timer = setInterval(function () { send(false); }, every); }
  }

  function hidden() {
    // Credit the visible time since the last beat, then stop until the page is seen again.
    if (timer !== null) { clearInterval(timer); timer = null; send(false); }
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { visible(); } else { hidden(); }
  });
  if (document.visibilityState === "visible") { visible(); }
})();
