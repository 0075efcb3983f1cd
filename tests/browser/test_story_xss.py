"""Hostile stories, tags and replies render inert in a real browser, on every page that shows
them: no dialog opens, no script from them exists, no link runs script, no handler is set."""

from __future__ import annotations

from browsing import NewPage, Organization, PageWatch
from playwright.sync_api import Dialog, Page

from accord.org import service as org
from accord.stories import service as stories
from xss_payloads import PAYLOADS

# Everything on the page that could run script: foreign scripts, handlers, script URLs.
RISKS = """() => {
  const risky = [];
  for (const s of document.querySelectorAll("script")) {
    const path = s.src ? new URL(s.src).pathname : "";
    if (!path.startsWith("/static/")) risky.push("script: " + s.outerHTML.slice(0, 120));
  }
  for (const el of document.querySelectorAll("*")) {
    for (const a of el.attributes) {
      const value = a.value.replace(/[\\s\\u0000-\\u001f]/g, "").toLowerCase();
      if (a.name.toLowerCase().startsWith("on"))
        risky.push("handler: " + el.tagName + " " + a.name);
      if (/^(javascript|vbscript|data):/.test(value))
        risky.push("url: " + el.tagName + " " + a.name + "=" + a.value.slice(0, 80));
    }
  }
  // Where story content shows (charts elsewhere on a page are the app's own SVG).
  const content = ".markdown, .story-card, .tags, .tag-cloud, .results, #thread, h1, textarea";
  for (const el of document.querySelectorAll("iframe, object, embed, img, svg, math, style"))
    if (el.closest(content)) risky.push("element: " + el.outerHTML.slice(0, 120));
  return risky;
}"""


def hostile_stories(organization: Organization) -> list[str]:
    """Stories whose titles, bodies, tags and replies are the corpus; their keys."""
    uow = organization.uow()
    bo = org.get_person(uow, organization.care_lead)
    cy = org.get_person(uow, organization.care_member)
    body = "\n\n".join(PAYLOADS)
    keys = []
    for n, title in enumerate(PAYLOADS[:4]):
        story = stories.create_story(
            uow,
            bo,
            key=f"xss-{n}",
            title=title,
            body=body,
            tags=["xss", "<script>alert(1)</script>", "<svg onload=alert(1)>"],
            partnerships=[organization.partnership],
            results=PAYLOADS[n + 4],
            metric_name=PAYLOADS[n + 8][:200],
            metric_value=1,
            metric_unit="<b>u</b>",
        )
        keys.append(story.key)
    for payload in PAYLOADS:
        stories.reply(uow, cy, keys[0], payload)
    return keys


def inert(page: Page, path: str, dialogs: list[str]) -> None:
    response = page.goto(path)
    assert response is not None
    assert response.status == 200, f"{path} answered {response.status}"
    page.wait_for_load_state("load")
    page.wait_for_timeout(100)  # a handler that fires on load or focus has fired by now
    assert dialogs == [], f"{path} opened dialogs: {dialogs}"
    risks = page.evaluate(RISKS)
    assert risks == [], f"{path}: {risks}"


def test_hostile_stories_tags_and_replies_render_inert(
    new_page: NewPage, organization: Organization, page_watch: PageWatch
) -> None:
    keys = hostile_stories(organization)
    dialogs: list[str] = []
    for email in (organization.care_lead, organization.admin):
        page = new_page(email)

        def seen(dialog: Dialog) -> None:
            dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", seen)
        for path in (
            "/stories",
            "/stories?q=script",
            f"/stories/{keys[0]}",
            f"/stories/{keys[1]}",
            "/stories/tags/xss",
            "/stories/tags/script-alert-1-script",
            f"/stories/{keys[0]}/edit",
            f"/partnerships/{organization.partnership}",
        ):
            inert(page, path, dialogs)
        # The text is there, shown as text: the escaping did not just drop it.
        page.goto(f"/stories/{keys[0]}")
        assert "<script>alert('xss-1')</script>" in page.locator("main").inner_text()
        assert page.locator("h1").inner_text() == PAYLOADS[0]
