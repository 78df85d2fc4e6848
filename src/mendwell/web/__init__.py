"""The web application: HTML pages with htmx, and the JSON API."""
