"""Forecasts of open commitments and of a purpose (DESIGN §2 Forecast)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from accord.commitments.domain import OPEN as OPEN_STATES
from accord.commitments.domain import Commitment, Reliance
from accord.config import Settings
from accord.db import UnitOfWork
from accord.errors import Forbidden
from accord.org.domain import Actor, Team
from accord.trust.model import Opinion, Outlook, PairGroup, outlook
from accord.trust.views import View, pair_level, view_at
from accord.trust.visibility import may_see_pair

HIGH_RELIANCE = frozenset({Reliance.HIGH, Reliance.CRITICAL})


@dataclass(frozen=True)
class CommitmentForecast:
    key: str
    requester: str
    performer: str
    reliance: str
    due: datetime
    overdue: bool
    probability: float | None


@dataclass(frozen=True)
class PurposeForecast:
    """DESIGN §2: the open commitments a purpose relies on (reliance high or critical)."""

    purpose: str
    as_of: datetime
    commitments: list[CommitmentForecast]
    outlook: Outlook
    complete: bool = True  # False: the reader may not see every pair, so the totals are withheld

    def document(self) -> dict[str, Any]:
        """The forecast as JSON: exact P(all), expected count, distribution, each commitment.

        A reader who may not see every pair gets no totals: with one pair hidden, the totals
        and the visible pairs would give its trust away.
        """
        from accord.events.domain import iso

        shown = self.complete
        return {
            "purpose": self.purpose,
            "as_of": iso(self.as_of),
            "complete": shown,
            "probability_all": self.outlook.probability_all if shown else None,
            "expected_count": self.outlook.expected_count if shown else None,
            "distribution": self.outlook.distribution if shown else None,
            "draws": self.outlook.draws,
            "seed": self.outlook.seed,
            "commitments": [{**asdict(c), "due": iso(c.due)} for c in self.commitments],
        }


def _forecast_row(
    commitment: Commitment, now: datetime, probability: float | None
) -> CommitmentForecast:
    return CommitmentForecast(
        commitment.key,
        commitment.requester.slug,
        commitment.performer.slug,
        commitment.reliance.value,
        commitment.due,
        commitment.is_overdue(now),
        probability,
    )


def _ability(view: View, settings: Settings, requester: Team, performer: Team) -> Opinion:
    return pair_level(view, settings, requester, performer).ability


def commitment_forecast(
    uow: UnitOfWork, settings: Settings, actor: Actor, key: str
) -> CommitmentForecast:
    """The probability that an open commitment is delivered and accepted by its due date."""
    with uow:
        actor = uow.bind(actor)
        commitment = uow.commitments.get(key)
        if not may_see_pair(actor, commitment.requester, commitment.performer):
            raise Forbidden(
                f"the forecast of {key!r} is for the members of the two teams and admins",
                rule="trust.not_visible",
            )
        now = uow.now()
        probability = None
        if commitment.state in OPEN_STATES:
            view = view_at(uow, settings, now)
            probability = _ability(
                view, settings, commitment.requester, commitment.performer
            ).expected
        return _forecast_row(commitment, now, probability)


def purpose_forecast(
    uow: UnitOfWork,
    settings: Settings,
    actor: Actor,
    key: str,
    *,
    draws: int = 20_000,
    seed: int = 0,
) -> PurposeForecast:
    """P(all on time), the expected count and its distribution for a purpose's open
    commitments with reliance high or critical; each probability shown to whoever may see
    the pair."""
    with uow:
        actor = uow.bind(actor)
        purpose = uow.purposes.get(key)
        now = uow.now()
        view = view_at(uow, settings, now)
        chosen = [
            commitment
            for partnership in uow.partnerships.list(purpose=purpose)
            for commitment in uow.commitments.list(
                partnership=partnership, states=list(OPEN_STATES)
            )
            if commitment.reliance in HIGH_RELIANCE
        ]
        groups: dict[tuple[int | None, int | None], tuple[Opinion, int]] = {}
        rows = []
        complete = True
        for commitment in chosen:
            pair = (commitment.requester.id, commitment.performer.id)
            if pair not in groups:
                groups[pair] = (
                    _ability(view, settings, commitment.requester, commitment.performer),
                    0,
                )
            ability, count = groups[pair]
            groups[pair] = (ability, count + 1)
            visible = may_see_pair(actor, commitment.requester, commitment.performer)
            complete = complete and visible
            rows.append(_forecast_row(commitment, now, ability.expected if visible else None))
        result = outlook(
            [PairGroup(a.alpha, a.beta, count) for a, count in groups.values()],
            draws=draws,
            seed=seed,
        )
        return PurposeForecast(purpose.key, now, rows, result, complete)
