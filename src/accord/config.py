"""Settings, read once from the environment (prefix ACCORD_)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting of Accord; each field is an ACCORD_* environment variable."""

    model_config = SettingsConfigDict(env_prefix="ACCORD_", env_file=None, extra="ignore")

    database_url: str = Field("sqlite:///accord.db", description="SQLAlchemy URL of the database.")
    secret_key: str = Field(
        "", description="Key that signs sessions and CSRF tokens; required outside demos."
    )
    host: str = Field("127.0.0.1", description="Address `accord serve` listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port `accord serve` listens on.")
    base_url: str = Field("", description="Public URL of the app, used in links and e-mails.")
    half_life_days: float = Field(180.0, gt=0, description="Half-life of trust evidence.")
    pair_prior_weight: float = Field(8.0, gt=0, description="Prior weight W of pair trust.")
    team_prior_weight: float = Field(2.0, gt=0, description="Prior weight W of team trust.")
    weight_ability: float = Field(0.4, ge=0, description="Weight of ability in overall trust.")
    weight_integrity: float = Field(0.3, ge=0, description="Weight of integrity in overall.")
    weight_value: float = Field(0.3, ge=0, description="Weight of value in overall trust.")
    forecast_min_history: int = Field(
        200,
        ge=2,
        description="Finished commitments needed before the forecast is a fitted model; below "
        "it, the forecast is the pair's ability.",
    )
    forecast_refit_hours: float = Field(
        24.0,
        ge=0,
        description="How often `accord serve` refits the forecast model from the log (0: never; "
        "`accord trust fit` refits by hand).",
    )
    max_body_bytes: int = Field(
        1_048_576, ge=1024, description="Largest request body taken, in bytes (413 beyond)."
    )
    max_import_bytes: int = Field(
        67_108_864,
        ge=1024,
        description="Largest import body taken from a signed-in request (API and admin page).",
    )
    expensive_reads_per_minute: int = Field(
        10,
        ge=1,
        description="Expensive reads (backtest, trust over time, trust map) one person may have "
        "computed a minute, each kind apart; an answer from the cache is not counted (429 beyond).",
    )
    expensive_reads_at_once: int = Field(
        1, ge=1, description="Expensive reads the server computes at the same time."
    )
    expensive_reads_wait_seconds: float = Field(
        10.0,
        gt=0,
        description="Longest a request waits for an expensive read to be computed before it is "
        "refused with Retry-After (503).",
    )
    changes_at_once: int = Field(
        1,
        ge=0,
        description="Changes (the API's POST, PUT, PATCH, DELETE and the pages' forms that "
        "change something; not a sign-in or an import) one server process makes at the same "
        "time; the others wait their turn (0: no limit).",
    )
    changes_wait_seconds: float = Field(
        30.0,
        gt=0,
        description="Longest a change waits for its turn before it is refused with "
        "Retry-After (503).",
    )
    read_cache_entries: int = Field(
        128, ge=0, description="Answers of expensive reads kept (the least recently used go)."
    )
    read_cache_seconds: float = Field(
        60.0,
        ge=0,
        description="Longest an expensive read's answer is reused while no evidence changes "
        "(the present moves with the clock).",
    )
    trust_answer_seconds: float = Field(
        1.0,
        ge=0,
        description="Longest a team's or pair's present trust answer (GET /api/v1/teams/{slug}/"
        "trust) is given again while no evidence changes, as of the instant it states; 0: never.",
    )
    token_days: int = Field(
        90,
        ge=1,
        le=3650,
        description="Days a new API token lives, and the longest a person may ask for.",
    )
    min_responses: int = Field(3, ge=1, description="Answers a party needs before results show.")
    trust_visibility: Literal["partners", "org"] = Field(
        "partners", description="`org` turns on the organization-wide trust ranking."
    )
    log_level: str = Field("info", description="Log level of the server.")
    smtp_host: str = Field(
        "", description="SMTP server that sends e-mail; empty: no e-mail (the inbox still works)."
    )
    smtp_port: int = Field(587, ge=1, le=65535, description="Port of the SMTP server.")
    smtp_security: Literal["none", "starttls", "tls"] = Field(
        "starttls",
        description="`starttls` upgrades the connection, `tls` connects over TLS (port 465), "
        "`none` sends in the clear (a local relay only).",
    )
    smtp_user: str = Field("", description="SMTP user name; empty: no login.")
    smtp_password: str = Field("", description="SMTP password.")
    smtp_from: str = Field("accord@localhost", description="Sender address of Accord's e-mail.")
    smtp_timeout_seconds: float = Field(
        10.0, gt=0, description="Longest wait for the SMTP server at each step."
    )
    webhook_allowed_hosts: str = Field(
        "",
        description="Comma-separated host names (or `*.example.org`) webhooks may call; empty: "
        "any public host (link-local and cloud metadata addresses are always refused).",
    )
    webhook_allow_private: bool = Field(
        False,
        description="Let webhooks call private and loopback addresses (an internal chat server).",
    )
    webhook_timeout_seconds: float = Field(
        10.0, gt=0, description="Longest wait for a webhook's answer."
    )
    delivery_max_attempts: int = Field(
        8,
        ge=1,
        description="Tries of one delivery before it is set aside as dead (an admin may retry it).",
    )
    delivery_retry_seconds: float = Field(
        30.0,
        gt=0,
        description="Wait before the second try; each next wait doubles (at most an hour), "
        "with jitter.",
    )
    delivery_lease_seconds: float = Field(
        120.0,
        gt=0,
        description="How long a worker holds a delivery it took; after it, another worker may "
        "take it again (a worker that died).",
    )
    worker_poll_seconds: float = Field(
        1.0, gt=0, description="How often the worker looks for deliveries when idle."
    )
    serve_worker: bool = Field(
        True,
        description="`accord serve` delivers notifications itself; turn off when `accord worker` "
        "runs apart (several app servers).",
    )
    reminder_days: int = Field(
        2, ge=1, le=30, description="Days before a due date that its promise is recalled."
    )
    digest_hour: int = Field(
        8, ge=0, le=23, description="Hour of the daily digest e-mail, in each reader's time zone."
    )
    db_pool_size: int = Field(
        40,
        ge=1,
        description="Connections each server process may keep open to PostgreSQL, opened as "
        "requests need them: one for each of its 40 request threads (SQLite: 40).",
    )
    db_max_overflow: int = Field(
        0,
        ge=0,
        description="Connections a PostgreSQL server process may open beyond the pool at busy "
        "times, each closed after one use (opening one costs more than the read it serves).",
    )
    bench_floors: bool = Field(
        False,
        description="Serve the benchmark's floors, /bench/constant, /bench/row and "
        "/bench/write, beside the app (bench/wrk.py; never in production).",
    )

    @model_validator(mode="after")
    def _weights_add_up(self) -> Settings:
        if self.weight_ability + self.weight_integrity + self.weight_value <= 0:
            raise ValueError(
                "ACCORD_WEIGHT_ABILITY, ACCORD_WEIGHT_INTEGRITY and ACCORD_WEIGHT_VALUE must not "
                "all be 0 (overall trust is their weighted mean)"
            )
        return self

    @classmethod
    def defaults(cls) -> Settings:
        """Every setting at its default, whatever the environment says: for callers without a
        server's settings (a script, a benchmark, a test)."""
        return cls.model_construct()
