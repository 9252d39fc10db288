// Group training pages: a refusal (422) carries its reason in the fragment, so htmx swaps it in
// like a success instead of dropping it.
(function () {
  "use strict";
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr && xhr.status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
