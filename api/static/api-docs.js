/* Starts Swagger UI on the API docs page. A file, not an inline script: the Content-Security-Policy
   runs only scripts served by this site. The page gives the document's URL and the UI's settings. */
"use strict";
(function () {
  const box = document.getElementById("swagger-ui-container");
  const config = Object.assign({ url: box.dataset.specUrl, dom_id: "#swagger-ui-container" },
    JSON.parse(box.dataset.config || "{}"));
  window.ui = SwaggerUIBundle(config);
})();
