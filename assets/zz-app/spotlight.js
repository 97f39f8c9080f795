// Spotlight decks (layouts/spotlight.py). The slide number lives in the URL (?slide=N):
// keys and the Previous/Next buttons push a new URL, both dcc.Location components hear
// it (as with dcc.Link), and the clientside callback dash_clientside.spotlight.show
// shows that slide. Back/forward work because every move is a history entry.
// Keys: ArrowRight / PageDown / Space next; ArrowLeft / PageUp previous; Home / End;
// F full screen (the Fullscreen API on #spotlight-stage); Esc leaves the deck (when not
// in full screen: there the browser's own Esc leaves full screen first).
(function () {
  "use strict";

  function deck() { return document.querySelector(".spotlight-deck"); }

  function total() {
    var d = deck();
    return d ? parseInt(d.getAttribute("data-slides"), 10) || 1 : 0;
  }

  function clamp(n, count) {
    if (!isFinite(n)) { n = 1; }
    return Math.min(Math.max(n, 1), Math.max(count, 1));
  }

  function slideFrom(search, count) {
    var m = /[?&]slide=(-?\d+)/.exec(search || "");
    return clamp(m ? parseInt(m[1], 10) : 1, count);
  }

  function navigate(url) {
    if (url === window.location.pathname + window.location.search + window.location.hash) { return; }
    window.history.pushState({}, "", url);
    window.dispatchEvent(new CustomEvent("_dashprivate_pushstate"));
  }

  function goTo(n) {
    var params = new URLSearchParams(window.location.search);
    params.set("slide", String(clamp(n, total())));
    navigate(window.location.pathname + "?" + params.toString() + window.location.hash);
  }

  function step(delta) { goTo(slideFrom(window.location.search, total()) + delta); }

  function toggleFullscreen() {
    var stage = document.getElementById("spotlight-stage");
    if (!stage) { return; }
    if (document.fullscreenElement) {
      document.exitFullscreen().catch(function () {});
    } else if (stage.requestFullscreen) {
      stage.requestFullscreen().catch(function () {});
    }
  }

  document.addEventListener("keydown", function (e) {
    if (!deck() || e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) { return; }
    var t = e.target;
    var tag = t && t.tagName;
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (t && t.isContentEditable)) { return; }
    if (t && t.closest && t.closest(".spotlight-panel")) { return; }  // the editors' forms keep their keys
    var activates = tag === "BUTTON" || tag === "A" || tag === "SUMMARY";
    switch (e.key) {
      case "ArrowRight": case "PageDown": step(1); break;
      case "ArrowLeft": case "PageUp": step(-1); break;
      case " ": case "Spacebar":
        if (activates) { return; }  // Space presses a focused button or link
        step(e.shiftKey ? -1 : 1); break;
      case "Home": goTo(1); break;
      case "End": goTo(total()); break;
      case "f": case "F": toggleFullscreen(); break;
      case "Escape":
        if (document.fullscreenElement) { return; }
        navigate("/spotlight"); break;
      default: return;
    }
    e.preventDefault();
  });

  document.addEventListener("click", function (e) {
    var button = e.target && e.target.closest && e.target.closest("#spotlight-prev, #spotlight-next");
    if (!button || button.disabled || !deck()) { return; }
    step(button.id === "spotlight-next" ? 1 : -1);
  });

  // Print (the PDF export): every slide one 16:9 page. Charts are drawn for the print size first.
  function graphs() { return Array.prototype.slice.call(document.querySelectorAll(".spotlight-slide .js-plotly-plot")); }

  function sizeForPrint(printing) {
    if (!deck()) { return; }
    document.documentElement.classList.toggle("spotlight-printing", printing);
    if (!window.Plotly) { return; }
    graphs().forEach(function (gd) {
      if (printing) {
        var box = gd.parentElement.getBoundingClientRect();
        window.Plotly.relayout(gd, {width: Math.round(box.width), height: Math.round(box.height)});
      } else {
        window.Plotly.relayout(gd, {width: null, height: null, autosize: true});
      }
    });
  }

  window.addEventListener("beforeprint", function () { sizeForPrint(true); });
  window.addEventListener("afterprint", function () { sizeForPrint(false); });

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    spotlight: {
      show: function (search, meta, classNames, pngClass) {
        var count = (meta && meta.total) || (classNames || []).length || 1;
        var n = slideFrom(search, count);
        var classes = (classNames || []).map(function (c, i) {
          var base = (c || "").split(" ").filter(function (k) { return k && k !== "is-current"; });
          if (i + 1 === n) { base.push("is-current"); }
          return base.join(" ");
        });
        var hasChart = !!(meta && meta.charts && meta.charts[n - 1]);
        var png = (pngClass || "").split(" ").filter(function (k) { return k && k !== "is-hidden"; });
        if (!hasChart) { png.push("is-hidden"); }
        var href = "/spotlight/" + encodeURIComponent((meta && meta.slug) || "") + "/slide/" + n + ".png";
        return [classes, n + " / " + count, n <= 1, n >= count, href, png.join(" ")];
      },
      fullscreen: function () {
        toggleFullscreen();
        return Date.now();
      },
      print: function () {
        window.print();  // blocks until the print dialog closes (beforeprint has sized the charts)
        sizeForPrint(false);  // afterprint does this too, but not every browser sends it (headless Chromium)
        return Date.now();
      }
    }
  });
})();
