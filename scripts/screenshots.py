"""Retake the README's screenshots from the demo organization.

    .venv/bin/python scripts/screenshots.py          # writes docs/*.png

Builds a fresh demo database in a temporary directory, serves it, signs in as the demo's lead
(Ana Lima) in Chromium (Debian's, or ACCORD_TEST_CHROMIUM) at 1280 by 900, and photographs the
pages the README shows. Needs the dev tools (`make test` installs them).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
LEAD, PASSWORD = "ana.lima@example.org", "accord-demo"
PAGES = {
    "desk.png": "/",
    "commitments.png": "/commitments?mine=1",
    "search.png": "/search?q=churn",
    "trust-map.png": "/trust-map",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def main() -> int:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
        env["ACCORD_DATABASE_URL"] = f"sqlite:///{tmp}/demo.db"
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "accord"), "demo", "--port", str(port)],
            env=env,
            cwd=tmp,
            stdout=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.5)
            else:
                sys.stderr.write("the demo did not start within 180 s\n")
                return 1
            chromium = os.environ.get("ACCORD_TEST_CHROMIUM", "/usr/bin/chromium")
            with sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path=chromium, headless=True, args=["--no-sandbox"]
                )
                page = browser.new_page(
                    base_url=base, viewport={"width": 1280, "height": 900}, locale="en-GB"
                )
                page.goto("/sign-in")
                page.get_by_label("E-mail").fill(LEAD)
                page.get_by_label("Password").fill(PASSWORD)
                page.get_by_role("button", name="Sign in").click()
                page.wait_for_load_state("networkidle")
                for name, path in PAGES.items():
                    page.goto(path)
                    page.wait_for_load_state("networkidle")
                    page.screenshot(path=DOCS / name)
                    sys.stdout.write(f"docs/{name}: {path}\n")
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
