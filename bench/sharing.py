"""Health checks and stories on a large organization: seed them, then time their pages.

    python bench/sharing.py --database /tmp/accord-bench.db --stories 10000 --repeat 15

Migrates the database, then, if it has no stories yet, shares `--stories` stories through the
service (by members of random teams, 60 words of a 400-word vocabulary each, 1-4 of 40 tags,
linked to a partnership, every fifth with two replies) and imports two closed health-check
rounds on each of `--partnerships` partnerships (among them every partnership of the busiest
team, whose lead reads the pages). It then serves the database and asks each page `--repeat`
times, as that lead and as an admin, beside /healthz in the same run.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pages import _subject, _time, served, session_cookie

STATEMENTS = ("purpose", "direction", "ability", "integrity", "value", "overall")


def _vocabulary(rng: random.Random) -> list[str]:
    syllables = ["ka", "lo", "mi", "ter", "sun", "ra", "vel", "don", "pi", "shu", "bar", "en"]
    words: set[str] = set()
    while len(words) < 400:
        words.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def seed(database: str, stories_wanted: int, partnerships_wanted: int) -> dict[str, Any]:
    from accord.config import Settings
    from accord.db import make_engine, migrate
    from accord.health import service as health
    from accord.org.domain import GlobalRole, Operator
    from accord.partnerships.orm import partnerships_table
    from accord.stories import service as stories
    from accord.stories.orm import stories_table
    from accord.uow import UnitOfWork

    rng = random.Random(11)
    engine = make_engine(f"sqlite:///{database}")
    migrate(engine)
    subject = _subject(database)
    operator = Operator("bench")
    settings = Settings(database_url=f"sqlite:///{database}")
    with UnitOfWork(engine) as uow:
        have = uow.session.scalar(select(func.count()).select_from(stories_table)) or 0
        people = [
            p for p in uow.org.people() if p.role == GlobalRole.MEMBER and p.current_memberships
        ]
        keys = list(uow.session.scalars(select(partnerships_table.c.key)))
        mine = [p.key for p in uow.partnerships.list(team=uow.org.team(subject["team"]))]
        emails = [p.email for p in people]
    vocabulary = _vocabulary(rng)
    tags = [f"tag-{n}" for n in range(40)]
    made = {"stories": 0, "rounds": 0}
    started = time.perf_counter()
    if not have:
        for n in range(stories_wanted):
            author = rng.choice(emails)
            uow = UnitOfWork(engine)
            with uow:
                person = uow.org.person(author)
            story = stories.create_story(
                uow,
                person,
                title=" ".join(rng.choices(vocabulary, k=6)).capitalize(),
                body=" ".join(rng.choices(vocabulary, k=60)),
                tags=rng.sample(tags, rng.randint(1, 4)),
                partnerships=[rng.choice(mine if n % 50 == 0 else keys)],
            )
            if n % 5 == 0:
                for _ in range(2):
                    with uow:
                        replier = uow.org.person(rng.choice(emails))
                    stories.reply(uow, replier, story.key, " ".join(rng.choices(vocabulary, k=20)))
            made["stories"] += 1
        chosen = list(
            dict.fromkeys([*mine, *rng.sample(keys, min(partnerships_wanted, len(keys)))])
        )
        for key in chosen:
            uow = UnitOfWork(engine)
            now = uow.now()
            with uow:
                partnership = uow.partnerships.get(key)
                teams = [party.team.slug for party in partnership.parties]
                if not partnership.is_open or len(teams) < 2:
                    continue
            # Rounds of a few seconds, over by the time the pages are read: a round opened in the
            # past would read the trust of that instant, which replays the log.
            for number in (1, 2):
                round_key = f"{key}-bench-{number}"
                opened = now + timedelta(seconds=2 * number)
                health.open_round(
                    uow,
                    settings,
                    operator,
                    key,
                    opened + timedelta(seconds=1),
                    key=round_key,
                    opened_at=opened,
                    imported=True,
                )
                tallies: dict[str, tuple[int, dict[str, list[int]] | None]] = {}
                for team in teams:
                    responses = rng.randint(1, 6)
                    counts = {s: [0] * 5 for s in STATEMENTS}
                    for _ in range(responses):
                        for s in STATEMENTS:
                            counts[s][rng.randint(0, 4)] += 1
                    tallies[team] = (responses, counts)
                health.set_tallies(uow, operator, round_key, tallies)
                made["rounds"] += 1
    engine.dispose()
    made["seconds"] = round(time.perf_counter() - started, 1)
    subject["word"] = vocabulary[7]
    subject["words"] = f"{vocabulary[7]} {vocabulary[300]}"
    return {"subject": subject, "made": made}


def _admin(database: str) -> tuple[int, int]:
    from accord.db import make_engine
    from accord.org.domain import GlobalRole
    from accord.uow import UnitOfWork

    engine = make_engine(f"sqlite:///{database}")
    with UnitOfWork(engine, read_only=True) as uow:
        admin = next(p for p in uow.org.people() if p.role == GlobalRole.ADMIN)
        found = (admin.id or 0, admin.session_epoch)
    engine.dispose()
    return found


def _latest_round(database: str, partnership: str) -> str:
    from accord.db import make_engine
    from accord.health import service as health
    from accord.uow import UnitOfWork

    engine = make_engine(f"sqlite:///{database}")
    rounds = health.rounds_on(UnitOfWork(engine, read_only=True), partnership)
    engine.dispose()
    return rounds[-1].key


def run(args: argparse.Namespace) -> dict[str, Any]:
    seeded = seed(args.database, args.stories, args.partnerships)
    subject = seeded["subject"]
    round_key = _latest_round(args.database, subject["partnership"])
    admin_id, admin_epoch = _admin(args.database)
    lead_pages = {
        "ceiling: /healthz": "/healthz",
        "health (lead)": "/health",
        "a round with its results": f"/health-checks/{round_key}",
        "round results (API)": f"/api/v1/health-checks/{round_key}/results",
        "partnership with health, stories, timeline": f"/partnerships/{subject['partnership']}",
        "stories": "/stories",
        "stories, search one word": f"/stories?q={subject['word']}",
        "stories, search two words": f"/stories?q={subject['words'].replace(' ', '+')}",
        "stories search (API)": f"/api/v1/stories?q={subject['word']}",
        "a tag page": "/stories/tags/tag-7",
        "Atom feed": "/stories/feed.atom",
    }
    admin_pages = {"health, organization-wide (admin)": "/health"}
    figures: dict[str, Any] = {}
    with served(args.database) as base:
        lead = session_cookie(int(subject["person_id"]), int(subject["epoch"]))
        with httpx.Client(base_url=base, cookies=lead, timeout=600) as client:
            for name, path in lead_pages.items():
                figures[name] = _time(client, path, args.repeat)
        admin = session_cookie(admin_id, admin_epoch)
        with httpx.Client(base_url=base, cookies=admin, timeout=600) as client:
            for name, path in admin_pages.items():
                figures[name] = _time(client, path, args.repeat)
    return {**seeded, "pages": figures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="/tmp/accord-bench.db")
    parser.add_argument("--stories", type=int, default=10_000)
    parser.add_argument("--partnerships", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    result = run(args)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"seeded: {result['made']}")
    ceiling = result["pages"]["ceiling: /healthz"]["median_ms"]
    print(f"{'page':<45} {'median ms':>10} {'max ms':>10} {'x ceiling':>10}")
    for name, row in result["pages"].items():
        ratio = row["median_ms"] / ceiling if ceiling else float("nan")
        print(f"{name:<45} {row['median_ms']:>10.1f} {row['max_ms']:>10.1f} {ratio:>10.1f}")


if __name__ == "__main__":
    main()
