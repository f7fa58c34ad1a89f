/* FTU Hub: small progressive enhancements. Pages work without this script. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    // The language switch submits as soon as a language is chosen.
    var select = document.getElementById("lang-select");
    if (select && select.form) {
      select.addEventListener("change", function () { select.form.submit(); });
    }
  });
})();
