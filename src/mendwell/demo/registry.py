"""Core demo steps: organisation, sites, a user per role, and 60 clients at every stage."""

from __future__ import annotations

from datetime import timedelta

from mendwell.actions import accounts, clients
from mendwell.clinical.registry import (
    ClientStatus,
    DiagnosisStatus,
    PriorPsychedelicUse,
    Psychotherapy,
    TraumaType,
)
from mendwell.demo.builder import DEMO_PASSWORD, DemoClient, DemoContext, demo_step
from mendwell.demo.people import (
    FIRST_NAMES,
    REFERRAL_SOURCES,
    RELATIONSHIPS,
    SURNAMES,
    demo_phone,
)
from mendwell.permissions import Role
from mendwell.schemas.accounts import SiteCreate, UserCreate
from mendwell.schemas.clients import ClientCreate, StatusChange
from mendwell.schemas.common import parse

USERS = (
    # username, full name, {site key: role}, what the login shows off
    ("admin", "Ada Admin", {"A": Role.ADMIN, "B": Role.ADMIN}, "program admin, both sites"),
    ("alice", "Alice Facilitator", {"A": Role.FACILITATOR}, "facilitator, Northside"),
    ("bob", "Bob Cofacilitator", {"A": Role.FACILITATOR}, "facilitator, Northside"),
    (
        "carol",
        "Carol Facilitator",
        {"B": Role.FACILITATOR},
        "facilitator, Cascade (sees only her own clients)",
    ),
    ("dan", "Dan Facilitator", {"B": Role.FACILITATOR}, "facilitator, Cascade"),
    (
        "mara",
        "Dr Mara Medic",
        {"A": Role.MEDICAL, "B": Role.MEDICAL},
        "medical monitor, both sites",
    ),
    ("rita", "Rita Rater", {"A": Role.RATER, "B": Role.RATER}, "blinded independent rater"),
    ("ana", "Ana Analyst", {"A": Role.ANALYST, "B": Role.ANALYST}, "analyst, de-identified"),
)

# (stage, how many at site A, how many at site B); each stage is reached through the ones
# before it, so status histories look like real courses of care.
STAGES = (
    (ClientStatus.REFERRED, 4, 2),
    (ClientStatus.SCREENING, 5, 3),
    (ClientStatus.INELIGIBLE, 2, 2),
    (ClientStatus.ELIGIBLE, 2, 2),
    (ClientStatus.ENROLLED, 4, 2),
    (ClientStatus.IN_TREATMENT, 7, 5),
    (ClientStatus.FOLLOW_UP, 5, 3),
    (ClientStatus.COMPLETED, 5, 3),
    (ClientStatus.WITHDRAWN, 2, 1),
    (ClientStatus.LOST_TO_FOLLOW_UP, 0, 1),
)
PATH = (
    ClientStatus.SCREENING,
    ClientStatus.ELIGIBLE,
    ClientStatus.ENROLLED,
    ClientStatus.IN_TREATMENT,
    ClientStatus.FOLLOW_UP,
    ClientStatus.COMPLETED,
)
REASONS = {
    ClientStatus.INELIGIBLE: (
        "Bipolar I disorder history",
        "Uncontrolled hypertension",
        "Lithium in the last 30 days",
    ),
    ClientStatus.WITHDRAWN: (
        "Moved out of state",
        "Chose another treatment",
        "Could not arrange time off work",
    ),
    ClientStatus.LOST_TO_FOLLOW_UP: ("No response to three contact attempts",),
}
DAYS_PER_STEP = {
    ClientStatus.SCREENING: 10,
    ClientStatus.ELIGIBLE: 14,
    ClientStatus.ENROLLED: 7,
    ClientStatus.IN_TREATMENT: 21,
    ClientStatus.FOLLOW_UP: 90,
    ClientStatus.COMPLETED: 120,
}


@demo_step
def organisation_and_users(ctx: DemoContext) -> None:
    start = ctx.at(ctx.today - timedelta(days=400))
    system = ctx.as_system(start)
    ctx.org = accounts.create_organisation(system, "Harbour Light Collective (demo)")
    ctx.sites["A"] = accounts.create_site(
        system,
        ctx.org.id,
        parse(
            SiteCreate,
            {"name": "Northside Trial Clinic", "code": "NTH", "timezone": "America/New_York"},
        ),
    )
    ctx.sites["B"] = accounts.create_site(
        system,
        ctx.org.id,
        parse(
            SiteCreate,
            {
                "name": "Cascade Service Centre",
                "code": "CSC",
                "timezone": "America/Los_Angeles",
                "jurisdiction": "us-or",
                "facilitators_see_assigned_only": True,
            },
        ),
    )
    for username, name, roles, what in USERS:
        data = parse(
            UserCreate,
            {
                "username": username,
                "full_name": name,
                "email": f"{username}@example.org",
                "password": DEMO_PASSWORD,
                "roles": {ctx.sites[key].id: role for key, role in roles.items()},
            },
        )
        ctx.users[username] = accounts.create_user(system, ctx.database.settings, ctx.org.id, data)
        ctx.logins.append((username, what))
    ctx.counts["users"] = len(USERS)


def _client_payload(ctx: DemoContext, n: int, site_key: str, stage: ClientStatus) -> dict:  # type: ignore[type-arg]
    rng = ctx.rng
    first = FIRST_NAMES[n % len(FIRST_NAMES)]
    last = SURNAMES[(n * 7 + 3) % len(SURNAMES)]
    age = int(min(72, max(21, rng.gauss(41, 11))))
    birth = ctx.today - timedelta(days=age * 365 + rng.randint(0, 364))
    traumas = rng.sample(list(TraumaType)[:-1], k=rng.choice((1, 1, 2)))
    advanced = stage not in (ClientStatus.REFERRED, ClientStatus.SCREENING)
    diagnosis = (
        DiagnosisStatus.CONFIRMED
        if advanced and stage != ClientStatus.INELIGIBLE
        else rng.choice((DiagnosisStatus.NOT_ASSESSED, DiagnosisStatus.PROVISIONAL))
    )
    use = rng.choices(list(PriorPsychedelicUse), weights=(50, 25, 10, 10, 5))[0]
    return {
        "site_id": ctx.sites[site_key].id,
        "legal_name": f"{first} {last}",
        "preferred_name": first if rng.random() < 0.3 else None,
        "date_of_birth": birth.isoformat(),
        "sex_at_birth": rng.choices(
            ("female", "male", "intersex", "not_stated"), weights=(62, 35, 1, 2)
        )[0],
        "gender_identity": rng.choice((None, None, "woman", "man", "non-binary")),
        "email": f"{first.lower()}.{last.lower()}@example.org",
        "phone": demo_phone(n),
        "emergency_contact_name": f"{rng.choice(FIRST_NAMES)} {last}",
        "emergency_contact_phone": demo_phone(n + 50),
        "emergency_contact_relationship": rng.choice(RELATIONSHIPS),
        "trauma_types": [t.value for t in traumas],
        "ptsd_diagnosis_status": diagnosis.value,
        "ptsd_diagnosis_source": {
            DiagnosisStatus.CONFIRMED: "CAPS-5 interview at screening",
            DiagnosisStatus.PROVISIONAL: "PCL-5 at referral",
        }.get(diagnosis),
        "prior_psychotherapies": [
            p.value for p in rng.sample(list(Psychotherapy)[:-1], k=rng.choice((0, 1, 1, 2)))
        ],
        "prior_medications": rng.choice(
            (
                None,
                "Sertraline 100 mg, 2019–2022",
                "Prazosin 5 mg at night",
                "Paroxetine 20 mg, 2020",
            )
        ),
        "treatment_resistant": rng.random() < 0.4,
        "prior_psychedelic_use": use.value,
        "referral_source": rng.choice(REFERRAL_SOURCES),
    }


def _path_to(stage: ClientStatus) -> list[ClientStatus]:
    if stage == ClientStatus.REFERRED:
        return []
    if stage == ClientStatus.INELIGIBLE:
        return [ClientStatus.SCREENING, ClientStatus.INELIGIBLE]
    if stage == ClientStatus.WITHDRAWN:
        return [*PATH[:4], ClientStatus.WITHDRAWN]
    if stage == ClientStatus.LOST_TO_FOLLOW_UP:
        return [*PATH[:5], ClientStatus.LOST_TO_FOLLOW_UP]
    return list(PATH[: PATH.index(stage) + 1])


@demo_step
def clients_at_every_stage(ctx: DemoContext) -> None:
    facilitators = {"A": ("alice", "bob"), "B": ("carol", "dan")}
    n = 0
    for stage, count_a, count_b in STAGES:
        for site_key, count in (("A", count_a), ("B", count_b)):
            for _ in range(count):
                steps = _path_to(stage)
                span = sum(DAYS_PER_STEP.get(s, 14) for s in steps) + ctx.rng.randint(3, 30)
                referred = ctx.today - timedelta(days=min(span, 380))
                facilitator = facilitators[site_key][n % 2]
                payload = _client_payload(ctx, n, site_key, stage)
                payload["facilitator_ids"] = [ctx.users[facilitator].id]
                creator = ctx.as_user("admin", ctx.at(referred, 9 + n % 8))
                client = clients.create_client(
                    creator,
                    parse(ClientCreate, payload, context={"today": ctx.today}),
                    code=clients.new_client_code(ctx.rng.choice),
                )
                day = referred
                for status in steps:
                    day = min(day + timedelta(days=DAYS_PER_STEP.get(status, 14)), ctx.today)
                    reason = ctx.rng.choice(REASONS[status]) if status in REASONS else None
                    clients.change_status(
                        ctx.as_user(facilitator, ctx.at(day, 11)),
                        client.id,
                        StatusChange(status=status, reason=reason, effective_date=day),
                    )
                ctx.clients.append(
                    DemoClient(client.id, site_key, stage.value, referred, facilitator)
                )
                n += 1
    ctx.counts["clients"] = n
