/*
 * learngraph: boots the vendored Swagger UI on our OpenAPI document.
 * Kept in a file (not inline) so a strict CSP (script-src 'self') allows it.
 */
(function () {
  "use strict";

  var container = document.getElementById("swagger-ui");
  var openapiUrl =
    container.getAttribute("data-openapi-url") || "/api/openapi.json";

  window.ui = SwaggerUIBundle({
    url: new URL(openapiUrl, window.location.href).toString(),
    dom_id: "#swagger-ui",
    deepLinking: true,
    // The default validator badge calls an outside service: off.
    validatorUrl: null,
    // "Try it out" sends the session cookie.
    withCredentials: true,
    presets: [SwaggerUIBundle.presets.apis],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: "BaseLayout",
  });
})();
