// The API docs pages: Swagger UI at /docs and ReDoc at /redoc, on files this server serves.
// Loads this server's OpenAPI document and hands it to the page's viewer. When the server asks
// for a bearer token (401), asks the user for it and keeps it in the tab's sessionStorage, as
// the chat page does; Swagger UI's "Try it out" sends it too. Plain script, no build step,
// nothing from elsewhere.
"use strict";

(() => {
  const TOKEN_KEY = "moodmoji.token"; // the chat page's key: one token per tab
  const script = document.currentScript; // only set while this file first runs

  const storedToken = () => sessionStorage.getItem(TOKEN_KEY);

  async function loadDocument(url) {
    for (let refused = false; ; refused = true) {
      const token = storedToken();
      const response = await fetch(url, {
        headers: token ? { Authorization: `Bearer ${token}` } : {},
        cache: "no-store",
      });
      if (response.status !== 401) {
        if (!response.ok) throw new Error(`${url} answered ${response.status}`);
        return response.json();
      }
      const given = window.prompt(
        refused || token
          ? "That token was refused. The server's bearer token:"
          : "This server asks for its bearer token:",
      );
      if (!given || !given.trim()) throw new Error("the API document needs the server's token");
      sessionStorage.setItem(TOKEN_KEY, given.trim());
    }
  }

  function withToken(request) {
    const token = storedToken();
    if (token && !request.headers.Authorization) {
      request.headers.Authorization = `Bearer ${token}`; // unless "Authorize" set one
    }
    return request;
  }

  function showSwaggerUi(element, spec) {
    window.ui = window.SwaggerUIBundle({
      spec,
      domNode: element,
      layout: "BaseLayout",
      presets: [window.SwaggerUIBundle.presets.apis],
      deepLinking: true,
      validatorUrl: null, // the public validator's badge would load from elsewhere
      requestInterceptor: withToken,
    });
  }

  function showRedoc(element, spec) {
    window.Redoc.init(
      spec,
      {
        nonce: script.nonce, // ReDoc writes its styles into <style> elements: this lets them in
        nativeScrollbars: true, // its custom scroll bars' style comes too early for the nonce
        disableSearch: true, // search runs in a blob: worker, which the policy refuses
      },
      element,
    );
  }

  async function main() {
    const swagger = document.getElementById("swagger-ui");
    const element = swagger || document.getElementById("redoc");
    try {
      const spec = await loadDocument(element.dataset.openapiUrl);
      (swagger ? showSwaggerUi : showRedoc)(element, spec);
    } catch (error) {
      element.className = "docs-error";
      element.textContent = `Could not load the API description: ${error.message}`;
    }
  }

  main();
})();
