"""Each section's rows on import: what a row needs to be there before it (`check_*`, every
missing thing a problem at its path) and the use cases that apply it (`apply_*`)."""

from __future__ import annotations

from typing import NoReturn

from accord.commitments import service as commitments
from accord.commitments.domain import Move, Replay
from accord.errors import RuleBroken
from accord.health import service as health
from accord.interchange.replay import ImportReplay
from accord.interchange.report import Adjustment, Problem
from accord.interchange.schemas import (
    CommitmentDoc,
    HealthCheckDoc,
    MeasureDoc,
    MoveDoc,
    PartnershipDoc,
    PersonDoc,
    PurposeDoc,
    StoryDoc,
    TeamDoc,
)
from accord.org import service as org
from accord.org.domain import GlobalRole
from accord.partnerships import service as partnerships
from accord.purposes import service as purposes
from accord.purposes.domain import PurposeStatus
from accord.stories import service as stories

# The statuses a purpose goes through on import to end where the document says it is.
PURPOSE_PATHS: dict[PurposeStatus, list[PurposeStatus]] = {
    PurposeStatus.DRAFT: [],
    PurposeStatus.ACTIVE: [PurposeStatus.ACTIVE],
    PurposeStatus.ACHIEVED: [PurposeStatus.ACTIVE, PurposeStatus.ACHIEVED],
    PurposeStatus.ABANDONED: [PurposeStatus.ABANDONED],
}


def nothing_needed(run: ImportReplay, path: str, doc: object) -> list[Problem]:
    """For the sections whose rows check what they need as they are applied."""
    return []


def check_team(run: ImportReplay, path: str, doc: TeamDoc) -> list[Problem]:
    if doc.parent is not None and run.uow.org.find_team(doc.parent) is None:
        return [Problem(f"{path}.parent", f"no team {doc.parent!r}")]
    return []


def apply_team(run: ImportReplay, path: str, doc: TeamDoc) -> None:
    with run.at(path):
        org.create_team(
            run.uow,
            run.actor,
            slug=doc.slug,
            name=doc.name,
            kind=doc.kind,
            mission=doc.mission,
            parent=doc.parent,
        )


def apply_person(run: ImportReplay, path: str, doc: PersonDoc) -> None:
    with run.at(path):
        # a viewer or a deactivated person acted before; they become so after the replay
        first_role = GlobalRole.MEMBER if doc.role == GlobalRole.VIEWER else doc.role
        org.create_person(run.uow, run.actor, email=doc.email, name=doc.name, role=first_role)
        if first_role != doc.role or not doc.active:
            run.later_accounts.append((path, doc))
        for m_index, membership in enumerate(doc.memberships):
            if run.uow.org.find_team(membership.team) is None:
                run.problems.append(
                    Problem(f"{path}.memberships[{m_index}].team", f"no team {membership.team!r}")
                )
                continue
            with run.at(f"{path}.memberships[{m_index}]"):
                org.set_membership(run.uow, run.actor, membership.team, doc.email, membership.role)
            run.note_membership(doc.email, membership.team, membership.left_at)
            if membership.left_at is not None:
                run.later_departures.append(
                    (
                        membership.left_at,
                        membership.team,
                        doc.email,
                        f"{path}.memberships[{m_index}].left_at",
                    )
                )


def check_purpose(run: ImportReplay, path: str, doc: PurposeDoc) -> list[Problem]:
    if doc.sponsor is not None and run.uow.org.find_person(doc.sponsor) is None:
        return [Problem(f"{path}.sponsor", f"no person {doc.sponsor!r}")]
    if doc.parent is not None and run.uow.purposes.find(doc.parent) is None:
        return [Problem(f"{path}.parent", f"no purpose {doc.parent!r}")]
    return []


def apply_purpose(run: ImportReplay, path: str, doc: PurposeDoc) -> None:
    with run.at(path):
        purposes.create_purpose(
            run.uow,
            run.actor,
            key=doc.key,
            title=doc.title,
            statement=doc.statement,
            sponsor=doc.sponsor,
            target_date=doc.target_date,
            parent=doc.parent,
        )
        for m_index, measure in enumerate(doc.measures):
            _measure(run, doc.key, f"{path}.measures[{m_index}]", measure)
        for status in PURPOSE_PATHS[doc.status]:
            purposes.set_status(run.uow, run.actor, doc.key, status)


def _measure(run: ImportReplay, key: str, path: str, doc: MeasureDoc) -> None:
    """The measure now; its updates once the partnerships are in (`measure_updates`)."""
    with run.at(path):
        purposes.add_measure(
            run.uow,
            run.actor,
            key,
            name=doc.name,
            unit=doc.unit,
            baseline=doc.baseline,
            target=doc.target,
            current=None if doc.updates else doc.current,
        )
        if doc.updates:
            run.later_updates.append((key, path, doc))


def check_partnership(run: ImportReplay, path: str, doc: PartnershipDoc) -> list[Problem]:
    if run.uow.purposes.find(doc.purpose) is None:
        return [Problem(f"{path}.purpose", f"no purpose {doc.purpose!r}")]
    missing = [
        Problem(f"{path}.parties[{p_index}].team", f"no team {party.team!r}")
        for p_index, party in enumerate(doc.parties)
        if run.uow.org.find_team(party.team) is None
    ]
    if missing:
        return missing
    return [
        Problem(f"{path}.parties[{p_index}].affirmed_by", "a party that left affirms no charter")
        for p_index, party in enumerate(doc.parties)
        if party.left_at is not None and (party.affirmed_by or party.affirmed_at)
    ]


def apply_partnership(run: ImportReplay, path: str, doc: PartnershipDoc) -> None:
    with run.at(path):
        partnerships.create_partnership(
            run.uow,
            run.actor,
            key=doc.key,
            name=doc.name,
            purpose=doc.purpose,
            parties=[(p.team, p.contribution) for p in doc.parties],
            working_agreements=doc.working_agreements,
            review_every_days=doc.review_every_days,
            imported=True,
        )
        affirmed = sorted(
            (p for p in enumerate(doc.parties) if p[1].affirmed_by is not None),
            key=lambda item: (item[1].affirmed_at is None, item[1].affirmed_at, item[0]),
        )
        run.parties_left += [
            (party.left_at, doc.key, party.team, f"{path}.parties[{p_index}].left_at")
            for p_index, party in enumerate(doc.parties)
            if party.left_at is not None
        ]
        for p_index, party in affirmed:
            party_path = f"{path}.parties[{p_index}]"
            assert party.affirmed_by is not None  # only affirmed parties are listed
            if party.affirmed_at is None:
                run.problems.append(
                    Problem(f"{party_path}.affirmed_at", "is needed with affirmed_by")
                )
                continue
            gone = run.left_before(party.affirmed_by, (party.team,), party.affirmed_at)
            if gone is not None:
                run.problems.append(Problem(f"{party_path}.affirmed_by", gone))
                continue
            with run.at(party_path):
                partnerships.affirm(
                    run.uow,
                    run.actor,
                    doc.key,
                    party.team,
                    at=party.affirmed_at,
                    by=party.affirmed_by,
                )


def apply_commitment(run: ImportReplay, path: str, doc: CommitmentDoc) -> None:
    """The history move by move, each by the person the document names; the first problem
    ends it."""
    first = doc.history[0]
    if first.move != Move.REQUEST:
        run.problems.append(
            Problem(
                f"{path}.history[0]", f"a history starts with 'request', not {first.move.value!r}"
            )
        )
        return
    for m_index, step in enumerate(doc.history):
        step_path = f"{path}.history[{m_index}]"
        known = run.uow.org.find_person(step.by) is not None
        wrong = history_problem(run, doc, m_index, step_path, known)
        if wrong is not None:
            run.problems.append(wrong)
            return
        before = len(run.problems)
        replay = Replay(run.actor)
        with run.at(step_path):
            actor = run.person(step.by)
            if m_index == 0:
                missing_terms(step)
                commitments.request(
                    run.uow,
                    actor,
                    key=doc.key,
                    partnership=doc.partnership,
                    requester=doc.requester,
                    performer=doc.performer,
                    at=step.at,
                    title=step.title or "",
                    due=step.due or step.at,
                    conditions_of_satisfaction=step.conditions_of_satisfaction or "",
                    reliance=step.reliance,
                    measure=step.measure,
                    replay=replay,
                )
            else:
                commitments.move(
                    run.uow,
                    actor,
                    doc.key,
                    step.move,
                    version=None,
                    at=step.at,
                    replay=replay,
                    **step.args(),
                )
        if len(run.problems) > before:
            return
        run.adjustments.extend(Adjustment(step_path, note) for note in replay.notes)


def history_problem(
    run: ImportReplay, doc: CommitmentDoc, m_index: int, step_path: str, known: bool
) -> Problem | None:
    """What stops the move `m_index` of a history before its rules are asked: a person who is
    not there (`known` False), a move back in time, a mover who had left both teams."""
    step = doc.history[m_index]
    if not known:
        return Problem(f"{step_path}.by", f"no person {step.by!r}")
    if m_index and step.at < doc.history[m_index - 1].at:
        return Problem(f"{step_path}.at", "goes back in time from the move before")
    gone = run.left_before(step.by, (doc.requester, doc.performer), step.at)
    if gone is not None:
        return Problem(f"{step_path}.by", gone)
    return None


def missing_terms(step: MoveDoc) -> None:
    """A request names its title and due date."""
    if step.title is None or step.due is None:
        _missing(step)


def _missing(step: MoveDoc) -> NoReturn:
    needed = [name for name in ("title", "due") if getattr(step, name) is None]
    raise RuleBroken(f"'request' needs {', '.join(needed)}", rule="commitment.missing_field")


def check_health_check(run: ImportReplay, path: str, doc: HealthCheckDoc) -> list[Problem]:
    if run.uow.partnerships.find(doc.partnership) is None:
        return [Problem(f"{path}.partnership", f"no partnership {doc.partnership!r}")]
    emails = [("opened_by", doc.opened_by)] if doc.opened_by else []
    emails += [(f"answered_by[{i}]", email) for i, email in enumerate(doc.answered_by)]
    return [
        Problem(f"{path}.{where}", f"no person {email!r}")
        for where, email in emails
        if run.uow.org.find_person(email) is None
    ]


def apply_health_check(run: ImportReplay, path: str, doc: HealthCheckDoc) -> None:
    before = len(run.problems)
    with run.at(path):
        health.open_round(
            run.uow,
            run.settings,
            run.actor,
            doc.partnership,
            doc.closes_at,
            key=doc.key,
            opened_at=doc.opened_at,
            opened_by=doc.opened_by,
            imported=True,
            parties=[party.team for party in doc.parties],
        )
    if len(run.problems) > before:
        return
    with run.at(f"{path}.parties"):
        health.set_tallies(
            run.uow,
            run.actor,
            doc.key,
            {
                party.team: (
                    party.responses,
                    None
                    if party.distribution is None
                    else {s.value: row for s, row in party.distribution.items()},
                )
                for party in doc.parties
            },
            answered_by=doc.answered_by,
        )


def check_story(run: ImportReplay, path: str, doc: StoryDoc) -> list[Problem]:
    emails = [("author", doc.author)]
    emails += [("hidden.by", doc.hidden.by)] if doc.hidden and doc.hidden.by else []
    emails += [(f"replies[{i}].author", r.author) for i, r in enumerate(doc.replies)]
    return [
        Problem(f"{path}.{where}", f"no person {email!r}")
        for where, email in emails
        if run.uow.org.find_person(email) is None
    ]


def apply_story(run: ImportReplay, path: str, doc: StoryDoc) -> None:
    before = len(run.problems)
    with run.at(path):
        story = stories.create_story(
            run.uow,
            run.actor,
            key=doc.key,
            title=doc.title,
            body=doc.body,
            tags=doc.tags,
            partnerships=doc.partnerships,
            teams=doc.teams,
            purposes=doc.purposes,
            results=doc.results,
            metric_name=doc.metric.name if doc.metric else None,
            metric_value=doc.metric.value if doc.metric else None,
            metric_unit=doc.metric.unit if doc.metric else None,
            at=doc.created_at,
            author=doc.author,
            imported=True,
        )
    if len(run.problems) > before:
        return
    for r_index, reply in enumerate(doc.replies):
        with run.at(f"{path}.replies[{r_index}]"):
            stories.reply(
                run.uow,
                run.actor,
                doc.key,
                reply.body,
                author=reply.author,
                at=reply.at,
                imported=True,
            )
    with run.at(path):
        stories.set_imported_state(
            run.uow,
            run.actor,
            story.key,
            updated_at=doc.updated_at or doc.created_at,
            hidden_at=doc.hidden.at if doc.hidden else None,
            hidden_by=doc.hidden.by if doc.hidden else None,
            hidden_reason=doc.hidden.reason if doc.hidden else None,
        )
