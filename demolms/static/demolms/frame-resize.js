/* The demo LMS honours lti.frameResize (the Canvas convention): the framed tool posts
 * {subject: "lti.frameResize", height: N} (N in px, a number or "Npx"; an object or its JSON text) and
 * the iframe named by this script's data-frame gets that height, kept between a floor and a ceiling.
 * Only the frame's own window, from one of the tool's origins (the iframe's data-allowed-origins), is
 * listened to; anything else is logged as refused (window.demolmsResizeLog) and changes nothing. */
(function (global) {
  "use strict";
  var me = document.currentScript;
  var frame = me && document.getElementById(me.getAttribute("data-frame") || "tool-frame");
  if (!frame) { return; }
  var allowed = JSON.parse(frame.getAttribute("data-allowed-origins") || "[]");
  var FLOOR = 240, CEILING = 20000;      // px: a frame never vanishes, nor grows without end
  var log = global.demolmsResizeLog = global.demolmsResizeLog || [];

  function read(data) {
    if (typeof data === "string") {
      try { data = JSON.parse(data); } catch (e) { return null; }
    }
    return data && typeof data === "object" && data.subject === "lti.frameResize" ? data : null;
  }

  global.addEventListener("message", function (event) {
    var data = read(event.data);
    if (!data) { return; }
    if (event.source !== frame.contentWindow || allowed.indexOf(event.origin) < 0) {
      log.push({direction: "refused", origin: event.origin, height: data.height});
      return;
    }
    var height = parseInt(data.height, 10);
    if (!isFinite(height) || height <= 0) {
      log.push({direction: "refused", origin: event.origin, height: data.height});
      return;
    }
    height = Math.min(CEILING, Math.max(FLOOR, height));
    frame.style.height = height + "px";    // CSSOM, allowed by the CSP (a style="" in markup is not)
    frame.classList.add("sized-by-tool");
    log.push({direction: "in", origin: event.origin, height: height});
  });
}(window));
