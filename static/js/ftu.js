/* FTU Hub: small progressive enhancements. Pages work without this script. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    // The language switch submits as soon as a language is chosen.
    // On wide screens the menu starts open; on phones it stays folded until tapped.
    var menu = document.getElementById("main-menu");
    if (menu && window.matchMedia && window.matchMedia("(min-width: 48rem)").matches) {
      menu.open = true;
    }
    var select = document.getElementById("lang-select");
    if (select && select.form) {
      select.addEventListener("change", function () { select.form.submit(); });
    }
  });
})();
