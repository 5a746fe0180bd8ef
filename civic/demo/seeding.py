"""Realistic demo data for `flask demo seed`: residents, staff, and issues inside the real neighbourhoods
of the demo city, with upvotes, comments and status histories that agree with the issues' counters.

Built for volume as well as for a first look: rows go in with bulk inserts in chunks, ids assigned here.
"""

from __future__ import annotations

import itertools
import random
import secrets
from collections.abc import Iterator
from datetime import timedelta

from shapely.geometry import Point
from sqlalchemy import func, insert, select

from civic.accounts import services as accounts
from civic.accounts.models import Role, User
from civic.accounts.passwords import hash_password
from civic.database import follow_explicit_ids, unit_of_work, utcnow
from civic.extensions import db
from civic.geo import neighbourhoods
from civic.issues.catalog import ensure_categories
from civic.issues.models import Comment, Issue, IssueStatus, StatusChange, Upvote

DEMO_HOOD = "fishtown"
CHUNK = 5000

STREETS = [
    "Frankford Ave",
    "Girard Ave",
    "E Norris St",
    "Memphis St",
    "Thompson St",
    "E Columbia Ave",
    "Belgrade St",
    "E Palmer St",
    "Shackamaxon St",
    "E Berks St",
    "E Montgomery Ave",
    "E York St",
    "E Cumberland St",
    "E Lehigh Ave",
    "Aramingo Ave",
    "Richmond St",
    "N Front St",
    "Trenton Ave",
    "E Susquehanna Ave",
    "Sepviva St",
]
TITLES = {
    "pothole": [
        "Deep pothole on {street}",
        "Pothole by the crosswalk at {street}",
        "Road surface breaking up on {street}",
        "Bache grande en {street}",
    ],
    "street-light": [
        "Street light out on {street}",
        "Flickering street light near {street}",
        "Dark corner at {street}",
    ],
    "illegal-dumping": [
        "Mattress dumped on {street}",
        "Pile of tyres in the alley off {street}",
        "Construction debris dumped on {street}",
        "Basura tirada en {street}",
    ],
    "trash-collection": ["Trash not collected on {street}", "Recycling missed on {street} this week"],
    "graffiti": ["Graffiti on the wall at {street}", "Tagging on the mailbox at {street}"],
    "abandoned-vehicle": ["Car without plates parked for weeks on {street}", "Abandoned van on {street}"],
    "other": ["Broken bench at the corner of {street}", "Fallen sign on {street}", "Blocked storm drain on {street}"],
}
DESCRIPTIONS = [
    "It has been like this for a while and it is getting worse.",
    "Neighbours walking to school pass here every morning.",
    "Right in front of the corner store, hard to miss.",
    "Cars swerve around it, especially at night.",
    "Lleva así varias semanas. Gracias por revisarlo.",
]
COMMENTS = [
    "I saw this too this morning.",
    "Still there today.",
    "Thanks for reporting!",
    "My neighbour called 311 about it last week.",
    "Yo también lo vi ayer.",
]
CATEGORY_WEIGHTS = {
    "pothole": 25,
    "illegal-dumping": 20,
    "graffiti": 15,
    "street-light": 12,
    "trash-collection": 12,
    "abandoned-vehicle": 8,
    "other": 8,
}
CLOSE_REASONS = {
    "duplicate": "Already reported in another issue.",
    "not_responsible": "This is on private property; we have told the owner.",
    "no_further_action": "Inspected: no action needed.",
    "cannot_locate": "Our crew could not find it at this location.",
}
STEP_REASONS = {
    IssueStatus.ACKNOWLEDGED: "Received; it is on our list.",
    IssueStatus.IN_PROGRESS: "A crew is scheduled.",
    IssueStatus.FIXED: "Repaired by our crew.",
}
# The staff member's first public reply, worded for what they did first (the demo city writes in English and
# Spanish, as its residents do). A closing reply gives the reason.
OFFICIAL_REPLIES = {
    IssueStatus.ACKNOWLEDGED: [
        "Thank you for reporting this. It is on our list, and a crew will inspect it this week.",
        "Received, thank you. We have passed it to the crew that covers this block.",
        "Gracias por el aviso. Lo hemos pasado al equipo que cubre esta zona.",
    ],
    IssueStatus.IN_PROGRESS: ["A crew is scheduled to fix this. Thank you for reporting it."],
    IssueStatus.FIXED: [
        "Our crew dealt with this today. Thank you for reporting it.",
        "Done: the crew repaired it this morning. Tell us below if it comes back.",
        "Arreglado hoy por nuestro equipo. Gracias por avisarnos.",
    ],
    IssueStatus.CLOSED: ["Thank you for the report. {reason}", "We looked into this. {reason}"],
}


def seed_people() -> list[tuple[str, str, str]]:
    """The demo cast; returns (email, password, role) to print once."""
    departments = {c.department.slug: c.department for c in ensure_categories().values()}
    hood = neighbourhoods.by_slug(DEMO_HOOD) or neighbourhoods.all_neighbourhoods()[0]
    lat, lon = hood.centre
    people = [
        ("Alex Rivera", "alex@demo.civic", Role.RESIDENT, None, None),
        ("Bea Okafor", "bea@demo.civic", Role.RESIDENT, None, None),
        ("Carmen Ruiz", "carmen@demo.civic", Role.LIAISON, None, "es"),
        ("Dana Streets", "dana@demo.civic", Role.STAFF, "streets", None),
        ("Admin", "admin@demo.civic", Role.ADMIN, None, None),
    ]
    credentials = []
    for name, email, role, dept, locale in people:
        password = secrets.token_urlsafe(9)
        user = accounts.register_user(name, email, password, locale=locale)
        user.role = role
        user.department = departments[dept] if dept else None
        if role.needs_verification:
            user.verified_at = utcnow()
        user.home_neighbourhood, user.home_lat, user.home_lon = hood.slug, lat, lon
        credentials.append((email, password, role.value))
    _seed_templates(departments["streets"].id, {c.slug: c for c in ensure_categories().values()})
    db.session.flush()
    return credentials


def _seed_templates(department_id: int, categories: dict) -> None:
    from civic.staff.models import ResponseTemplate

    db.session.add_all(
        [
            ResponseTemplate(
                department_id=department_id,
                category_id=categories["pothole"].id,
                status=IssueStatus.ACKNOWLEDGED,
                title="Pothole received",
                body="Thank you for reporting this pothole. Our crew will inspect it within 3 working days.",
                title_es="Bache recibido",
                body_es=(
                    "Gracias por avisarnos de este bache. Nuestro equipo lo revisará en un plazo de 3 días hábiles."
                ),
            ),
            ResponseTemplate(
                department_id=department_id,
                category_id=categories["pothole"].id,
                status=IssueStatus.FIXED,
                title="Pothole filled",
                body="Our crew filled this pothole. If it is not fixed, tell us below within 30 days.",
                title_es="Bache reparado",
                body_es=(
                    "Nuestro equipo ha rellenado este bache. "
                    "Si no quedó bien, dínoslo aquí abajo en un plazo de 30 días."
                ),
            ),
            ResponseTemplate(
                department_id=department_id,
                category_id=None,
                status=None,
                title="Forwarded",
                body="This is handled by another department; we have passed it on.",
                title_es="Derivado",
                body_es="De esto se encarga otro departamento; ya se lo hemos pasado.",
            ),
        ]
    )


def neighbours_pool(rng: random.Random, size: int) -> list[int]:
    """Extra residents who vote and comment; they have unusable passwords (nobody signs in as them)."""
    existing = db.session.scalar(select(func.count()).select_from(User)) or 0
    first_id = (db.session.scalar(select(func.max(User.id))) or 0) + 1
    locked = hash_password(secrets.token_urlsafe(24))
    rows = [
        {
            "id": first_id + i,
            "email": f"neighbour{existing + i}@demo.civic",
            "display_name": f"Neighbour {existing + i}",
            "password_hash": locked,
            "role": Role.RESIDENT,
            "session_nonce": secrets.token_hex(8),
            "created_at": utcnow(),
        }
        for i in range(size)
    ]
    for chunk in _chunks(rows):
        db.session.execute(insert(User), chunk)
    follow_explicit_ids(User)
    db.session.flush()
    return list(db.session.scalars(select(User.id).where(User.role == Role.RESIDENT)))


def _chunks(rows: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _area(citywide: bool) -> list[neighbourhoods.Neighbourhood]:
    hoods = neighbourhoods.all_neighbourhoods()
    if citywide:
        return list(hoods)
    centre = neighbourhoods.by_slug(DEMO_HOOD) or hoods[0]
    near = centre.geometry.buffer(0.012)  # the demo neighbourhood and the ones around it
    return [h for h in hoods if h.geometry.intersects(near)]


def _random_point(rng: random.Random, hood) -> tuple[float, float]:
    min_lon, min_lat, max_lon, max_lat = hood.geometry.bounds
    while True:
        lon, lat = rng.uniform(min_lon, max_lon), rng.uniform(min_lat, max_lat)
        if hood.geometry.contains(Point(lon, lat)):
            return round(lat, 6), round(lon, 6)


def _status_for(rng: random.Random, age_days: float) -> list[IssueStatus]:
    """The statuses an issue of this age went through after "open"; the last one is its status now."""
    if rng.random() < min(0.9, age_days / 120):  # older issues are more likely dealt with
        if rng.random() < 0.8:
            return rng.choice(
                [
                    [IssueStatus.ACKNOWLEDGED, IssueStatus.FIXED],
                    [IssueStatus.ACKNOWLEDGED, IssueStatus.IN_PROGRESS, IssueStatus.FIXED],
                    [IssueStatus.FIXED],
                ]
            )
        return rng.choice([[IssueStatus.CLOSED], [IssueStatus.ACKNOWLEDGED, IssueStatus.CLOSED]])
    return rng.choice([[], [], [IssueStatus.ACKNOWLEDGED], [IssueStatus.ACKNOWLEDGED, IssueStatus.IN_PROGRESS]])


def seed_issues(
    count: int, *, seed: int = 311, citywide: bool | None = None, voters: int = 40, batch: int = 20_000, progress=None
) -> int:
    """Add `count` issues. Small counts stay around the demo neighbourhood; large ones cover the city.
    Rows are built and written `batch` issues at a time, so a million fit in little memory (tests/perf)."""
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not a secret
    categories = ensure_categories()
    citywide = count > 2000 if citywide is None else citywide
    area = _area(citywide)
    cum_weights = list(itertools.accumulate(h.geometry.area for h in area))
    voter_ids = neighbours_pool(rng, voters if not citywide else max(voters, min(count // 10, 100_000)))
    # Official replies are the staff member's, on behalf of their own department (as staff.replies posts them).
    staff = db.session.execute(
        select(User.id, User.department_id).where(User.role == Role.STAFF).order_by(User.id).limit(1)
    ).first()
    staff_id, staff_department_id = (staff.id, staff.department_id) if staff else (None, None)
    first_issue = (db.session.scalar(select(func.max(Issue.id))) or 0) + 1
    first_comment = (db.session.scalar(select(func.max(Comment.id))) or 0) + 1
    slugs = list(CATEGORY_WEIGHTS)
    slug_weights = list(itertools.accumulate(CATEGORY_WEIGHTS[s] for s in slugs))
    now = utcnow()
    next_comment = first_comment

    upvotes: list[dict]
    issues, changes, upvotes, comments = [], [], [], []
    for n in range(count):
        issue_id = first_issue + n
        slug = rng.choices(slugs, cum_weights=slug_weights)[0]
        hood = rng.choices(area, cum_weights=cum_weights)[0]
        lat, lon = _random_point(rng, hood)
        age = rng.betavariate(1.2, 3.0) * 540  # days; more recent issues than old ones
        created = now - timedelta(days=age, seconds=rng.randrange(86400))
        path = _status_for(rng, age)
        voters_here = rng.sample(voter_ids, k=min(len(voter_ids), int(rng.paretovariate(1.6)) - 1))
        n_comments = rng.choice([0, 0, 0, 1, 1, 2, 3])
        # Staff act on the issue: the first step comes with an official reply (the "first response").
        steps, when = [], created
        for status in path:
            when = min(now, when + timedelta(days=rng.uniform(0.2, 20)))
            steps.append((status, when))
        closed_reason = rng.choice(list(CLOSE_REASONS)) if path and path[-1] is IssueStatus.CLOSED else None
        answered = bool(steps) and staff_id is not None
        issues.append(
            {
                "id": issue_id,
                "category_id": categories[slug].id,
                "reporter_id": rng.choice(voter_ids),
                "first_response_at": steps[0][1] if answered else None,
                "fixed_at": next((t for s, t in steps if s is IssueStatus.FIXED), None),
                "closed_reason": closed_reason,
                "show_reporter_name": rng.random() < 0.4,
                "title": rng.choice(TITLES[slug]).format(street=rng.choice(STREETS)),
                "description": rng.choice(DESCRIPTIONS),
                "lat": lat,
                "lon": lon,
                "neighbourhood": hood.slug,  # the one the point was drawn in (rounding may nudge it onto a border)
                "status": path[-1] if path else IssueStatus.OPEN,
                "upvote_count": len(voters_here),
                "comment_count": n_comments + answered,
                "created_at": created,
                "updated_at": steps[-1][1] if steps else created,
            }
        )
        if answered:
            next_comment += 1
            comments.append(
                {
                    "id": next_comment - 1,
                    "issue_id": issue_id,
                    "author_id": staff_id,
                    "body": rng.choice(OFFICIAL_REPLIES[steps[0][0]]).format(
                        reason=CLOSE_REASONS[closed_reason] if closed_reason else ""
                    ),
                    "official": True,
                    "department_id": staff_department_id or categories[slug].department_id,
                    "created_at": steps[0][1],
                }
            )
        changes.append(
            {"issue_id": issue_id, "from_status": None, "to_status": IssueStatus.OPEN, "created_at": created}
        )
        previous = IssueStatus.OPEN
        for status, when in steps:
            reason = CLOSE_REASONS[closed_reason] if status is IssueStatus.CLOSED else STEP_REASONS[status]  # type: ignore[index]  # CLOSED has a reason
            changes.append(
                {
                    "issue_id": issue_id,
                    "from_status": previous,
                    "to_status": status,
                    "reason": reason,
                    "actor_id": staff_id,
                    "created_at": when,
                }
            )
            previous = status
        upvotes.extend({"issue_id": issue_id, "user_id": v, "created_at": created} for v in voters_here)
        for _ in range(n_comments):
            next_comment += 1
            comments.append(
                {
                    "id": next_comment - 1,
                    "issue_id": issue_id,
                    "author_id": rng.choice(voter_ids),
                    "body": rng.choice(COMMENTS),
                    "official": False,
                    "department_id": None,
                    "created_at": min(now, created + timedelta(hours=rng.uniform(1, 400))),
                }
            )
        if len(issues) >= batch or n == count - 1:
            _write(issues, changes, upvotes, comments)
            issues, changes, upvotes, comments = [], [], [], []
            if progress:
                progress(n + 1)
    return count


def _write(*row_lists: list[dict]) -> None:
    """One batch of generated rows, committed as a unit of its own (a million issues is too much for one)."""
    with unit_of_work():
        for model, rows in zip((Issue, StatusChange, Upvote, Comment), row_lists, strict=True):
            for chunk in _chunks(rows):
                db.session.execute(insert(model), chunk)
        follow_explicit_ids(Issue, Comment)
