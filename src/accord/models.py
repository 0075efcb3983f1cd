"""Imports every table mapping, so that the metadata is complete (migrations, tests)."""

from accord.api import idempotency as idempotency_orm
from accord.commitments import orm as commitments_orm
from accord.events import orm as events_orm
from accord.health import orm as health_orm
from accord.notify import orm as notify_orm
from accord.org import orm as org_orm
from accord.partnerships import orm as partnerships_orm
from accord.purposes import orm as purposes_orm
from accord.stories import orm as stories_orm
from accord.trust import orm as trust_orm

__all__ = [
    "commitments_orm",
    "events_orm",
    "health_orm",
    "idempotency_orm",
    "notify_orm",
    "org_orm",
    "partnerships_orm",
    "purposes_orm",
    "stories_orm",
    "trust_orm",
]
