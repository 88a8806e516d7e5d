// Event pages, progressive enhancement: next to a time shown in the event's zone, the same
// moment in the visitor's own zone (when it differs). Without JavaScript the page shows the
// event's zone and its UTC offset, which is enough to work it out.
(function () {
  "use strict";
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (e) {
    return;
  }
  var nodes = document.querySelectorAll("time[data-local]");
  Array.prototype.forEach.call(nodes, function (el) {
    var moment = new Date(el.getAttribute("datetime"));
    if (!zone || zone === el.getAttribute("data-zone") || isNaN(moment.getTime())) {
      return;
    }
    var format = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
      weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
      timeZone: zone, timeZoneName: "short"
    });
    var shown = document.createElement("span");
    shown.className = "local-time";
    shown.textContent = (el.getAttribute("data-label") || "Your time") + ": " +
      format.format(moment) + " (" + zone + ")";
    el.parentNode.appendChild(document.createElement("br"));
    el.parentNode.appendChild(shown);
  });
})();
