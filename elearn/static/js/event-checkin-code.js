/* The organiser's check-in screen (elearn.events.attendance_views): every data-seconds it asks
 * data-url for a fresh signed code and puts its QR image, link and the number checked in into the
 * page, so the code on the screen keeps rotating without reloading the page (axe forbids a meta
 * refresh). The launch token goes in X-Launch-Token; a renewed one in the answer is kept. No inline
 * code: the page's Content-Security-Policy allows only our own script files. */
(function () {
  "use strict";
  var me = document.currentScript;
  if (!me || !window.fetch) { return; }
  var url = me.getAttribute("data-url");
  var token = me.getAttribute("data-token");
  var every = Math.max(5, parseInt(me.getAttribute("data-seconds"), 10) || 60) * 1000;
  var image = document.querySelector("img.checkin-qr");
  var link = document.querySelector(".checkin-url");
  var count = document.querySelector(".checkin-count");

  function refresh() {
    fetch(url, {headers: {"X-Launch-Token": token, "Accept": "application/json"}, credentials: "same-origin"})
      .then(function (response) {
        var renewed = response.headers.get("X-Launch-Token");
        if (renewed) { token = renewed; }
        return response.ok ? response.json() : null;
      })
      .then(function (fresh) {
        if (!fresh) { return; }
        image.setAttribute("src", fresh.qr);
        link.textContent = fresh.url;
        link.setAttribute("data-url", fresh.url);
        count.textContent = fresh.present_text;
        count.setAttribute("data-present", String(fresh.present));
      })
      .catch(function () { /* offline for a moment: the next round tries again */ });
  }

  if (image && link && count) { window.setInterval(refresh, every); }
}());
