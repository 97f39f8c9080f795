// Dash's components have no <input type="file">. The upload page leaves an empty
// #upload-file-slot inside a native form; this fills it with a real file input so
// the browser streams the file to /upload/start (no base64 inside a callback).
(function () {
  function fill() {
    var slot = document.getElementById("upload-file-slot");
    if (!slot || slot.querySelector("input[type=file]")) { return; }
    var input = document.createElement("input");
    input.type = "file";
    input.id = "upload-file";
    input.name = slot.getAttribute("data-name") || "file";
    input.accept = slot.getAttribute("data-accept") || "";
    input.required = true;
    input.className = "form-control";
    slot.appendChild(input);
  }
  new MutationObserver(fill).observe(document.documentElement, { childList: true, subtree: true });
  document.addEventListener("DOMContentLoaded", fill);
})();
