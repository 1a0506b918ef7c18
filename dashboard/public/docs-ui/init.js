// Starts Swagger UI on /api/docs. A file of its own, so the page's Content-Security-Policy needs no inline script.
window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true, tryItOutEnabled: false });
