"""Forecasts of open commitments and of a purpose (DESIGN §2 Forecast)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any

from accord.commitments.domain import OPEN as OPEN_STATES
from accord.commitments.domain import Commitment, Reliance
from accord.config import Settings
from accord.errors import Forbidden
from accord.org.domain import Actor
from accord.trust.domain import PROMISES, RELIANCE_WEIGHT
from accord.trust.features import BATCH_WINDOW, RECENT, Inputs
from accord.trust.fitting import CurrentModel, current_model, stored_model
from accord.trust.learner import FLOOR
from accord.trust.model import Outlook, days_between, outlook, shared_rate
from accord.trust.model_store import LiveFacts
from accord.trust.reasons import Names, model_reasons, pair_reasons
from accord.trust.views import View, view_at
from accord.trust.visibility import may_see_pair
from accord.uow import UnitOfWork

HIGH_RELIANCE = frozenset({Reliance.HIGH, Reliance.CRITICAL})


@dataclass(frozen=True)
class CommitmentForecast:
    """P(on time) of an open commitment (None when finished or hidden), which method made it
    (`model` or `pair_ability`), the fitted model's version, and its main reasons in words."""

    key: str
    requester: str
    performer: str
    reliance: str
    due: datetime
    overdue: bool
    probability: float | None
    method: str | None = None
    model_version: int | None = None
    reasons: list[str] = field(default_factory=list)

    def document(self) -> dict[str, Any]:
        """DESIGN §6: `p`, `method`, `model_version`, `reasons` (and `probability`, the same
        number under the name it had first)."""
        from accord.events.domain import iso

        return {**asdict(self), "due": iso(self.due), "p": self.probability}


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
            "commitments": [c.document() for c in self.commitments],
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


def live_facts(uow: UnitOfWork, commitment: Commitment, moment: datetime) -> LiveFacts:
    """What a live forecast of `commitment` reads beside the stored sums, in one query."""
    assert commitment.id is not None
    assert commitment.performer.id is not None
    return uow.models.live_facts(
        commitment.key,
        commitment.id,
        commitment.performer.id,
        commitment.due,
        BATCH_WINDOW,
        moment - RECENT,
    )


def live_inputs(
    uow: UnitOfWork,
    view: View,
    commitment: Commitment,
    moment: datetime,
    facts: LiveFacts | None = None,
) -> Inputs:
    """What is known of an open commitment at `moment`: the features the model was fitted on,
    read from the stored sums as the backtest's sweep computes them from the log."""
    requester, performer = commitment.requester, commitment.performer
    view.read_ahead(requester, performer, by_requester=True)
    if facts is None:
        facts = live_facts(uow, commitment, moment)
    moves = facts.moves
    promised_at = next((at for at, move in moves if move in PROMISES), None)
    return Inputs(
        pair=view.pair(requester, performer).rs("ability"),
        team=view.team(performer).rs("ability"),
        org=view.org().rs("ability"),
        requester=view.requester(requester).rs("ability"),
        lead_days=days_between(promised_at or moment, commitment.due),
        left_days=days_between(moment, commitment.due),
        reliance=RELIANCE_WEIGHT.get(commitment.reliance.value, 0.0),
        counters=sum(1 for _, move in moves if move == "counter"),
        changes=sum(1 for _, move in moves if move == "propose_change"),
        pending_change=commitment.state.value == "renegotiating",
        open_load=facts.open_load,
        same_due=facts.same_due,
        recent=facts.recent,
    )


@dataclass(frozen=True)
class _Forecaster:
    """Forecasts of one instant: the model (or why there is none) and the evidence."""

    uow: UnitOfWork
    settings: Settings
    view: View
    current: CurrentModel
    enough_history: bool

    @classmethod
    def at(
        cls,
        uow: UnitOfWork,
        settings: Settings,
        moment: datetime,
        current: CurrentModel | None = None,
    ) -> _Forecaster:
        """`current`: the newest model, when the caller has read it already."""
        current = current_model(uow) if current is None else current
        # a model is stored only once the history was large enough; without one, count
        stored = current.stored
        if stored is not None:
            enough = stored.trained_on + stored.calibrated_on >= settings.forecast_min_history
        else:
            enough = uow.models.finished_count() >= settings.forecast_min_history
        return cls(uow, settings, view_at(uow, settings, moment), current, enough)

    def forecast(
        self, commitment: Commitment, moment: datetime, facts: LiveFacts | None = None
    ) -> CommitmentForecast:
        row = _forecast_row(commitment, moment, None)
        if commitment.state not in OPEN_STATES:
            return row
        settings = self.settings
        inputs = live_inputs(self.uow, self.view, commitment, moment, facts)
        wt, wp = settings.team_prior_weight, settings.pair_prior_weight
        names = Names(commitment.requester.name, commitment.performer.name)
        settled = settled_outcome(commitment, moment)
        model = self.current.model
        if model is not None and self.enough_history:
            p = model.predict(inputs)
            method, version = "model", self.current.stored.version if self.current.stored else None
            reasons = model_reasons(model, inputs, names)
        else:
            p = inputs.pair_opinion(wt, wp).expected
            method, version = "pair_ability", None
            reasons = [*pair_reasons(inputs, names), self._why_no_model()]
        if settled is not None:
            p, first = settled
            reasons = [first, *reasons]
        return replace(row, probability=p, method=method, model_version=version, reasons=reasons)

    def _why_no_model(self) -> str:
        if not self.enough_history:
            return (
                f"fewer than {self.settings.forecast_min_history} finished commitments: the "
                "forecast is the pair's record until there are enough to fit a model"
            )
        if self.current.problem is not None:
            return f"{self.current.problem}: the forecast falls back to the pair's record"
        return "no model has been fitted yet (`accord trust fit`): the forecast is the pair's"


def settled_outcome(commitment: Commitment, moment: datetime) -> tuple[float, str] | None:
    """A forecast the calendar has already decided: delivered in time (it lands when accepted),
    or past its due date undelivered (it can no longer be on time)."""
    delivered = commitment.delivered_at
    if commitment.state.value == "delivered" and delivered is not None:
        if delivered <= commitment.due:
            return 1.0 - FLOOR, "delivered before its due date: on time once accepted"
        return FLOOR, "delivered after its due date"
    if commitment.due < moment:
        return FLOOR, "its due date has passed without delivery: it can no longer be on time"
    return None


def commitment_forecast(
    uow: UnitOfWork, settings: Settings, actor: Actor, key: str
) -> CommitmentForecast:
    """The probability that an open commitment is delivered and accepted by its due date, the
    method that gave it and its main reasons (DESIGN §2 Forecast)."""
    with uow:
        actor = uow.bind(actor)
        commitment = uow.models.commitment(key)
        if not may_see_pair(actor, commitment.requester, commitment.performer):
            raise Forbidden(
                f"the forecast of {key!r} is for the members of the two teams and admins",
                rule="trust.not_visible",
            )
        now = uow.now()
        if commitment.state not in OPEN_STATES:
            return _forecast_row(commitment, now, None)
        # one query for the model's version and the commitment's own facts, one for the sums
        facts = live_facts(uow, commitment, now)
        current = stored_model(uow, facts.latest_version)
        return _Forecaster.at(uow, settings, now, current).forecast(commitment, now, facts)


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
        chosen = [
            commitment
            for partnership in uow.partnerships.list(purpose=purpose)
            for commitment in uow.commitments.list(
                partnership=partnership, states=list(OPEN_STATES)
            )
            if commitment.reliance in HIGH_RELIANCE
        ]
        forecaster = _Forecaster.at(uow, settings, now)
        groups: dict[tuple[int | None, int | None], list[float]] = {}
        strength: dict[tuple[int | None, int | None], float] = {}
        rows = []
        complete = True
        for commitment in chosen:
            pair = (commitment.requester.id, commitment.performer.id)
            row = forecaster.forecast(commitment, now)
            assert row.probability is not None
            groups.setdefault(pair, []).append(row.probability)
            if pair not in strength:
                # how much the pair's shared rate is known: its evidence plus the prior weight
                evidence = forecaster.view.pair(commitment.requester, commitment.performer)
                strength[pair] = sum(evidence.rs("ability")) + settings.pair_prior_weight
            visible = may_see_pair(actor, commitment.requester, commitment.performer)
            complete = complete and visible
            rows.append(row if visible else _forecast_row(commitment, now, None))
        result = outlook(
            [shared_rate(ps, strength[pair]) for pair, ps in groups.items()],
            draws=draws,
            seed=seed,
        )
        return PurposeForecast(purpose.key, now, rows, result, complete)
