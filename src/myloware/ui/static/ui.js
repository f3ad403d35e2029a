// MyloWare Run Trace: link each extracted value to its source span in the document pane.
// Works without this script too (plain #anchors); this only keeps the page still and lights
// up every piece of the span, including pieces split by overlapping fields.
(function () {
  "use strict";
  function marksOf(name) {
    return Array.prototype.filter.call(document.querySelectorAll("pre.doc mark"), function (m) {
      return (m.getAttribute("data-fields") || "").split(" ").indexOf(name) >= 0;
    });
  }
  function light(name, on) {
    marksOf(name).forEach(function (m) { m.classList.toggle("on", on); });
  }
  document.querySelectorAll("a.src[data-field]").forEach(function (link) {
    var name = link.getAttribute("data-field");
    link.addEventListener("mouseenter", function () { light(name, true); });
    link.addEventListener("mouseleave", function () { light(name, false); });
    link.addEventListener("click", function (event) {
      var marks = marksOf(name);
      if (!marks.length) { return; }
      event.preventDefault();
      document.querySelectorAll("pre.doc mark.on").forEach(function (m) { m.classList.remove("on"); });
      marks.forEach(function (m) { m.classList.add("on"); });
      var pane = marks[0].closest("pre.doc");
      var box = pane.getBoundingClientRect();
      if (box.bottom < 0 || box.top > window.innerHeight) { pane.scrollIntoView({ block: "start" }); }
      pane.scrollTo({ top: marks[0].offsetTop - pane.clientHeight / 3, behavior: "smooth" });
    });
  });
})();
