// Punchlist's own behaviour, kept out of the pages: the Content-Security-Policy runs no inline script.
"use strict";

// A field whose text is there to be copied (the private calendar address) is selected whole when clicked.
document.addEventListener("click", function (event) {
  var field = event.target.closest && event.target.closest("input[data-select-on-click]");
  if (field) {
    field.select();
  }
});
