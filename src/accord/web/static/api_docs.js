// Starts Swagger UI on /api/docs from the vendored bundle: a file of ours, since the CSP
// allows no inline script, and no validator badge, so the page asks nothing of other sites.
(function () {
  "use strict";
  if (typeof window.SwaggerUIBundle !== "function") { return; }
  window.SwaggerUIBundle({
    url: "/api/openapi.json",
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    presets: [window.SwaggerUIBundle.presets.apis],
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    validatorUrl: null
  });
})();
