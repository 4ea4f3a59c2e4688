/* Inside an LMS frame, ask the platform to fit the frame to the page: the lti.frameResize message
 * that Canvas and others honour ({subject: "lti.frameResize", height: N}, sent to window.parent),
 * on load and whenever the page's height changes. The target origin is "*": the message carries only
 * a height, and our Content-Security-Policy (frame-ancestors) already decides who may frame the page.
 * No inline code: the page's Content-Security-Policy allows only our own script files. */
(function () {
  "use strict";
  if (window.parent === window || !window.parent.postMessage) { return; }
  var sent = 0;

  function height() {
    // The document's own height, not the frame's viewport: a page shorter than its frame shrinks it again.
    return Math.ceil(document.documentElement.getBoundingClientRect().height);
  }

  function tell() {
    var now = height();
    if (now > 0 && now !== sent) {
      sent = now;
      window.parent.postMessage({subject: "lti.frameResize", height: now}, "*");
    }
  }

  if (window.ResizeObserver) { new ResizeObserver(tell).observe(document.documentElement); }
  window.addEventListener("load", tell);
  tell();
}());
