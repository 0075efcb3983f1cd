"""The story pages through HTTP: the feed, search, a story, its forms, tag pages, the Atom feed."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime

import feedparser
import httpx
import pytest
from sqlalchemy import Engine
from web_session import PASSWORD, post_form, sign_in_as

from accord.errors import NotFound
from accord.org import service as org
from accord.org.domain import Operator
from accord.stories import service as stories
from accord.uow import UnitOfWork
from factories import make_partnership, make_person, make_team

ATOM = "{http://www.w3.org/2005/Atom}"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
XSS_TITLE = '<script>alert("t")</script> & <img src=x onerror=alert(1)>'


@pytest.fixture
def uow(sqlite_engine: Engine) -> UnitOfWork:
    """Data (Ana leads, Cy a member) and Care (Bo leads) partner in `signals`; Vi views; Root
    administers. Ana told one story of `signals`, with a reply by Bo."""
    uow = UnitOfWork(sqlite_engine)
    make_team(uow, "data", name="Data")
    make_team(uow, "care", name="Customer Care")
    ana = make_person(uow, "ana@example.org", teams={"data": "lead"}, name="Ana")
    bo = make_person(uow, "bo@example.org", teams={"care": "lead"}, name="Bo")
    make_person(uow, "cy@example.org", teams={"data": "member"}, name="Cy")
    make_person(uow, "vi@example.org", role="viewer", name="Vi")
    make_person(uow, "root@example.org", role="admin", name="Root")
    emails = ["ana@example.org", "bo@example.org", "cy@example.org", "vi@example.org"]
    org.set_passwords(uow, Operator(), [*emails, "root@example.org"], PASSWORD)
    make_partnership(uow, ana, key="signals", parties=[("data", "Signals"), ("care", "Playbooks")])
    stories.create_story(
        uow,
        ana,
        key="kickoff",
        title="Our kick-off",
        body="We **met** in person.\n\n- one\n- two",
        tags=["Kick Off", "rituals"],
        partnerships=["signals"],
        results="Fewer hand-offs.",
        metric_name="Hand-offs",
        metric_value=3,
        metric_unit="per week",
    )
    stories.reply(uow, bo, "kickoff", "Same for *us*.")
    return uow


def test_the_feed_lists_stories_with_tags_and_searches(
    client: httpx.Client, uow: UnitOfWork
) -> None:
    sign_in_as(client, "vi@example.org")

    page = client.get("/stories")
    found = client.get("/stories", params={"q": "person"})
    none = client.get("/stories", params={"q": 'NEAR( "*'})

    assert page.status_code == 200
    assert 'href="/stories/kickoff"' in page.text
    assert "We met in person." in page.text  # first lines, as words
    assert 'href="/stories/tags/kick-off"' in page.text
    assert 'href="/stories/new"' not in page.text  # a viewer shares no story
    assert 'href="/stories/kickoff"' in found.text
    assert none.status_code == 200


def test_a_story_page_shows_the_rendered_body_results_links_and_thread(
    client: httpx.Client, uow: UnitOfWork
) -> None:
    sign_in_as(client, "cy@example.org")

    page = client.get("/stories/kickoff")

    assert page.status_code == 200
    assert "<strong>met</strong>" in page.text
    assert "<li>one</li>" in page.text
    assert "<em>us</em>" in page.text
    assert "Fewer hand-offs." in page.text
    assert "per week" in page.text
    assert 'href="/partnerships/signals"' in page.text
    assert 'action="/stories/kickoff/replies"' in page.text
    assert 'href="/stories/kickoff/edit"' not in page.text  # not Cy's story
    assert 'action="/stories/kickoff/hide"' not in page.text


def test_a_member_shares_a_story_from_the_partnership_page(
    client: httpx.Client, uow: UnitOfWork
) -> None:
    sign_in_as(client, "cy@example.org")
    partnership_page = client.get("/partnerships/signals")
    assert 'href="/stories/kickoff"' in partnership_page.text
    assert 'href="/stories/new?partnership=signals"' in partnership_page.text
    form = client.get("/stories/new?partnership=signals")
    assert re.search(r'<option value="signals" selected>', form.text)

    response = post_form(
        client,
        "/stories/new",
        {
            "title": "Weekly demo",
            "body": "We show, not tell.",
            "tags": "demos, Rituals",
            "partnerships": "signals",
            "results": "",
            "metric_value": "",
        },
    )

    assert response.status_code == 303
    assert response.headers["location"] == "/stories/weekly-demo"
    story = stories.get_story(uow, Operator(), "weekly-demo")
    assert story.tags == ["demos", "rituals"]
    assert [p.key for p in story.partnerships] == ["signals"]
    assert story.author.email == "cy@example.org"


def test_a_refused_story_shows_why_beside_the_field_and_keeps_what_was_typed(
    client: httpx.Client, uow: UnitOfWork
) -> None:
    sign_in_as(client, "cy@example.org")

    no_title = post_form(client, "/stories/new", {"title": " ", "body": "Kept text"})
    bad_tag = post_form(client, "/stories/new", {"title": "T", "body": "B", "tags": "ok, !!"})
    bad_metric = post_form(
        client,
        "/stories/new",
        {"title": "T", "body": "B", "metric_name": "x", "metric_value": "lots"},
    )

    assert no_title.status_code == 422
    assert re.search(
        r'id="story-title-error" class="field-error">Title must not be empty', no_title.text
    )
    assert "Kept text" in no_title.text
    assert bad_tag.status_code == 422
    assert 'id="story-tags-error"' in bad_tag.text
    assert bad_metric.status_code == 422
    assert 'id="story-metric_value-error"' in bad_metric.text
    assert [s.key for s in stories.list_stories(uow, Operator())] == ["kickoff"]


def test_a_viewer_who_posts_anyway_is_refused(client: httpx.Client, uow: UnitOfWork) -> None:
    sign_in_as(client, "vi@example.org")

    story = post_form(client, "/stories/new", {"title": "Sneaky", "body": "b"})
    answer = post_form(client, "/stories/kickoff/replies", {"body": "Sneaky"})

    assert story.status_code == 403
    assert answer.status_code == 403
    assert len(stories.get_story(uow, Operator(), "kickoff").replies) == 1
    assert [s.key for s in stories.list_stories(uow, Operator())] == ["kickoff"]


def test_the_author_edits_and_others_may_not(client: httpx.Client, uow: UnitOfWork) -> None:
    sign_in_as(client, "bo@example.org")
    assert client.get("/stories/kickoff/edit").status_code == 403
    refused = post_form(client, "/stories/kickoff/edit", {"title": "Mine now", "body": "x"})
    assert refused.status_code == 403

    sign_in_as(client, "ana@example.org")
    form = client.get("/stories/kickoff/edit")
    saved = post_form(
        client,
        "/stories/kickoff/edit",
        {
            "title": "Our first kick-off",
            "body": "Edited",
            "tags": "rituals",
            "partnerships": "signals",
        },
    )

    assert 'value="Kick-off' not in form.text
    assert "kick-off, rituals" in form.text
    assert saved.status_code == 303
    story = stories.get_story(uow, Operator(), "kickoff")
    assert (story.title, story.body, story.tags) == ("Our first kick-off", "Edited", ["rituals"])


def test_replies_are_posted_and_deleted_by_their_authors(
    client: httpx.Client, uow: UnitOfWork
) -> None:
    sign_in_as(client, "cy@example.org")
    empty = post_form(client, "/stories/kickoff/replies", {"body": " "})
    posted = post_form(client, "/stories/kickoff/replies", {"body": "Good *one*"})
    [_, mine] = stories.get_story(uow, Operator(), "kickoff").replies
    bos = stories.get_story(uow, Operator(), "kickoff").replies[0]

    refused = post_form(client, f"/stories/kickoff/replies/{bos.id}/delete", {})
    deleted = post_form(client, f"/stories/kickoff/replies/{mine.id}/delete", {})

    assert empty.status_code == 422
    assert 'id="reply-body-error"' in empty.text
    assert posted.status_code == 303
    assert posted.headers["location"] == f"/stories/kickoff#reply-{mine.id}"
    assert refused.status_code == 403
    assert deleted.status_code == 303
    assert [r.body for r in stories.get_story(uow, Operator(), "kickoff").replies] == [
        "Same for *us*."
    ]


def test_an_admin_hides_and_shows_and_then_only_author_and_admins_see_it(
    client: httpx.Client, uow: UnitOfWork
) -> None:
    sign_in_as(client, "root@example.org")
    no_reason = post_form(client, "/stories/kickoff/hide", {"reason": ""})
    hidden = post_form(client, "/stories/kickoff/hide", {"reason": "Names a customer"})
    assert no_reason.status_code == 422
    assert hidden.status_code == 303

    sign_in_as(client, "cy@example.org")
    assert client.get("/stories/kickoff").status_code == 404
    assert 'href="/stories/kickoff"' not in client.get("/stories").text
    assert 'href="/stories/kickoff"' not in client.get("/partnerships/signals").text
    assert post_form(client, "/stories/kickoff/hide", {"reason": "x"}).status_code == 404

    sign_in_as(client, "ana@example.org")
    own = client.get("/stories/kickoff")
    assert own.status_code == 200
    assert "Names a customer" in own.text
    assert post_form(client, "/stories/kickoff/show", {}).status_code == 403

    sign_in_as(client, "root@example.org")
    assert post_form(client, "/stories/kickoff/show", {}).status_code == 303
    assert stories.get_story(uow, Operator(), "kickoff").hidden is False


def test_the_author_deletes_the_story(client: httpx.Client, uow: UnitOfWork) -> None:
    sign_in_as(client, "bo@example.org")
    assert post_form(client, "/stories/kickoff/delete", {}).status_code == 403

    sign_in_as(client, "ana@example.org")
    response = post_form(client, "/stories/kickoff/delete", {})

    assert response.status_code == 303
    with pytest.raises(NotFound):
        stories.get_story(uow, Operator(), "kickoff")


def test_a_tag_page_lists_that_tags_stories(client: httpx.Client, uow: UnitOfWork) -> None:
    sign_in_as(client, "vi@example.org")

    page = client.get("/stories/tags/rituals")
    other = client.get("/stories/tags/nothing-here")
    redirected = client.get("/stories", params={"tag": "rituals"})

    assert page.status_code == 200
    assert "<h1>Stories tagged #rituals</h1>" in page.text
    assert 'href="/stories/kickoff"' in page.text
    assert 'href="/stories/kickoff"' not in other.text
    assert redirected.status_code == 303
    assert redirected.headers["location"] == "/stories/tags/rituals"


def test_pages_need_a_signed_in_person(client: httpx.Client, uow: UnitOfWork) -> None:
    for path in ("/stories", "/stories/kickoff", "/stories/new", "/stories/tags/rituals"):
        response = client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/sign-in")


def test_the_atom_feed_needs_a_session_or_a_token(client: httpx.Client, uow: UnitOfWork) -> None:
    token = org.create_token(uow, Operator(), "vi@example.org")

    anonymous = client.get("/stories/feed.atom")
    wrong = client.get("/stories/feed.atom", headers={"Authorization": "Bearer nope"})
    basic = client.get("/stories/feed.atom", headers={"Authorization": "Basic dmk6cHc="})
    with_token = client.get("/stories/feed.atom", headers={"Authorization": f"Bearer {token}"})
    sign_in_as(client, "vi@example.org")
    with_session = client.get("/stories/feed.atom")

    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    assert wrong.status_code == 401
    # another scheme is no credential: 401 with the challenge, not the sign-in page's redirect
    assert basic.status_code == 401
    assert basic.headers["www-authenticate"].startswith("Bearer")
    assert with_token.status_code == 200
    assert with_session.status_code == 200
    assert with_token.headers["content-type"].startswith("application/atom+xml")


def rfc4287_problems(document: bytes) -> list[str]:
    """What RFC 4287 requires of a feed and its entries that this document lacks."""
    root = ET.fromstring(document)
    problems = []
    if root.tag != f"{ATOM}feed":
        return ["the root is not atom:feed"]
    for name in ("id", "title", "updated"):
        if len(root.findall(f"{ATOM}{name}")) != 1:
            problems.append(f"feed needs exactly one atom:{name}")
    self_links = [ln for ln in root.findall(f"{ATOM}link") if ln.get("rel") == "self"]
    if len(self_links) != 1:
        problems.append("feed should have one link rel=self")
    feed_author = root.find(f"{ATOM}author/{ATOM}name") is not None
    times = [root.findtext(f"{ATOM}updated") or ""]
    ids = [root.findtext(f"{ATOM}id") or ""]
    for entry in root.findall(f"{ATOM}entry"):
        for name in ("id", "title", "updated"):
            if len(entry.findall(f"{ATOM}{name}")) != 1:
                problems.append(f"entry needs exactly one atom:{name}")
        if not feed_author and entry.find(f"{ATOM}author/{ATOM}name") is None:
            problems.append("an entry without an author in a feed without one")
        alternate = [
            ln for ln in entry.findall(f"{ATOM}link") if ln.get("rel", "alternate") == "alternate"
        ]
        if not alternate and entry.find(f"{ATOM}content") is None:
            problems.append("an entry needs a link rel=alternate or content")
        times += [entry.findtext(f"{ATOM}{n}") or "" for n in ("updated", "published")]
        ids.append(entry.findtext(f"{ATOM}id") or "")
    problems += [f"{t!r} is not an RFC 3339 date-time" for t in times if not RFC3339.match(t)]
    problems += [
        f"{i!r} is not an IRI" for i in ids if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$", i)
    ]
    if len(set(ids)) != len(ids):
        problems.append("ids repeat")
    return problems


def test_the_atom_feed_parses_and_has_what_rfc_4287_requires(
    client: httpx.Client, uow: UnitOfWork
) -> None:
    stories.create_story(
        uow,
        org.get_person(uow, "cy@example.org"),
        key="hostile",
        title=XSS_TITLE,
        body='[x](javascript:alert(1)) <script>alert(2)</script> ]]> &amp; "q"',
        tags=["rituals"],
    )
    sign_in_as(client, "vi@example.org")

    response = client.get("/stories/feed.atom")
    tagged = client.get("/stories/feed.atom", params={"tag": "kick-off"})
    parsed = feedparser.parse(response.content)

    assert rfc4287_problems(response.content) == []
    assert rfc4287_problems(tagged.content) == []
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.feed.title == "Accord stories"
    entries = {e.link.rsplit("/", 1)[1]: e for e in parsed.entries}
    assert set(entries) == {"kickoff", "hostile"}
    assert entries["kickoff"].author == "Ana"
    assert "<strong>met</strong>" in entries["kickoff"].content[0].value
    assert entries["hostile"].title == XSS_TITLE  # as text, escaped in the XML
    hostile = entries["hostile"].content[0].value
    assert "&lt;script&gt;" in hostile  # the text of a tag, not a tag
    assert not re.search(r"<script|href=\"?javascript:", hostile, re.IGNORECASE)
    assert b"<script" not in response.content  # every angle bracket of content is escaped
    assert [e.link.rsplit("/", 1)[1] for e in feedparser.parse(tagged.content).entries] == [
        "kickoff"
    ]
    assert datetime.fromisoformat(parsed.feed.updated.replace("Z", "+00:00")).tzinfo is not None
    assert response.text.count("<entry>") == 2


def test_the_feed_pages_newest_first(client: httpx.Client, uow: UnitOfWork) -> None:
    cy = org.get_person(uow, "cy@example.org")
    for n in range(21):
        stories.create_story(uow, cy, key=f"s-{n:02}", title=f"Story {n}", body="b")
    sign_in_as(client, "vi@example.org")

    first = client.get("/stories")
    following = re.search(r'href="/stories\?([^"]+)" rel="next"', first.text)
    assert following is not None
    second = client.get(f"/stories?{following.group(1).replace('&amp;', '&')}")

    shown = re.findall(r'<a href="/stories/([a-z0-9-]+)">', first.text + second.text)
    assert len(set(shown)) == 22
    assert 'rel="next"' not in second.text


def test_editing_a_story_keeps_every_digit_of_its_metric(
    client: httpx.Client, uow: UnitOfWork
) -> None:
    ana = org.get_person(uow, "ana@example.org")
    stories.update_story(uow, ana, "kickoff", metric_name="Calls", metric_value=1234567.0)
    sign_in_as(client, "ana@example.org")

    form = client.get("/stories/kickoff/edit")
    typed = re.search(r'name="metric_value"[^>]*value="([^"]*)"', form.text) or re.search(
        r'value="([^"]*)"[^>]*name="metric_value"', form.text
    )
    assert typed is not None
    assert typed.group(1) == "1234567"
    saved = post_form(
        client,
        "/stories/kickoff/edit",
        {"title": "Retitled", "body": "b", "metric_name": "Calls", "metric_value": typed.group(1)},
    )
    assert saved.status_code == 303
    assert stories.get_story(uow, Operator(), "kickoff").metric_value == 1234567.0

    stories.update_story(uow, ana, "kickoff", metric_value=0.004)
    assert "0.004" in client.get("/stories/kickoff").text  # not rounded to 0


def test_a_tag_page_answers_under_the_tag_as_kept(client: httpx.Client, uow: UnitOfWork) -> None:
    sign_in_as(client, "vi@example.org")

    loose = client.get("/stories/tags/Kick%20Off")

    assert loose.status_code == 303
    assert loose.headers["location"] == "/stories/tags/kick-off"


def test_a_story_titled_new_is_not_hidden_behind_the_form(
    client: httpx.Client, uow: UnitOfWork
) -> None:
    sign_in_as(client, "cy@example.org")

    response = post_form(client, "/stories/new", {"title": "New", "body": "A fresh start."})

    assert response.status_code == 303
    assert response.headers["location"] == "/stories/new-2"
    assert "A fresh start." in client.get("/stories/new-2").text


def test_an_admins_feed_is_full_of_stories_everyone_sees(
    client: httpx.Client, uow: UnitOfWork
) -> None:
    cy = org.get_person(uow, "cy@example.org")
    for n in range(50):
        stories.create_story(uow, cy, key=f"s-{n:02}", title=f"Story {n}", body="b")
    stories.create_story(uow, cy, key="newest", title="Newest", body="Names a customer")
    stories.hide_story(uow, org.get_person(uow, "root@example.org"), "newest", "Names a customer")
    sign_in_as(client, "root@example.org")

    entries = feedparser.parse(client.get("/stories/feed.atom").content).entries

    assert len(entries) == 50  # the hidden one left out, and not in place of another
    assert "newest" not in {e.link.rsplit("/", 1)[1] for e in entries}
