/* Explore's area filter: typing in the search box hides the area checkboxes whose label (name and
   type) does not contain the text; ticked areas always stay visible. Plain DOM, no inline script (CSP). */
(function () {
  "use strict";
  function apply(box) {
    var list = document.getElementById("explore-areas");
    if (!list) { return; }
    var wanted = box.value.trim().toLowerCase();
    var items = list.querySelectorAll(".form-check");
    for (var i = 0; i < items.length; i++) {
      var input = items[i].querySelector("input");
      var text = items[i].textContent.toLowerCase();
      items[i].hidden = wanted !== "" && text.indexOf(wanted) === -1 && !(input && input.checked);
    }
  }
  document.addEventListener("input", function (event) {
    if (event.target && event.target.id === "explore-area-filter") { apply(event.target); }
  });
})();
