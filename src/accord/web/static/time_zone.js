// The reader's time zone, from the browser, for a person who has chosen none: the profile's
// select shows it, and it is sent once, so that pages show and read times on the reader's clock.
// A browser in UTC sends nothing: pages already speak UTC.
(function () {
  "use strict";
  var zone;
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (error) { return; }
  if (!zone) { return; }

  function ready(run) {
    if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", run); } else { run(); }
  }

  // a reader who has already moved on is not pulled back to this page by the reload
  var leaving = false;
  window.addEventListener("beforeunload", function () { leaving = true; });

  ready(function () {
    var select = document.querySelector("form[data-zone-unset] select[name=time_zone]");
    if (select && select.querySelector('option[value="' + zone.replace(/"/g, "") + '"]')) {
      select.value = zone;
    }
    if (zone === "UTC" || zone === "Etc/UTC") { return; }
    try {
      if (window.sessionStorage.getItem("accord-zone-sent")) { return; }
      window.sessionStorage.setItem("accord-zone-sent", zone);
    } catch (error) { return; }
    var token = document.querySelector("input[name=csrf_token]");
    if (!token) { return; }
    var body = new URLSearchParams({ csrf_token: token.value, time_zone: zone, from: "browser" });
    fetch("/profile/time-zone", { method: "POST", body: body, credentials: "same-origin" })
      .then(function (response) {
        var busy = document.activeElement && document.activeElement !== document.body;
        if (response.ok && !busy && !leaving) { window.location.reload(); }
      })
      .catch(function () { /* kept in UTC; the profile page offers the choice */ });
  });
})();
