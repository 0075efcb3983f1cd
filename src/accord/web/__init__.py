"""Server-rendered pages (Jinja2) for people."""
