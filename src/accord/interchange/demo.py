"""The demo organization: a mid-size company as one `accord/1` document.

Twenty teams, 41 people, seven purposes, ten partnerships and some 260 commitments over the
18 months before an anchor instant. Teams have different latent reliabilities, so the trust
Accord computes differs between pairs. A few scripted commitments make sure every state, every
path of the conversation and the demo account's desk are present whatever the seed; the rest
are simulated. Only `random.Random(seed)` is drawn from, so (seed, anchor) fixes the document.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from accord.commitments.domain import FINAL, TRANSITIONS, Move, State, Who

DEMO_PASSWORD = "accord-demo"  # every demo person gets it (the CLI sets it after import)
DEMO_LOGIN = "ana.lima@example.org"  # lead of Data Platform: requests to answer, work to accept
HISTORY_DAYS = 548  # 18 months
RANDOM_COMMITMENTS = 240

# slug, name, kind, parent, mission; parents come before their children
TEAMS: tuple[tuple[str, str, str, str | None, str], ...] = (
    (
        "consumer",
        "Consumer Business",
        "business_unit",
        None,
        "Make everyday buying effortless for millions of households",
    ),
    (
        "enterprise",
        "Enterprise Business",
        "business_unit",
        None,
        "Be the platform enterprises build their commerce on",
    ),
    (
        "corporate-services",
        "Corporate Services",
        "business_unit",
        None,
        "Give every business unit secure, reliable, shared foundations",
    ),
    (
        "digital-channels",
        "Digital Channels",
        "delivery_group",
        "consumer",
        "Delight customers on the web and in the app, from first visit to repeat purchase",
    ),
    (
        "customer-experience",
        "Customer Experience",
        "delivery_group",
        "consumer",
        "Keep every customer we win, and help them succeed",
    ),
    (
        "enterprise-sales",
        "Enterprise Sales",
        "delivery_group",
        "enterprise",
        "Win and grow enterprise accounts with solutions that fit",
    ),
    (
        "enterprise-platform",
        "Enterprise Platform",
        "delivery_group",
        "enterprise",
        "Onboard, bill and integrate enterprise customers without friction",
    ),
    (
        "web-storefront",
        "Web Storefront",
        "team",
        "digital-channels",
        "A fast, accessible storefront that turns visits into orders",
    ),
    (
        "mobile-app",
        "Mobile App",
        "team",
        "digital-channels",
        "The app customers open first, on iOS and Android",
    ),
    (
        "checkout-payments",
        "Checkout & Payments",
        "team",
        "digital-channels",
        "Every payment method customers want, and none that fails",
    ),
    (
        "customer-success",
        "Customer Success",
        "team",
        "customer-experience",
        "Customers who get value early stay and grow",
    ),
    (
        "support-operations",
        "Support Operations",
        "team",
        "customer-experience",
        "Answers in minutes, and fewer reasons to ask",
    ),
    (
        "account-management",
        "Account Management",
        "team",
        "enterprise-sales",
        "Long-term relationships with our enterprise customers",
    ),
    (
        "sales-engineering",
        "Sales Engineering",
        "team",
        "enterprise-sales",
        "Turn customer requirements into solutions that work on day one",
    ),
    (
        "billing-platform",
        "Billing Platform",
        "team",
        "enterprise-platform",
        "Accurate invoices, on time, in every currency",
    ),
    (
        "integrations",
        "Integrations",
        "team",
        "enterprise-platform",
        "Connect our platform to the systems our customers already run",
    ),
    (
        "data-platform",
        "Data Platform",
        "shared_service",
        "corporate-services",
        "Trustworthy data for every decision",
    ),
    (
        "cloud-infrastructure",
        "Cloud Infrastructure",
        "shared_service",
        "corporate-services",
        "Reliable, cost-aware infrastructure that teams run themselves",
    ),
    (
        "security-office",
        "Security Office",
        "shared_service",
        "corporate-services",
        "Secure by default, without slowing teams down",
    ),
    (
        "strategy-office",
        "Strategy Office",
        "shared_service",
        "corporate-services",
        "Turn strategy into purposes teams can act on, and track them honestly",
    ),
)

# name, global role, memberships (team, role)
PEOPLE: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    ("Helena Ward", "member", (("consumer", "lead"),)),
    ("Marcus Bell", "member", (("enterprise", "lead"),)),
    ("Priya Raman", "member", (("corporate-services", "lead"),)),
    ("Paul Becker", "viewer", (("corporate-services", "member"),)),
    ("Tom Fischer", "member", (("digital-channels", "lead"),)),
    ("Grace Okafor", "member", (("customer-experience", "lead"),)),
    ("Daniel Reyes", "member", (("enterprise-sales", "lead"),)),
    ("Sofia Marin", "member", (("enterprise-platform", "lead"),)),
    ("Liam Carter", "member", (("web-storefront", "lead"),)),
    ("Emma Novak", "member", (("web-storefront", "member"),)),
    ("Noah Kim", "member", (("mobile-app", "lead"),)),
    ("Zoe Clarke", "member", (("mobile-app", "member"),)),
    ("Lucas Meyer", "member", (("mobile-app", "member"),)),
    ("Olivia Grant", "member", (("checkout-payments", "lead"),)),
    ("Ben Harris", "member", (("checkout-payments", "member"),)),
    ("Bo Andersen", "member", (("customer-success", "lead"),)),
    ("Chloe Martin", "member", (("customer-success", "member"),)),
    ("Rachel Moore", "member", (("support-operations", "lead"),)),
    ("Diego Alvarez", "member", (("support-operations", "member"),)),
    ("James O'Neill", "member", (("account-management", "lead"),)),
    ("Hannah Schmidt", "member", (("account-management", "member"),)),
    ("Oscar Lindqvist", "member", (("account-management", "member"),)),
    ("Aisha Patel", "member", (("sales-engineering", "lead"),)),
    ("Ethan Brooks", "member", (("sales-engineering", "member"),)),
    ("Victor Hughes", "member", (("billing-platform", "lead"),)),
    ("Leah Goldberg", "member", (("billing-platform", "member"),)),
    ("Omar Haddad", "member", (("billing-platform", "member"), ("integrations", "member"))),
    ("Mei Chen", "member", (("integrations", "lead"),)),
    ("Samuel Adeyemi", "member", (("integrations", "member"),)),
    ("Ana Lima", "member", (("data-platform", "lead"),)),
    ("Ravi Shah", "member", (("data-platform", "member"),)),
    ("Julia Santos", "member", (("data-platform", "member"),)),
    ("Kenji Watanabe", "member", (("data-platform", "member"), ("customer-success", "member"))),
    ("Erik Johansson", "member", (("cloud-infrastructure", "lead"),)),
    ("Maya Singh", "member", (("cloud-infrastructure", "member"),)),
    ("Isabel Costa", "member", (("cloud-infrastructure", "member"), ("security-office", "member"))),
    ("Fatima Hassan", "member", (("security-office", "lead"),)),
    ("Daniel Park", "member", (("security-office", "member"),)),
    ("Claire Dubois", "member", (("strategy-office", "lead"),)),
    ("Sam Taylor", "admin", (("strategy-office", "member"),)),
    ("Nina Weber", "viewer", (("strategy-office", "member"),)),
)


@dataclass(frozen=True)
class Profile:
    """How a team performs: on-time rate, early warning when late, and the value it brings."""

    ability: float
    integrity: float
    quality: float


PROFILES: dict[str, Profile] = {
    "data-platform": Profile(0.86, 0.85, 4.3),
    "customer-success": Profile(0.80, 0.70, 4.0),
    "account-management": Profile(0.70, 0.60, 3.8),
    "integrations": Profile(0.58, 0.40, 3.5),
    "sales-engineering": Profile(0.76, 0.70, 4.0),
    "billing-platform": Profile(0.50, 0.30, 3.2),
    "security-office": Profile(0.85, 0.90, 4.2),
    "cloud-infrastructure": Profile(0.90, 0.85, 4.4),
    "mobile-app": Profile(0.45, 0.35, 3.0),
    "web-storefront": Profile(0.75, 0.60, 3.8),
    "checkout-payments": Profile(0.80, 0.70, 4.1),
    "support-operations": Profile(0.70, 0.80, 3.7),
    "strategy-office": Profile(0.65, 0.50, 3.5),
}
# (requester, performer): how much better or worse than its usual self the performer does
PAIR_BIAS: dict[tuple[str, str], float] = {
    ("customer-success", "mobile-app"): 0.30,
    ("security-office", "mobile-app"): -0.10,
    ("account-management", "billing-platform"): -0.10,
    ("sales-engineering", "integrations"): 0.20,
    ("data-platform", "billing-platform"): 0.15,
    ("checkout-payments", "cloud-infrastructure"): 0.05,
}


@dataclass(frozen=True)
class MeasurePlan:
    name: str
    unit: str
    baseline: float
    target: float
    current: float
    decimals: int = 1


@dataclass(frozen=True)
class PurposePlan:
    key: str
    title: str
    statement: str
    status: str
    sponsor: str
    target_in_days: int  # from the anchor; negative for a date already past
    parent: str | None
    measures: tuple[MeasurePlan, ...]
    tracked_until_days_ago: int = 0  # the last measure update (achieved purposes stop)


PURPOSES: tuple[PurposePlan, ...] = (
    PurposePlan(
        "customer-first",
        "Become our customers' first choice",
        "Customers come back when every touchpoint works for them: the store, the app, the "
        "checkout and the people who help them. Being their first choice is how we grow "
        "without buying every customer twice.",
        "active",
        "Helena Ward",
        395,
        None,
        (
            MeasurePlan("Net Promoter Score", "pts", 21.0, 45.0, 34.0, 0),
            MeasurePlan("Repeat purchase rate", "%", 38.0, 50.0, 43.5),
        ),
    ),
    PurposePlan(
        "churn",
        "Halve customer churn",
        "Every customer we lose costs five times what it took to win them. Spotting risk early "
        "and acting together on it keeps customers and the revenue they bring.",
        "active",
        "Grace Okafor",
        390,
        "customer-first",
        (
            MeasurePlan("Monthly churn", "%", 4.0, 2.0, 3.1),
            MeasurePlan("Save rate on cancellation", "%", 18.0, 35.0, 27.0),
        ),
    ),
    PurposePlan(
        "checkout-conversion",
        "Effortless checkout",
        "One in three baskets was abandoned at the payment step. A checkout that just works, "
        "on every device and with every payment method, turns intent into orders.",
        "achieved",
        "Tom Fischer",
        -60,
        "customer-first",
        (
            MeasurePlan("Checkout conversion", "%", 2.1, 3.0, 3.2),
            MeasurePlan("Payment failure rate", "%", 6.5, 3.0, 2.8),
        ),
        tracked_until_days_ago=100,
    ),
    PurposePlan(
        "enterprise-growth",
        "Grow enterprise revenue by 40%",
        "Enterprise customers fund the platform everyone else uses. Growing them means winning "
        "the right deals, onboarding fast and billing without disputes.",
        "active",
        "Marcus Bell",
        210,
        None,
        (
            MeasurePlan("Enterprise ARR", "M EUR", 48.0, 67.0, 58.5),
            MeasurePlan("Net revenue retention", "%", 104.0, 115.0, 109.0),
        ),
    ),
    PurposePlan(
        "faster-onboarding",
        "Enterprise customers live in two weeks",
        "A signed customer who is not live yet pays us nothing and starts doubting us. Two weeks "
        "from signature to go-live is what our best competitors already do.",
        "active",
        "Sofia Marin",
        120,
        "enterprise-growth",
        (
            MeasurePlan("Median days to go-live", "days", 45.0, 14.0, 26.0, 0),
            MeasurePlan("Onboarding tickets per customer", "tickets", 38.0, 10.0, 21.0, 0),
        ),
    ),
    PurposePlan(
        "secure-by-default",
        "Secure and resilient by default",
        "Customers trust us with their payments and their data. Security and reliability are "
        "built into every release, so no team has to choose between speed and safety.",
        "active",
        "Priya Raman",
        300,
        None,
        (
            MeasurePlan("Open critical vulnerabilities", "count", 38.0, 0.0, 7.0, 0),
            MeasurePlan("Checkout availability", "%", 99.5, 99.95, 99.91, 2),
        ),
    ),
    PurposePlan(
        "self-service-insights",
        "Self-service insights for every team",
        "Decisions wait days for a report today. Every team answering its own questions from "
        "governed data frees analysts for the questions that matter.",
        "draft",
        "Claire Dubois",
        450,
        None,
        (MeasurePlan("Weekly active dashboard users", "people", 120.0, 600.0, 120.0, 0),),
    ),
)


@dataclass(frozen=True)
class PartnershipPlan:
    key: str
    name: str
    purpose: str
    parties: tuple[tuple[str, str, bool], ...]  # team, contribution, affirmed
    working_agreements: tuple[str, ...]
    review_every_days: int
    formed_days_ago: int
    requests_until_days_ago: int  # no new requests after this (paused, concluded)
    weight: float  # how busy it is
    status: str | None = None


PARTNERSHIPS: tuple[PartnershipPlan, ...] = (
    PartnershipPlan(
        "churn-signals",
        "Churn signals",
        "churn",
        (
            ("data-platform", "Customer health data and the churn-risk model", True),
            ("customer-success", "Save playbooks and outreach to at-risk customers", True),
            ("account-management", "Renewal conversations with enterprise accounts", True),
        ),
        (
            "Say early when a date slips",
            "One shared definition of churn",
            "Every model change is reviewed with Customer Success first",
        ),
        30,
        546,
        0,
        3.0,
    ),
    PartnershipPlan(
        "one-checkout",
        "One checkout",
        "checkout-conversion",
        (
            ("checkout-payments", "Payment methods, fraud checks and the checkout API", True),
            ("web-storefront", "The web checkout experience", True),
            ("mobile-app", "The in-app checkout on iOS and Android", True),
        ),
        ("Ship behind feature flags", "Conversion is measured one way, in the shared dashboard"),
        14,
        545,
        250,
        2.0,
        "concluded",
    ),
    PartnershipPlan(
        "enterprise-onboarding",
        "Enterprise onboarding",
        "faster-onboarding",
        (
            ("integrations", "SSO, SCIM and CRM connectors ready for day one", True),
            ("sales-engineering", "Technical requirements captured before signature", True),
            ("billing-platform", "Contracts billed correctly from the first invoice", True),
            ("account-management", "A named owner and an agreed go-live plan per customer", True),
        ),
        (
            "No customer is promised a date we have not agreed together",
            "Weekly onboarding stand-up",
            "Escalate blockers within one working day",
        ),
        21,
        520,
        0,
        3.0,
    ),
    PartnershipPlan(
        "revenue-to-cash",
        "Revenue to cash",
        "enterprise-growth",
        (
            ("billing-platform", "Usage-based billing and clean invoice data", True),
            ("account-management", "Contract terms and customer sign-off", True),
            ("data-platform", "Revenue reporting reconciled with finance", True),
        ),
        (
            "Finance numbers are the single source of truth",
            "Pricing changes go through a shared review",
        ),
        30,
        500,
        0,
        2.5,
    ),
    PartnershipPlan(
        "secure-releases",
        "Secure releases",
        "secure-by-default",
        (
            ("security-office", "Threat models, penetration tests and security sign-off", True),
            ("cloud-infrastructure", "Hardened build pipelines and base images", True),
            ("mobile-app", "App vulnerabilities fixed within the agreed time", False),
            ("web-storefront", "Web vulnerabilities fixed within the agreed time", True),
        ),
        (
            "Critical findings are fixed within 7 days",
            "Security is invited to design reviews, not only to releases",
        ),
        30,
        430,
        0,
        2.0,
    ),
    PartnershipPlan(
        "platform-reliability",
        "Platform reliability",
        "secure-by-default",
        (
            ("cloud-infrastructure", "Capacity, failover and on-call for the platform", True),
            ("checkout-payments", "Load profiles and graceful degradation in checkout", True),
            ("billing-platform", "Idempotent billing jobs that survive a failover", True),
        ),
        ("Blameless post-incident reviews within 5 days", "Error budgets are shared and visible"),
        14,
        470,
        0,
        2.0,
    ),
    PartnershipPlan(
        "insights-for-all",
        "Insights for all",
        "self-service-insights",
        (
            ("data-platform", "Governed datasets and the self-service BI tool", True),
            ("strategy-office", "The KPI catalogue and the programme's priorities", True),
            ("support-operations", "A pilot group of analysts and their feedback", True),
        ),
        ("Each dashboard has a named owner", "Definitions live in the KPI catalogue"),
        45,
        215,
        0,
        1.0,
    ),
    PartnershipPlan(
        "support-deflection",
        "Support deflection",
        "churn",
        (
            ("support-operations", "Help centre articles and search tuning", True),
            ("web-storefront", "help centre articles and search tuning", True),
            ("customer-success", "Top contact reasons from customer calls", True),
        ),
        ("Deflection is measured every week", "Support reviews every content change"),
        30,
        330,
        0,
        1.5,
    ),
    PartnershipPlan(
        "mobile-growth",
        "Mobile growth",
        "customer-first",
        (
            ("mobile-app", "App features and release trains", True),
            ("customer-success", "Customer feedback and beta testers", True),
            ("data-platform", "App analytics and experiment results", True),
        ),
        (
            "Every feature has a success metric before it ships",
            "Beta feedback is answered within a week",
        ),
        30,
        400,
        0,
        2.0,
    ),
    PartnershipPlan(
        "enterprise-security-reviews",
        "Enterprise security reviews",
        "enterprise-growth",
        (
            ("security-office", "Answers to customer security reviews within 5 days", True),
            ("sales-engineering", "Qualified security questions and deal context", True),
        ),
        ("No security claim reaches a customer without Security's review",),
        60,
        470,
        60,
        1.0,
        "paused",
    ),
)

# What each team is asked for: title, conditions of satisfaction
CATALOG: dict[str, tuple[tuple[str, str], ...]] = {
    "data-platform": (
        (
            "Daily churn-risk score per account",
            "In the CRM by 08:00 UTC every day, with the top three drivers per account",
        ),
        (
            "Self-serve revenue dashboard",
            "Bookings, ARR and churn by segment, refreshed hourly and reconciled with finance",
        ),
        (
            "Product usage events in the warehouse",
            "All web and app events within 15 minutes, schemas documented in the catalogue",
        ),
        (
            "Customer 360 table",
            "One row per account with contract, usage and support history, tested nightly",
        ),
        (
            "Cohort retention report for the mobile app",
            "Weekly cohorts for the last 12 months, split by platform and acquisition channel",
        ),
        (
            "Data-quality alerts on the billing feed",
            "Alert in the billing channel within 30 minutes of a missing or duplicated load",
        ),
        (
            "Forecast of support contact volume",
            "Daily forecast for the next 8 weeks, error under 10% on the last quarter",
        ),
        (
            "Experiment readout for the new onboarding flow",
            "Conversion and retention effect with confidence intervals, one page",
        ),
        (
            "GDPR deletion in the analytics stores",
            "Deletion requests applied to every analytics table within 30 days, with an audit log",
        ),
    ),
    "customer-success": (
        (
            "Labelled churn reasons for last quarter's cancellations",
            "Every cancelled account tagged with one primary reason from the agreed list",
        ),
        (
            "Save playbook for high-risk accounts",
            "Steps, owners and offers per risk driver, reviewed with Account Management",
        ),
        (
            "Feedback from 20 customer interviews",
            "Interview notes and a one-page synthesis of the top five themes",
        ),
        (
            "Pilot group of 50 accounts for the health score",
            "50 accounts across three segments, each with a named CSM who reviews the score weekly",
        ),
        (
            "Beta testers for the new mobile onboarding",
            "200 customers enrolled in the beta, with consent to be contacted",
        ),
        (
            "Top contact reasons from customer calls",
            "Monthly list of the 10 most frequent reasons, with volumes and examples",
        ),
        (
            "Quarterly business reviews with the top 30 accounts",
            "Every review held, with notes and follow-ups in the CRM",
        ),
    ),
    "account-management": (
        (
            "Renewal forecast for enterprise contracts",
            "Every renewal in the next two quarters with a probability and a named owner",
        ),
        (
            "Introductions to three reference customers",
            "Three customers willing to speak to prospects, with contacts shared",
        ),
        (
            "Customer sign-off on the onboarding plan",
            "Go-live plan signed by the customer's project lead",
        ),
        (
            "Pricing feedback from the enterprise advisory board",
            "Written feedback from at least five board members on the usage-based tiers",
        ),
        (
            "Contract terms for usage-based billing",
            "Standard clauses approved by Legal and ready for the next renewals",
        ),
        (
            "Escalation contacts for the top 20 accounts",
            "Named business and technical contacts per account, verified this quarter",
        ),
        (
            "Go-live date agreed with Harbor Logistics",
            "A date confirmed in writing by the customer and shared with every party",
        ),
    ),
    "integrations": (
        (
            "SAML single sign-on for enterprise tenants",
            "Works with Okta, Entra ID and Google; set up by the customer without a ticket",
        ),
        (
            "CRM sync for accounts and contracts",
            "Changes visible in both systems within 5 minutes, conflicts logged",
        ),
        (
            "SCIM user provisioning",
            "Users created, updated and removed from the customer's directory within 10 minutes",
        ),
        (
            "Order-status webhooks",
            "Signed webhooks with retries for 24 hours and a delivery log per customer",
        ),
        (
            "Sandbox tenant for prospect trials",
            "A fresh sandbox with sample data in under 10 minutes",
        ),
        (
            "ERP export of invoices",
            "Nightly export in the customer's ERP format, totals matching the billing run",
        ),
        (
            "Higher rate limits on the partner API",
            "1,000 requests per second per tenant without errors under the load test",
        ),
    ),
    "sales-engineering": (
        (
            "Technical discovery for Harbor Logistics",
            "Systems, volumes and integration needs documented and reviewed by Integrations",
        ),
        (
            "Security questionnaire for Bluefin Insurance",
            "All 240 questions answered and checked by the Security Office",
        ),
        (
            "Solution design for the single sign-on rollout",
            "Architecture, identity providers and test plan agreed with the customer",
        ),
        (
            "Demo environment with realistic data",
            "Resettable demo tenant with three industry scenarios",
        ),
        (
            "Integration requirements from the top 10 deals",
            "One list, ranked by deal value, with the systems each customer runs",
        ),
        (
            "Proof of concept for bulk onboarding",
            "10,000 users imported in a customer's test tenant, with timings",
        ),
    ),
    "billing-platform": (
        (
            "Usage-based billing for the API tier",
            "Metered usage invoiced monthly, matching the usage report to the cent",
        ),
        (
            "Invoice corrections for migrated contracts",
            "Every migrated contract re-invoiced correctly, credit notes where needed",
        ),
        (
            "Proration on mid-term upgrades",
            "Upgrades invoiced pro rata to the day, tested on the 20 most common cases",
        ),
        (
            "Dunning emails with payment links",
            "Three reminders with a working payment link, sent in the customer's language",
        ),
        (
            "Billing data feed to the warehouse",
            "Invoices, credit notes and payments in the warehouse every night by 05:00 UTC",
        ),
        (
            "Invoices in EUR, GBP and USD",
            "Customers choose the currency at signature; totals reconcile in finance",
        ),
        (
            "Credit-note workflow for account managers",
            "Account managers raise a credit note in the tool, approved within one day",
        ),
    ),
    "security-office": (
        (
            "Penetration test of the mobile app",
            "Test report with findings ranked by severity, retest of the criticals",
        ),
        (
            "Threat model for the new checkout",
            "Data flows, threats and mitigations reviewed with the checkout team",
        ),
        (
            "Security review of the SCIM connector",
            "Review signed off, or findings with the fixes required before release",
        ),
        (
            "SOC 2 evidence for the enterprise tier",
            "Evidence for every control in scope uploaded to the audit portal",
        ),
        (
            "Answers to customer security reviews",
            "Questionnaire answered within 5 working days, reviewed by a second person",
        ),
        (
            "Incident response runbook for payments",
            "Roles, contacts and steps for a card-data incident, tested in a tabletop exercise",
        ),
        (
            "Secrets scanning in every pipeline",
            "Every repository scanned on push, findings routed to the owning team",
        ),
    ),
    "cloud-infrastructure": (
        (
            "Staging environment per pull request",
            "Created in under 15 minutes, destroyed on merge, cost tagged per team",
        ),
        (
            "Multi-region failover for the checkout API",
            "Failover in under 5 minutes, proven in a game day",
        ),
        (
            "Database upgrade to PostgreSQL 16",
            "Upgraded with under 10 minutes of downtime, in the agreed maintenance window",
        ),
        (
            "Autoscaling for the peak season",
            "Scales to 5x normal traffic with p95 latency under 300 ms",
        ),
        (
            "Monthly cloud cost report per team",
            "Costs per team and service by the 3rd working day of each month",
        ),
        ("Hardened base images", "CIS-benchmarked images for every runtime, rebuilt weekly"),
        (
            "Observability dashboards for the billing services",
            "Latency, errors and saturation per service, with alerts routed to on-call",
        ),
    ),
    "mobile-app": (
        (
            "Biometric sign-in on iOS and Android",
            "Face and fingerprint sign-in, falling back to password, on both platforms",
        ),
        (
            "In-app save offer on cancellation",
            "The offer from the save playbook shown before a subscription is cancelled",
        ),
        (
            "Renewal reminders as push notifications",
            "Reminder 14 and 3 days before renewal, respecting the customer's settings",
        ),
        (
            "Fix for the checkout crash on Android 14",
            "Crash-free sessions above 99.8% on Android 14 for a week",
        ),
        (
            "Dependency upgrades flagged by the security scan",
            "Every high and critical finding fixed in a released version",
        ),
        (
            "Usage events for the new onboarding flow",
            "Each onboarding step emits the agreed event, validated in the warehouse",
        ),
        (
            "Accessible checkout in the app",
            "WCAG 2.1 AA on the checkout screens, checked with screen readers",
        ),
    ),
    "web-storefront": (
        (
            "One-page checkout on the web",
            "Address, delivery and payment on one page; conversion tracked in the shared dashboard",
        ),
        (
            "Help centre search on every page",
            "Search box on every page, answers shown before the contact form",
        ),
        (
            "Cookie consent that honours the analytics opt-out",
            "No analytics event is sent before consent, verified by Data Platform",
        ),
        (
            "Content security policy on all pages",
            "Strict CSP in enforce mode with no violations for a week",
        ),
        (
            "Product pages under two seconds on 4G",
            "p75 largest contentful paint under 2 s on the top 100 product pages",
        ),
        (
            "A/B test of the new pricing page",
            "Test live for two weeks with 50/50 traffic and the agreed success metric",
        ),
        (
            "Contract details on the account page",
            "Enterprise customers see their plan, renewal date and invoices",
        ),
    ),
    "checkout-payments": (
        (
            "Apple Pay and Google Pay in checkout",
            "Both wallets live on web and app, with fraud checks applied",
        ),
        (
            "3-D Secure 2 for card payments",
            "Frictionless flow for low-risk payments, challenge for the rest, PSD2 compliant",
        ),
        (
            "Payment failure reasons in the event stream",
            "Every failed payment emits a reason code from the agreed list",
        ),
        (
            "Automatic retry of failed renewals",
            "Failed renewals retried three times over seven days, with the customer informed",
        ),
        (
            "Tokenised cards for the mobile app",
            "Saved cards usable in the app without re-entering details",
        ),
        (
            "Load profile for the peak season",
            "Expected requests per second per endpoint, by hour, for the peak weeks",
        ),
    ),
    "support-operations": (
        (
            "Contact-reason tagging on every ticket",
            "Every ticket closed with one reason from the shared list",
        ),
        (
            "Weekly export of support tickets",
            "Tickets with reasons and resolution times in the warehouse every Monday",
        ),
        (
            "Help centre articles for the new checkout",
            "Ten articles published before launch, reviewed by the checkout team",
        ),
        (
            "Escalation path for enterprise incidents",
            "On-call rota and a 30-minute first response for priority-one tickets",
        ),
        (
            "Updated macros for billing questions",
            "Every billing macro matches the new invoice layout",
        ),
        (
            "Analysts for the dashboard pilot",
            "Five analysts spend two hours a week in the pilot and send feedback",
        ),
    ),
    "strategy-office": (
        (
            "KPI definitions for the strategy review",
            "One definition, owner and data source per KPI, agreed by the sponsors",
        ),
        (
            "Prioritised list of dashboard requests",
            "Requests ranked by the purposes they serve, reviewed every month",
        ),
        (
            "Quarterly check-in template for purposes",
            "One page per purpose: measures, risks and the partnerships that carry it",
        ),
        (
            "Benefit tracking for the insights programme",
            "Hours saved and decisions supported, collected from the pilot teams each month",
        ),
        (
            "Executive summary for the board pack",
            "Two pages on progress of every active purpose, sent a week before the board",
        ),
    ),
}

COUNTER_TERMS = (
    "Covers the EU region first; the other regions follow in a separate request",
    "Phase one only: the daily batch; real time comes later",
    "For the top 20 accounts first, the rest after review",
    "Delivered behind a feature flag, switched on after your sign-off",
)
SCOPE_CHANGES = (
    "Also cover the accounts migrated last quarter",
    "Add a CSV export for the finance team",
    "Include the Nordic markets as well",
    "Drop the weekly report; the daily feed is enough",
)
DECLINE_REASONS = (
    "No capacity this quarter: the platform migration takes the whole team",
    "Outside our remit; the owning team is better placed to do it",
    "We would need a contract change with the vendor that we cannot get in time",
    "Not possible without the new data model, which is planned for next year",
)
WITHDRAW_REASONS = (
    "Priorities changed at the quarterly review",
    "The customer cancelled the pilot",
    "Solved another way, with an off-the-shelf tool",
    "No longer needed after the re-plan",
)
NOTICE_REVOKE_REASONS = (
    "The engineer who owned this left; we cannot deliver it by the date and say so now",
    "The vendor dropped support for the API we depend on",
    "New regulatory guidance changes the approach; we stop before wasting your time",
)
LATE_REVOKE_REASONS = (
    "We ran out of time and cannot finish it",
    "Other incidents took the team; this will not happen",
    "The work turned out far bigger than we thought",
)
REJECT_REASONS = (
    "The numbers do not reconcile with finance",
    "Missing on Android; the conditions said both platforms",
    "Not refreshed daily as agreed",
    "No documentation; we cannot hand it to our team like this",
    "Fails the load test at peak volume",
)
REJECT_CHANGE_REASONS = (
    "Our launch date is fixed; we need it on the original date",
    "The customer was promised this date; please find a way",
    "We cannot take the change this late in the cycle",
)
DELAY_NOTES = (
    "A dependency slipped; we need more time to do it properly",
    "Found data-quality issues upstream that we fix first",
    "Two people out sick; telling you now rather than on the day",
    "The vendor's fix lands next sprint",
)
EARLIER_NOTES = (
    "Our launch moved forward; can you make it earlier?",
    "The customer asked to go live sooner",
)
LATER_NOTES = (
    "Our launch moved back; no rush on this any more",
    "We cannot use it before the next release anyway",
)
DONE_NOTES = (
    "Live in production",
    "Released; details in the runbook",
    "Done and documented in the catalogue",
    "Shipped in this week's release",
    "Delivered; see the handover notes",
)
VALUE_NOTES = {
    1: "Did not help us in the end",
    2: "Late and partial; we had to work around it",
    3: "Usable, but needed rework on our side",
    4: "Good, a few follow-ups noted",
    5: "Exactly what we needed",
}
MISSED_NOTES = (
    "Past the date with no update",
    "Past due; we moved on without it",
)
RELIANCE_WEIGHTS = (("none", 1), ("low", 2), ("medium", 4), ("high", 3), ("critical", 1))


def email_of(name: str) -> str:
    """'James O'Neill' -> 'james.oneill@example.org'."""
    return ".".join(name.lower().replace("'", "").split()) + "@example.org"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _due_day(moment: datetime) -> datetime:
    """End of business (17:00 UTC) on the working day of `moment`, or the next one."""
    day = moment.date()
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, time(17, 0), UTC)


class Story:
    """One commitment's history, built move by move by the table in §1, cut at the anchor."""

    def __init__(
        self,
        demo: Demo,
        partnership: str,
        requester: str,
        performer: str,
        sides: dict[str, list[str]],
    ) -> None:
        self.demo = demo
        self.rng = demo.rng
        self.partnership = partnership
        self.requester = requester
        self.performer = performer
        self.sides = sides
        self.main = {side: self.rng.choice(people) for side, people in sides.items()}
        self.history: list[dict[str, Any]] = []
        self.state: State | None = None
        self.due = demo.anchor
        self.last = demo.anchor
        self.pending_due: datetime | None = None
        self.pending_by = ""
        self.cut = False

    @property
    def requested_at(self) -> datetime:
        return datetime.fromisoformat(self.history[0]["at"])

    @property
    def live(self) -> bool:
        return not self.cut and self.state not in FINAL

    def after(self, low: float, high: float) -> datetime:
        """A working hour `low`-`high` days after the last move."""
        return self.demo.work(self.last + timedelta(days=self.rng.uniform(low, high)))

    def toward_due(self, share: float) -> datetime:
        """A working hour `share` of the way from the last move to the due date."""
        span = max(self.due - self.last, timedelta(hours=6))
        return self.demo.work(self.last + span * share)

    def past_due(self, low: float, high: float) -> datetime:
        return self.demo.work(self.due + timedelta(days=self.rng.uniform(low, high)))

    def step(
        self,
        move: str,
        at: datetime,
        *,
        side: str = "",
        due_in: float | None = None,
        due_shift: float | None = None,
        **fields: Any,
    ) -> bool:
        """Make a move at `at` (nudged to keep times strictly increasing); False once cut."""
        if not self.live:
            return False
        the_move = Move(move)
        transition = TRANSITIONS.get((self.state, the_move))
        if transition is None:
            raise RuntimeError(f"demo story: {move!r} is not possible from {self.state}")
        if transition.who == Who.R:
            side = "R"
        elif transition.who == Who.P:
            side = "P"
        elif transition.who == Who.OTHER:
            side = "R" if self.pending_by == "P" else "P"
        elif side not in ("R", "P"):
            raise RuntimeError(f"demo story: {move!r} needs a side")
        if self.history and at <= self.last:
            at = self.last + timedelta(minutes=self.rng.randint(5, 95))
        if the_move == Move.MARK_MISSED and at <= self.due:
            at = self.due + timedelta(hours=self.rng.randint(16, 40))
        if at > self.demo.anchor:
            self.cut = True
            return False
        due: datetime | None = None
        if due_in is not None:
            due = _due_day(at + timedelta(days=due_in))
        elif due_shift is not None:
            due = _due_day(self.due + timedelta(days=due_shift))
        if due is not None and due <= at + timedelta(hours=12):
            due = _due_day(at + timedelta(days=3))
        entry: dict[str, Any] = {"move": move, "by": self.actor(side), "at": _iso(at)}
        for name in ("title", "conditions_of_satisfaction"):
            if name in fields:
                entry[name] = fields.pop(name)
        if due is not None:
            entry["due"] = _iso(due)
        entry.update(fields)
        self.history.append(entry)
        self._effect(the_move, side, due)
        self.state = transition.to
        self.last = at
        return True

    def actor(self, side: str) -> str:
        if self.rng.random() < 0.8:
            return self.main[side]
        return self.rng.choice(self.sides[side])

    def _effect(self, move: Move, side: str, due: datetime | None) -> None:
        if move in (Move.REQUEST, Move.REVISE) and due is not None:
            self.due = due
        elif move in (Move.COUNTER, Move.PROPOSE_CHANGE):
            self.pending_due, self.pending_by = due, side
        elif move in (Move.ACCEPT_COUNTER, Move.ACCEPT_CHANGE):
            if self.pending_due is not None:
                self.due = self.pending_due
            self.pending_due, self.pending_by = None, ""
        elif move == Move.REJECT_CHANGE:
            self.pending_due, self.pending_by = None, ""


@dataclass
class Demo:
    """The generator: its random source, its clock and what it has made so far."""

    rng: random.Random
    anchor: datetime
    members: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # team -> (email, role)
    viewers: set[str] = field(default_factory=set)
    ability: dict[str, float] = field(default_factory=dict)
    stories: list[Story] = field(default_factory=list)

    @property
    def midnight(self) -> datetime:
        return datetime.combine(self.anchor.date(), time(0, 0), UTC)

    def work(self, moment: datetime, *, backwards: bool = False) -> datetime:
        """A working hour (08:00-16:55 UTC, Monday to Friday) on the day of `moment`."""
        day = moment.date()
        while day.weekday() >= 5:
            day += timedelta(days=-1 if backwards else 1)
        clock = time(self.rng.randint(8, 16), self.rng.randrange(0, 60, 5))
        return datetime.combine(day, clock, UTC)

    def ago(self, days: float) -> datetime:
        """A working hour on the day `days` before the anchor's day (never after the anchor)."""
        return self.work(self.midnight - timedelta(days=days), backwards=True)

    def story(self, partnership: str, requester: str, performer: str) -> Story:
        sides = {"R": self.actors(requester, performer), "P": self.actors(performer, requester)}
        story = Story(self, partnership, requester, performer, sides)
        self.stories.append(story)
        return story

    def actors(self, team: str, other: str) -> list[str]:
        """Who may act for `team` facing `other`: its non-viewer members who are not in both."""
        others = {email for email, _ in self.members[other]}
        return [
            email
            for email, _ in self.members[team]
            if email not in self.viewers and email not in others
        ]

    def leads(self, team: str) -> list[str]:
        return [email for email, role in self.members[team] if role == "lead"]

    def reliability(self, requester: str, performer: str) -> float:
        base = self.ability[performer] + PAIR_BIAS.get((requester, performer), 0.0)
        return min(max(base, 0.05), 0.97)


def build_demo(seed: int = 7, anchor: datetime | None = None) -> dict[str, Any]:
    """A realistic organization as an `accord/1` document; the same seed and anchor give the
    same document."""
    if anchor is None:
        anchor = datetime.combine(datetime.now(UTC).date(), time(0, 0), UTC)
    if anchor.tzinfo is None:
        raise ValueError("the demo's anchor must carry a time zone")
    demo = Demo(rng=random.Random(seed), anchor=anchor.astimezone(UTC))
    people = _people(demo)
    demo.ability = {
        team: min(max(profile.ability + demo.rng.uniform(-0.05, 0.05), 0.05), 0.97)
        for team, profile in PROFILES.items()
    }
    purposes = _purposes(demo)
    partnerships, opened = _partnerships(demo)
    _script(demo)
    _simulate_all(demo, opened)
    stories = sorted((s for s in demo.stories if s.history), key=lambda s: s.requested_at)
    commitments = [
        {
            "key": f"c-{index:03d}",
            "partnership": story.partnership,
            "requester": story.requester,
            "performer": story.performer,
            "history": story.history,
        }
        for index, story in enumerate(stories, start=1)
    ]
    return {
        "format": "accord/1",
        "teams": [
            {"slug": slug, "name": name, "kind": kind, "parent": parent, "mission": mission}
            for slug, name, kind, parent, mission in TEAMS
        ],
        "people": people,
        "purposes": purposes,
        "partnerships": partnerships,
        "commitments": commitments,
        "health_checks": _health_checks(demo, seed),
        "stories": _shared_stories(demo),
    }


def _people(demo: Demo) -> list[dict[str, Any]]:
    demo.members = {slug: [] for slug, *_ in TEAMS}
    people = []
    for name, role, memberships in PEOPLE:
        email = email_of(name)
        if role == "viewer":
            demo.viewers.add(email)
        for team, team_role in memberships:
            demo.members[team].append((email, team_role))
        people.append(
            {
                "email": email,
                "name": name,
                "role": role,
                "memberships": [
                    {"team": team, "role": team_role} for team, team_role in memberships
                ],
            }
        )
    return people


def _purposes(demo: Demo) -> list[dict[str, Any]]:
    out = []
    for plan in PURPOSES:
        measures = []
        for measure in plan.measures:
            item: dict[str, Any] = {
                "name": measure.name,
                "unit": measure.unit,
                "baseline": measure.baseline,
                "target": measure.target,
                "current": measure.current,
            }
            if plan.status != "draft":
                item["updates"] = _measure_updates(demo, plan, measure)
            measures.append(item)
        out.append(
            {
                "key": plan.key,
                "title": plan.title,
                "statement": plan.statement,
                "status": plan.status,
                "sponsor": email_of(plan.sponsor),
                "target_date": (
                    demo.anchor.date() + timedelta(days=plan.target_in_days)
                ).isoformat(),
                "parent": plan.parent,
                "measures": measures,
            }
        )
    return out


def _measure_updates(demo: Demo, plan: PurposePlan, measure: MeasurePlan) -> list[dict[str, Any]]:
    """Quarterly readings by the sponsor, drifting from the baseline to the current value."""
    first, last = HISTORY_DAYS - 60, max(plan.tracked_until_days_ago, 20)
    days = list(range(first, last - 1, -91))
    if days[-1] != last:
        days.append(last)
    spread = abs(measure.target - measure.baseline) * 0.04
    updates = []
    for index, days_ago in enumerate(days, start=1):
        share = index / len(days)
        value = measure.baseline + (measure.current - measure.baseline) * share
        if index < len(days):
            value += demo.rng.uniform(-spread, spread)
        else:
            value = measure.current
        updates.append(
            {
                "value": round(value, measure.decimals),
                "at": _iso(demo.ago(days_ago)),
                "note": "Quarterly reading" if index < len(days) else "Latest reading",
                "by": email_of(plan.sponsor),
            }
        )
    return updates


def _partnerships(demo: Demo) -> tuple[list[dict[str, Any]], dict[str, datetime]]:
    """The charters, and when each partnership may take its first request."""
    out, opened = [], {}
    for plan in PARTNERSHIPS:
        parties = []
        last = demo.ago(plan.formed_days_ago)
        for offset, (team, contribution, affirmed) in enumerate(plan.parties):
            party: dict[str, Any] = {"team": team, "contribution": contribution}
            if affirmed:
                at = max(demo.ago(plan.formed_days_ago - offset), last + timedelta(minutes=30))
                party["affirmed_by"] = demo.rng.choice(demo.leads(team))
                party["affirmed_at"] = _iso(at)
                last = at
            parties.append(party)
        item: dict[str, Any] = {
            "key": plan.key,
            "name": plan.name,
            "purpose": plan.purpose,
            "working_agreements": list(plan.working_agreements),
            "review_every_days": plan.review_every_days,
            "parties": parties,
        }
        if plan.status:
            item["status"] = plan.status
        out.append(item)
        opened[plan.key] = last
    return out, opened


def _script(demo: Demo) -> None:
    """Commitments that must exist whatever the seed: every final state, every open state,
    every path through the table, and work on the demo account's desk."""
    ago = demo.ago
    title = _terms

    # Open at the anchor, on Data Platform's desk
    s = demo.story("churn-signals", "customer-success", "data-platform")
    s.step("request", ago(1), **title("data-platform", 0), due_in=21, reliance="high")
    s = demo.story("churn-signals", "account-management", "data-platform")
    s.step(
        "request",
        ago(2),
        title="Renewal-risk flag on enterprise accounts",
        conditions_of_satisfaction="A weekly flag per enterprise account in the CRM, "
        "with the reasons account managers can act on",
        due_in=30,
        reliance="critical",
        measure="Monthly churn",
    )
    s = demo.story("revenue-to-cash", "billing-platform", "data-platform")
    s.step("request", ago(12), **title("data-platform", 5), due_in=20, reliance="medium")
    s.step("promise", ago(11))
    s = demo.story("mobile-growth", "mobile-app", "data-platform")
    s.step("request", ago(40), **title("data-platform", 7), due_in=34, reliance="high")
    s.step("promise", ago(39))
    s = demo.story("churn-signals", "customer-success", "data-platform")
    s.step(
        "request",
        ago(30),
        **title("data-platform", 3),
        due_in=35,
        reliance="high",
        measure="Save rate on cancellation",
    )
    s.step("promise", ago(29))
    s.step("propose_change", ago(2), side="R", due_shift=-3, note=EARLIER_NOTES[0])
    s = demo.story("churn-signals", "data-platform", "customer-success")
    s.step("request", ago(25), **title("customer-success", 0), due_in=21, reliance="medium")
    s.step("promise", ago(24))
    s.step("report_done", ago(3), note="All 212 cancellations tagged")
    s = demo.story("revenue-to-cash", "data-platform", "billing-platform")
    s.step("request", ago(60), **title("billing-platform", 4), due_in=30, reliance="high")
    s.step("promise", ago(58))
    s.step("report_done", ago(20), note=DONE_NOTES[0])
    s.step("reject", ago(18), reason="Credit notes are missing from the feed")
    s.step("report_done", ago(2), note="Credit notes added and backfilled")
    s = demo.story("insights-for-all", "data-platform", "support-operations")
    s.step("request", ago(6), **title("support-operations", 5), due_in=14, reliance="low")
    s.step("counter", ago(4), due_shift=14, note="The analysts are on the launch until then")

    # Open elsewhere
    s = demo.story("secure-releases", "security-office", "mobile-app")
    s.step(
        "request",
        ago(50),
        **title("mobile-app", 4),
        due_in=60,
        reliance="critical",
        measure="Open critical vulnerabilities",
    )
    s.step("promise", ago(48))
    s.step("propose_change", ago(3), side="P", due_shift=21, note=DELAY_NOTES[3])
    s = demo.story("enterprise-onboarding", "sales-engineering", "integrations")
    s.step(
        "request",
        ago(3),
        **title("integrations", 0),
        due_in=40,
        reliance="high",
        measure="Median days to go-live",
    )
    s = demo.story("enterprise-onboarding", "account-management", "billing-platform")
    s.step("request", ago(70), **title("billing-platform", 2), due_in=45, reliance="critical")
    s.step("promise", ago(68))

    # Finished: every final state and every path
    s = demo.story("churn-signals", "customer-success", "data-platform")
    s.step("request", ago(530), **title("data-platform", 3), due_in=40, reliance="medium")
    s.step("promise", ago(529))
    s.step("report_done", ago(500), note=DONE_NOTES[2])
    s.step("accept", ago(498), value=4, note=VALUE_NOTES[4])
    s = demo.story("churn-signals", "customer-success", "data-platform")
    s.step(
        "request",
        ago(200),
        **title("data-platform", 0),
        due_in=50,
        reliance="high",
        measure="Save rate on cancellation",
    )
    s.step("promise", ago(199))
    s.step("propose_change", ago(160), side="P", due_shift=14, note=DELAY_NOTES[1])
    s.step("accept_change", ago(159))
    s.step("report_done", ago(138), note=DONE_NOTES[0])
    s.step("accept", ago(136), value=5, note="Saved 12 accounts in the first week")
    s = demo.story("revenue-to-cash", "account-management", "billing-platform")
    s.step("request", ago(300), **title("billing-platform", 1), due_in=30, reliance="high")
    s.step("promise", ago(299))
    s.step("report_done", ago(260), note=DONE_NOTES[4])
    s.step("accept", ago(258), value=3, note=VALUE_NOTES[3])
    s = demo.story("enterprise-security-reviews", "sales-engineering", "security-office")
    s.step("request", ago(280), **title("security-office", 3), due_in=20, reliance="medium")
    s.step("decline", ago(278), reason="The audit starts next quarter; evidence exists only then")
    s = demo.story("platform-reliability", "checkout-payments", "cloud-infrastructure")
    s.step("request", ago(350), **title("cloud-infrastructure", 1), due_in=20, reliance="high")
    s.step("counter", ago(349), due_shift=21, note="A game day needs three weeks of notice")
    s.step("withdraw", ago(347), reason=WITHDRAW_REASONS[0])
    s = demo.story("enterprise-onboarding", "account-management", "integrations")
    s.step("request", ago(240), **title("integrations", 6), due_in=60, reliance="medium")
    s.step("promise", ago(238))
    s.step("revoke", ago(200), reason=NOTICE_REVOKE_REASONS[1])
    s = demo.story("secure-releases", "security-office", "mobile-app")
    s.step("request", ago(380), **title("mobile-app", 4), due_in=30, reliance="critical")
    s.step("promise", ago(378))
    s.step("revoke", ago(340), reason=LATE_REVOKE_REASONS[1])
    s = demo.story("mobile-growth", "customer-success", "mobile-app")
    s.step("request", ago(150), **title("mobile-app", 2), due_in=30, reliance="high")
    s.step("promise", ago(149))
    s.step("mark_missed", ago(112), note=MISSED_NOTES[0])
    s = demo.story("platform-reliability", "billing-platform", "cloud-infrastructure")
    s.step("request", ago(420), **title("cloud-infrastructure", 6), due_in=14, reliance="medium")
    s.step("counter", ago(419), due_shift=14, conditions_of_satisfaction=COUNTER_TERMS[3])
    s.step("accept_counter", ago(418))
    s.step("report_done", ago(395), note=DONE_NOTES[1])
    s.step("accept", ago(393), value=4, note=VALUE_NOTES[4])
    s = demo.story("enterprise-onboarding", "sales-engineering", "integrations")
    s.step("request", ago(330), **title("integrations", 2), due_in=20, reliance="high")
    s.step("counter", ago(329), due_shift=30, note="Needs the identity team's review first")
    s.step("revise", ago(327), due_shift=10, note="Ten more days is what the customer accepts")
    s.step("promise", ago(326))
    s.step("report_done", ago(304), note=DONE_NOTES[3])
    s.step("accept", ago(302), value=4, note=VALUE_NOTES[4])
    s = demo.story("churn-signals", "account-management", "data-platform")
    s.step("request", ago(180), **title("data-platform", 1), due_in=40, reliance="medium")
    s.step("promise", ago(179))
    s.step("propose_change", ago(165), side="R", due_shift=-10, note=EARLIER_NOTES[1])
    s.step("reject_change", ago(164), reason="Reconciling with finance needs the full window")
    s.step("report_done", ago(143), note=DONE_NOTES[0])
    s.step("accept", ago(141), value=4, note=VALUE_NOTES[4])
    s = demo.story("revenue-to-cash", "data-platform", "billing-platform")
    s.step("request", ago(262), **title("billing-platform", 0), due_in=30, reliance="high")
    s.step("promise", ago(261))
    s.step("propose_change", ago(242), side="P", due_shift=14, note=DELAY_NOTES[0])
    s.step("reject_change", ago(241), reason=REJECT_CHANGE_REASONS[0])
    s.step("report_done", ago(224), note=DONE_NOTES[1])
    s.step("accept", ago(221), value=2, note=VALUE_NOTES[2])
    s = demo.story("one-checkout", "web-storefront", "checkout-payments")
    s.step(
        "request",
        ago(500),
        **title("checkout-payments", 0),
        due_in=45,
        reliance="critical",
        measure="Checkout conversion",
    )
    s.step("promise", ago(498))
    s.step("report_done", ago(470), note=DONE_NOTES[3])
    s.step("reject", ago(468), reason="Google Pay fails on Firefox; the conditions said web")
    s.step("report_done", ago(462), note="Fixed for Firefox")
    s.step("accept", ago(460), value=4, note=VALUE_NOTES[4])
    s = demo.story("support-deflection", "support-operations", "web-storefront")
    s.step("request", ago(250), **title("web-storefront", 1), due_in=40, reliance="medium")
    s.step("promise", ago(249))
    s.step(
        "propose_change",
        ago(235),
        side="R",
        conditions_of_satisfaction="Search box on "
        "every page, answers shown before the contact form, searches logged for Support",
    )
    s.step("accept_change", ago(234))
    s.step("report_done", ago(215), note=DONE_NOTES[0])
    s.step("accept", ago(213), value=5, note=VALUE_NOTES[5])
    s = demo.story("insights-for-all", "strategy-office", "data-platform")
    s.step("request", ago(190), **title("data-platform", 1), due_in=30, reliance="low")
    s.step("promise", ago(189))
    s.step("withdraw", ago(175), reason=WITHDRAW_REASONS[2])


def _terms(team: str, index: int) -> dict[str, Any]:
    name, conditions = CATALOG[team][index]
    return {"title": name, "conditions_of_satisfaction": conditions}


def _simulate_all(demo: Demo, opened: dict[str, datetime]) -> None:
    """The bulk of the history: requests spread over each partnership's active months."""
    plans = list(PARTNERSHIPS)
    weights = [
        plan.weight * (plan.formed_days_ago - plan.requests_until_days_ago) for plan in plans
    ]
    rng = demo.rng
    for _ in range(RANDOM_COMMITMENTS):
        plan = rng.choices(plans, weights)[0]
        teams = [team for team, _, _ in plan.parties]
        requester, performer = rng.sample(teams, 2)
        first = max((demo.midnight - opened[plan.key]).days - 4, 1)
        last = max(plan.requests_until_days_ago, 1)
        story = demo.story(plan.key, requester, performer)
        at = demo.ago(last + (first - last) * rng.random() ** 1.25)  # adoption grows
        if at <= opened[plan.key]:
            at = opened[plan.key] + timedelta(days=3)
        _simulate(demo, story, plan, at)


def _simulate(demo: Demo, s: Story, plan: PartnershipPlan, at: datetime) -> None:
    rng = demo.rng
    profile = PROFILES[s.performer]
    title, conditions = rng.choice(CATALOG[s.performer])
    reliance = rng.choices([r for r, _ in RELIANCE_WEIGHTS], [w for _, w in RELIANCE_WEIGHTS])[0]
    request: dict[str, Any] = {
        "title": title,
        "conditions_of_satisfaction": conditions,
        "reliance": reliance,
    }
    purpose = next(p for p in PURPOSES if p.key == plan.purpose)
    if reliance in ("medium", "high", "critical") and rng.random() < 0.5:
        request["measure"] = rng.choice(purpose.measures).name
    s.step("request", at, due_in=rng.triangular(7, 90, 28), **request)

    roll = rng.random()
    if roll < 0.05:
        s.step("decline", s.after(0.2, 4), reason=rng.choice(DECLINE_REASONS))
        return
    if roll < 0.07:
        s.step("withdraw", s.after(0.5, 4), reason=rng.choice(WITHDRAW_REASONS))
        return
    if roll < 0.24:
        terms: dict[str, Any] = {}
        kind = rng.random()
        if kind < 0.85:
            terms["due_shift"] = rng.choice((7, 10, 14, 21, 28))
        if kind > 0.7:
            terms["conditions_of_satisfaction"] = rng.choice(COUNTER_TERMS)
        s.step("counter", s.after(0.2, 3), **terms)
        answer = rng.random()
        if answer < 0.68:
            s.step("accept_counter", s.after(0.3, 5))
        elif answer < 0.9:
            if "due_shift" in terms:
                shift, note = rng.choice((3, 5, 7)), "Meet us halfway on the date"
            else:
                shift, note = rng.choice((7, 14)), "Take more time, but we need all of it"
            s.step("revise", s.after(0.3, 5), due_shift=shift, note=note)
            if rng.random() < 0.1:
                s.step("decline", s.after(0.2, 3), reason=rng.choice(DECLINE_REASONS))
                return
            s.step("promise", s.after(0.2, 3))
        else:
            s.step("withdraw", s.after(0.2, 3), reason=rng.choice(WITHDRAW_REASONS))
            return
    else:
        s.step("promise", s.after(0.1, 3))
    _deliver(demo, s, profile)


def _deliver(demo: Demo, s: Story, profile: Profile) -> None:
    """From a promise to the end: changes of terms, delivery or not, review."""
    rng = demo.rng
    ability = demo.reliability(s.requester, s.performer)
    if rng.random() < 0.08:
        change = rng.random()
        at = s.toward_due(rng.uniform(0.2, 0.5))
        if change < 0.4:
            s.step(
                "propose_change",
                at,
                side="R",
                due_shift=-rng.choice((3, 5, 7)),
                note=rng.choice(EARLIER_NOTES),
            )
        elif change < 0.7:
            s.step(
                "propose_change",
                at,
                side="R",
                due_shift=rng.choice((7, 14)),
                note=rng.choice(LATER_NOTES),
            )
        else:
            s.step(
                "propose_change", at, side="R", conditions_of_satisfaction=rng.choice(SCOPE_CHANGES)
            )
        if rng.random() < 0.7:
            s.step("accept_change", s.after(0.1, 2))
        else:
            s.step("reject_change", s.after(0.1, 2), reason="We cannot fit that in now")
    on_time = rng.random() < ability
    if not on_time and rng.random() < profile.integrity:
        at = s.toward_due(rng.uniform(0.5, 0.9))
        if rng.random() < 0.2:
            s.step("revoke", at, reason=rng.choice(NOTICE_REVOKE_REASONS))
            return
        s.step(
            "propose_change",
            at,
            side="P",
            due_shift=rng.choice((7, 14, 21, 28)),
            note=rng.choice(DELAY_NOTES),
        )
        if rng.random() < 0.78:
            s.step("accept_change", s.after(0.1, 2))
            on_time = rng.random() < min(ability + 0.3, 0.97)
        else:
            s.step("reject_change", s.after(0.1, 2), reason=rng.choice(REJECT_CHANGE_REASONS))
    if not s.live:
        return
    if on_time:
        delivered = s.toward_due(rng.uniform(0.55, 0.98))
    else:
        fate = rng.random()
        if fate < 0.5:
            delivered = s.past_due(1, 21)
        elif fate < 0.78:
            s.step("mark_missed", s.past_due(3, 25), note=rng.choice(MISSED_NOTES))
            return
        elif fate < 0.9:
            s.step("revoke", s.past_due(1, 10), reason=rng.choice(LATE_REVOKE_REASONS))
            return
        else:
            s.step("withdraw", s.past_due(1, 10), reason=rng.choice(WITHDRAW_REASONS))
            return
    s.step("report_done", delivered, note=rng.choice(DONE_NOTES))
    rejections = 0
    while rejections < 2 and rng.random() < 0.1 + (4.4 - profile.quality) * 0.08:
        s.step("reject", s.after(0.3, 4), reason=rng.choice(REJECT_REASONS))
        s.step("report_done", s.after(1, 7), note="Fixed: " + rng.choice(DONE_NOTES).lower())
        rejections += 1
    mean = profile.quality - (0.0 if on_time else 0.8) - 0.3 * rejections
    value = min(max(round(rng.gauss(mean, 0.7)), 1), 5)
    s.step("accept", s.after(0.2, 4), value=value, note=VALUE_NOTES[value])


# Health checks and stories draw from a random source of their own, so that adding them left
# every commitment of the demo as it was.
HEALTH_EVERY_DAYS = 91
HEALTH_ROUNDS = 4
STATEMENT_NAMES = ("purpose", "direction", "ability", "integrity", "value", "overall")


def _perception(demo: Demo, team: str, partners: list[str], drift: float) -> dict[str, float]:
    """What a party feels, statement by statement, on the 1-5 scale: near its partners' real
    record (abilities), with a drift that shrinks round after round as evidence comes in."""
    ability = sum(demo.reliability(team, p) for p in partners) / len(partners)
    integrity = sum(PROFILES[p].integrity for p in partners if p in PROFILES) / len(partners)
    value = sum(PROFILES[p].quality for p in partners if p in PROFILES) / len(partners)
    feel = {
        "purpose": 3.6 + ability,
        "direction": 3.2 + ability,
        "ability": 1 + 4 * ability,
        "integrity": 1 + 4 * integrity,
        "value": value,
    }
    feel = {name: level + drift for name, level in feel.items()}
    feel["overall"] = (feel["ability"] + feel["integrity"] + feel["value"]) / 3 + 0.2
    return feel


def _answers(rng: random.Random, feel: dict[str, float], people: int) -> dict[str, list[int]]:
    distribution = {name: [0] * 5 for name in STATEMENT_NAMES}
    for _ in range(people):
        for name in STATEMENT_NAMES:
            level = round(min(max(rng.gauss(feel[name], 0.7), 1), 5))
            distribution[name][level - 1] += 1
    return distribution


def _health_checks(demo: Demo, seed: int) -> list[dict[str, Any]]:
    """Quarterly rounds on every partnership all of whose parties signed, and one round open on
    Churn signals that the demo account has yet to answer."""
    rng = random.Random(seed * 7919 + 1)
    rounds: list[dict[str, Any]] = []
    for plan in PARTNERSHIPS:
        if not all(affirmed for _, _, affirmed in plan.parties):
            continue
        teams = [team for team, _, _ in plan.parties]
        last_close = max(plan.requests_until_days_ago, 6)
        closes = [
            days
            for days in range(last_close, plan.formed_days_ago - 30, HEALTH_EVERY_DAYS)
            if days + 14 < plan.formed_days_ago
        ][:HEALTH_ROUNDS]
        for number, days in enumerate(reversed(closes), start=1):
            drift = 0.5 * (len(closes) - number) / max(len(closes), 1)
            parties = []
            answered: list[str] = []
            for team in teams:
                # one answer per person, under one party, however many parties they are in
                people = [
                    email
                    for email, _ in demo.members[team]
                    if email not in demo.viewers and email not in answered
                ]
                # most of a team answers; a smaller team sometimes falls short of the threshold
                count = len(people) if rng.random() < 0.8 else max(len(people) - 1, 1)
                answered += sorted(rng.sample(people, count))
                partners = [other for other in teams if other != team]
                feel = _perception(demo, team, partners, drift)
                parties.append(
                    {
                        "team": team,
                        "responses": count,
                        "distribution": _answers(rng, feel, count),
                    }
                )
            opened = demo.ago(days + 14)
            rounds.append(
                {
                    "key": f"{plan.key}-round-{number}",
                    "partnership": plan.key,
                    "opened_by": demo.leads(teams[0])[0],
                    "opened_at": _iso(opened),
                    "closes_at": _iso(demo.ago(days)),
                    "answered_by": sorted(answered),
                    "parties": parties,
                }
            )
    done = sum(1 for r in rounds if r["partnership"] == "churn-signals")
    rounds.append(_open_round(demo, rng, done + 1))
    return rounds


def _open_round(demo: Demo, rng: random.Random, number: int) -> dict[str, Any]:
    """Churn signals' current round: most have answered, the demo account has not."""
    teams = ("data-platform", "customer-success", "account-management")
    plan = next(p for p in PARTNERSHIPS if p.key == "churn-signals")
    waiting = {DEMO_LOGIN, "oscar.lindqvist@example.org"}
    parties, answered = [], []
    for team in teams:
        people = [
            email
            for email, _ in demo.members[team]
            if email not in demo.viewers and email not in answered and email not in waiting
        ]
        answered += people
        partners = [other for other in teams if other != team]
        feel = _perception(demo, team, partners, 0.0)
        parties.append(
            {
                "team": team,
                "responses": len(people),
                "distribution": _answers(rng, feel, len(people)),
            }
        )
    return {
        "key": f"{plan.key}-round-{number}",
        "partnership": plan.key,
        "opened_by": DEMO_LOGIN,
        "opened_at": _iso(demo.ago(3)),
        "closes_at": _iso(demo.midnight + timedelta(days=11, hours=17)),
        "answered_by": sorted(answered),
        "parties": parties,
    }


@dataclass(frozen=True)
class StoryPlan:
    key: str
    title: str
    author: str
    days_ago: int
    body: str
    tags: tuple[str, ...]
    partnerships: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    purposes: tuple[str, ...] = ()
    results: str = ""
    metric: tuple[str, float, str] | None = None
    replies: tuple[tuple[str, int, str], ...] = ()  # author, days after the story, text


SHARED_STORIES: tuple[StoryPlan, ...] = (
    StoryPlan(
        "churn-score-in-the-crm",
        "How a daily churn score reached the CRM before the morning call",
        "Bo Andersen",
        120,
        "We used to get a churn list **once a month**, already stale. When Data Platform and "
        "Customer Success sat down around *one* purpose — halve churn — the ask became "
        "concrete:\n\n"
        "1. a risk score per account, in the CRM by 08:00 every day;\n"
        "2. the three reasons behind each score, in words a success manager can use;\n"
        "3. a weekly review of the saves and the misses.\n\n"
        "What made it work was the working agreement *say early when a date slips*. Ana's team "
        "told us two weeks ahead that the reasons would be late, so we planned the playbooks "
        "around it instead of finding out on the day.\n\n"
        "> The score is only as good as the conversation it starts.",
        ("churn", "data-sharing", "working-agreements"),
        partnerships=("churn-signals",),
        teams=("customer-success", "data-platform"),
        purposes=("churn",),
        results="Saves on cancellation calls went up in the first quarter after go-live.",
        metric=("Save rate on cancellation", 7.5, "points"),
        replies=(
            (
                "Ana Lima",
                1,
                "Thank you, Bo. The early warning only worked because you asked "
                "for the reasons, not just the score.",
            ),
            (
                "Hannah Schmidt",
                3,
                "Account Management would like the same for renewals. "
                "Can we join the weekly review?",
            ),
            ("Bo Andersen", 4, "Yes — Thursdays at 10:00, everyone welcome."),
        ),
    ),
    StoryPlan(
        "one-checkout-retrospective",
        "One checkout: what three teams learned shipping a single payment flow",
        "Olivia Grant",
        240,
        "Web, app and payments each had their *own* checkout and their own idea of conversion. "
        "We agreed on one dashboard and one definition before writing any code.\n\n"
        "- Feature flags meant no big-bang release.\n"
        "- Every promise had conditions of satisfaction we could test.\n"
        "- When mobile had to revoke a date, they did it a month ahead — honest revocation "
        "kept our trust intact.\n\n"
        "The purpose is achieved and the partnership is concluded; the habits stay.",
        ("checkout", "retrospective", "feature-flags"),
        partnerships=("one-checkout",),
        teams=("checkout-payments", "web-storefront", "mobile-app"),
        purposes=("checkout-conversion",),
        results="Checkout conversion reached its target and payment failures halved.",
        metric=("Checkout conversion", 3.4, "%"),
        replies=(
            ("Noah Kim", 2, "The early revocation was hard to send. Glad it helped."),
            ("Liam Carter", 5, "We reuse the shared dashboard for the storefront now."),
        ),
    ),
    StoryPlan(
        "onboarding-in-two-weeks",
        "Onboarding an enterprise customer in two weeks, for the first time",
        "Mei Chen",
        60,
        "Four teams, one plan per customer. The turning point was the rule that **no customer "
        "is promised a date we have not agreed together**. Sales Engineering now captures the "
        "technical requirements before signature, so Integrations starts on day one.\n\n"
        "We still miss dates on connectors; the trust map shows it, and we are working on it "
        "in the open.",
        ("onboarding", "enterprise", "honesty"),
        partnerships=("enterprise-onboarding",),
        teams=("integrations", "sales-engineering"),
        purposes=("faster-onboarding",),
        results="Median days to go-live fell from 41 to 19.",
        metric=("Median days to go-live", 19, "days"),
        replies=(
            (
                "Aisha Patel",
                1,
                "The requirements template is in the shared drive — improvements welcome.",
            ),
        ),
    ),
    StoryPlan(
        "security-as-a-partner",
        "From gatekeeper to partner: security reviews in the design phase",
        "Fatima Hassan",
        150,
        "Security used to appear at the end, with a list of findings. In the *Secure releases* "
        "partnership we asked to be invited to design reviews instead, and stated what we "
        "uniquely contribute: threat models and sign-off.\n\n"
        "Critical findings are now fixed within seven days — most of the time. Where they are "
        "not, the commitment says so.",
        ("security", "design-reviews"),
        partnerships=("secure-releases",),
        teams=("security-office", "cloud-infrastructure"),
        purposes=("secure-by-default",),
        results="Open critical vulnerabilities went from 14 to 3.",
        metric=("Open critical vulnerabilities", 3, "findings"),
        replies=(
            ("Erik Johansson", 2, "Hardened base images cut our findings by half on their own."),
            (
                "Liam Carter",
                6,
                "Design reviews with Security caught two issues we would have shipped.",
            ),
        ),
    ),
    StoryPlan(
        "blameless-reviews",
        "Blameless post-incident reviews made our error budget a shared one",
        "Erik Johansson",
        90,
        "After the Black Friday incident we agreed on a blameless review within five days. "
        "Checkout and Billing now see the same error budget we do, and they tell us about "
        "load tests *before* running them.",
        ("reliability", "incidents", "working-agreements"),
        partnerships=("platform-reliability",),
        teams=("cloud-infrastructure", "checkout-payments", "billing-platform"),
        purposes=("secure-by-default",),
        results="Checkout availability held at 99.95% through the peak season.",
        metric=("Checkout availability", 99.95, "%"),
        replies=(("Victor Hughes", 3, "Idempotent billing jobs were the hard part. Worth it."),),
    ),
    StoryPlan(
        "help-centre-deflection",
        "Fewer tickets by writing the help centre with the people who answer the calls",
        "Rachel Moore",
        45,
        "Customer Success brought the top contact reasons; we wrote the articles; Web tuned the "
        "search. Our contributions still read too much alike on the charter — we are fixing "
        "that, so that each party says what only it provides.",
        ("support", "self-service", "charter"),
        partnerships=("support-deflection",),
        teams=("support-operations", "customer-success", "web-storefront"),
        purposes=("churn",),
        results="Contacts per thousand orders fell by a fifth.",
        replies=(
            (
                "Chloe Martin",
                2,
                "The call notes are tagged by reason now, so the list stays fresh.",
            ),
        ),
    ),
)


def _shared_stories(demo: Demo) -> list[dict[str, Any]]:
    out = []
    for plan in SHARED_STORIES:
        at = demo.ago(plan.days_ago)
        item: dict[str, Any] = {
            "key": plan.key,
            "title": plan.title,
            "author": email_of(plan.author),
            "created_at": _iso(at),
            "updated_at": _iso(at),
            "body": plan.body,
            "tags": list(plan.tags),
            "partnerships": list(plan.partnerships),
            "teams": list(plan.teams),
            "purposes": list(plan.purposes),
            "results": plan.results,
            "metric": (
                {"name": plan.metric[0], "value": plan.metric[1], "unit": plan.metric[2]}
                if plan.metric
                else None
            ),
            "hidden": None,
            "replies": [
                {
                    "author": email_of(author),
                    # a working hour that may fall back over a weekend: never before the story
                    "at": _iso(max(demo.ago(plan.days_ago - after), at + timedelta(hours=2))),
                    "body": text,
                }
                for author, after, text in plan.replies
            ],
        }
        out.append(item)
    return out
