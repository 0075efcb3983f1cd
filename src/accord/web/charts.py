"""Charts drawn on the server as SVG: no script, so they pass the page's CSP and print well."""

from __future__ import annotations
