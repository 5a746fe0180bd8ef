"""The demo's clean-up events, made through the events domain's own services: upcoming ones (one full with a
waiting list, one tackling several nearby issues and asking the city for supplies, ordinary ones) and past
ones with their after-event report: who checked in, before/after photos (drawn by scenes.py, uploaded through
civic.media like any photo) and the linked issues the neighbours fixed. Organisers are the demo residents
Alex and Bea; attendees are the demo's neighbours. Times are relative to now, so the demo stays current.

Past events are made as upcoming ones (the services accept only future start times), signed up to, then
moved back in time before check-in and the report, with the few timestamps a reader sees moved along."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from io import BytesIO

from sqlalchemy import func, select, update
from werkzeug.datastructures import FileStorage

from civic.accounts.models import Role, User
from civic.database import utcnow
from civic.demo import scenes, seeding
from civic.events import organising, reports, services
from civic.events.models import Event, EventIssue, EventPhoto, EventReport, Rsvp
from civic.extensions import db
from civic.issues import services as issue_services
from civic.issues.models import Issue, IssueStatus, StatusChange

# Categories a clean-up can deal with, by preference: the ones a neighbourhood fixes with bags and paint.
CLEANUP_KINDS = ("illegal-dumping", "graffiti", "trash-collection", "other")
LINK_RADIUS_M = 2000  # the demo's open issues are spread thin: a clean-up reaches a little further for them
NEIGHBOURS = 20  # at least this many neighbours sign up across the events


@dataclass
class Plan:
    """One demo event: when (days from today, local hours), where, who, and what it did if it is past."""

    title: str
    description: str
    organiser: str  # e-mail of a demo resident
    days: int  # from today, in the city's zone; negative: already happened
    hours: tuple[int, int]
    meeting_point: str
    at: tuple[float, float]
    capacity: int | None = None
    going: int = 0  # sign-ups; beyond the capacity they wait
    what_to_bring: str | None = None
    supplies: str | None = None
    supplies_answer: str | None = None  # staff accept the request with these words
    link: int = 0  # nearby issues the event sets out to tackle
    checked_in: int = 0
    fixed: int = 0  # of the linked issues, how many the report marks fixed by the neighbourhood
    photos: int = 0  # before and after photos each
    summary: str = ""
    scene: int = 0  # which drawn block the photos show
    co_organisers: list[str] = field(default_factory=list)


PLANS = [
    Plan(
        title="Saturday litter pick on Frankford Ave",
        description="Two hours along Frankford Ave from Girard to Palmer St: litter, bottles and the gutters. "
        "Families welcome; children with an adult.",
        organiser="alex@demo.civic",
        days=3,
        hours=(10, 12),
        meeting_point="Frankford Ave and E Palmer St, by the bus stop",
        at=(39.97168, -75.13401),
        capacity=10,
        going=14,
        what_to_bring="Gloves if you have them; we bring bags and litter pickers.",
        co_organisers=["bea@demo.civic"],
    ),
    Plan(
        title="Clear the dumping on Memphis St",
        description="The alley off Memphis St has a mattress, tyres and bags dumped in it, and the wall "
        "opposite is covered in tags. We clear what we can carry and paint over the tags; the city "
        "collects the heavy items.",
        organiser="bea@demo.civic",
        days=8,
        hours=(9, 12),
        meeting_point="Memphis St and E Norris St, north-east corner",
        at=(39.97603, -75.12861),
        capacity=30,
        going=9,
        what_to_bring="Old clothes and sturdy shoes.",
        supplies="30 heavy-duty bags, 15 pairs of gloves, and a pick-up for a mattress and four tyres.",
        link=4,
    ),
    Plan(
        title="Tree pit weeding and planting",
        description="We weed the tree pits on E Columbia Ave and plant marigolds donated by the garden centre.",
        organiser="alex@demo.civic",
        days=15,
        hours=(10, 13),
        meeting_point="E Columbia Ave and Thompson St",
        at=(39.97321, -75.13192),
        going=5,
        supplies="20 bags of mulch and 10 pairs of gloves.",
        supplies_answer="We will drop 20 bags of mulch and 10 pairs of gloves at the meeting point by 9 am.",
    ),
    Plan(
        title="Palmer Park spring clean-up",
        description="Litter round the park, the dumped items by the gate, and the tags on the corner wall.",
        organiser="alex@demo.civic",
        days=-12,
        hours=(10, 13),
        meeting_point="Palmer Park gate, Frankford Ave and E Palmer St",
        at=(39.97226, -75.13367),
        capacity=25,
        going=14,
        link=3,
        checked_in=11,
        fixed=2,
        photos=2,
        scene=1,
        summary="14 neighbours signed up and 11 came. We filled 32 bags with litter, cleared the mattress and "
        "tyres dumped by the gate (the city picked them up on Monday) and painted over the tags on the "
        "corner wall. Thank you, everyone!",
    ),
    Plan(
        title="Girard Ave pavement sweep",
        description="Sweeping the pavements and gutters of Girard Ave between Front St and Frankford Ave.",
        organiser="bea@demo.civic",
        days=-26,
        hours=(9, 11),
        meeting_point="Girard Ave and N Front St",
        at=(39.96960, -75.13636),
        going=8,
        link=2,
        checked_in=7,
        fixed=1,
        photos=1,
        scene=2,
        summary="Seven of us swept four blocks and filled 18 bags. The pile of construction debris by the "
        "laundromat is gone; the graffiti on the mailbox needs the city's paint.",
    ),
]


def seed_events(rng: random.Random | None = None) -> list[Event]:
    """The demo's clean-ups (see the module docstring); flushes only, like the services it calls."""
    rng = rng or random.Random(311)  # noqa: S311 - reproducible demo data, not a secret
    people = _demo_people()
    if not people.get("alex@demo.civic") or not people.get("bea@demo.civic"):
        return []  # the demo cast is missing: nothing to organise with
    neighbours = [u for u in people.values() if u.role is Role.RESIDENT and u.email.startswith("neighbour")]
    if len(neighbours) < NEIGHBOURS:  # seeded without issues: no neighbours yet to come along
        _add_neighbours(rng, NEIGHBOURS - len(neighbours), people["alex@demo.civic"])
        people = _demo_people()
        neighbours = [u for u in people.values() if u.role is Role.RESIDENT and u.email.startswith("neighbour")]
    staff = next((u for u in people.values() if u.role is Role.STAFF), None)
    taken: set[int] = set()
    events = []
    for plan in PLANS:
        events.append(_make(plan, people, neighbours, staff, taken, rng))
    return events


def _add_neighbours(rng: random.Random, count: int, like: User) -> None:
    """Neighbours to come along, living in the demo neighbourhood like the demo's residents."""
    before = db.session.scalar(select(func.max(User.id))) or 0
    seeding.neighbours_pool(rng, count)
    db.session.execute(
        update(User)
        .where(User.id > before)
        .values(home_neighbourhood=like.home_neighbourhood, home_lat=like.home_lat, home_lon=like.home_lon)
    )


def _demo_people() -> dict[str, User]:
    return {u.email: u for u in db.session.scalars(select(User).where(User.email.like("%@demo.civic")))}


def _local(days: int, hour: int) -> datetime:
    """A wall-clock time in the city, `days` from today."""
    today = utcnow().astimezone(services.city_zone()).date()
    return datetime.combine(today + timedelta(days=days), datetime.min.time()).replace(hour=hour)


def _make(plan: Plan, people: dict, neighbours: list[User], staff, taken: set[int], rng: random.Random) -> Event:
    organiser = people[plan.organiser]
    past = plan.days < 0
    days = 1 if past else plan.days  # made as tomorrow's, then moved back (module docstring)
    event = services.create_event(
        organiser,
        title=plan.title,
        description=plan.description,
        starts_local=_local(days, plan.hours[0]),
        ends_local=_local(days, plan.hours[1]),
        meeting_point=plan.meeting_point,
        lat=plan.at[0],
        lon=plan.at[1],
        capacity=plan.capacity,
        what_to_bring=plan.what_to_bring,
        supplies_request=plan.supplies,
    )
    for email in plan.co_organisers:
        organising.add_co_organiser(organiser, event, email)
    if plan.supplies_answer and staff is not None:
        organising.decide_supplies(staff, event, True, plan.supplies_answer)
    crowd = [p for p in (people.get("carmen@demo.civic"), *rng.sample(neighbours, len(neighbours))) if p is not None]
    rsvps = [services.sign_up(person, event.id) for person in crowd[: plan.going]]
    starts = services.local_to_utc(_local(plan.days, plan.hours[0]))
    linked = _link(plan, organiser, event, taken, starts)
    if past:
        _move_back(event, rsvps, starts, services.local_to_utc(_local(plan.days, plan.hours[1])))
        for rsvp in rsvps[: plan.checked_in]:
            services.check_in(organiser, event, rsvp.checkin_code)
            rsvp.checked_in_at = event.starts_at + timedelta(minutes=rng.randint(0, 40))
        fixable = [i for i in linked if db.session.get_one(Issue, i).category.slug in CLEANUP_KINDS]
        _report(plan, organiser, event, fixable[: plan.fixed])
    db.session.flush()
    return event


def _link(plan: Plan, organiser: User, event: Event, taken: set[int], before: datetime) -> list[int]:
    """Open issues near the meeting point, reported before the event, of kinds a clean-up tackles first."""
    if not plan.link:
        return []
    nearby = issue_services.nearby_open_issues(*plan.at, None, radius_m=LINK_RADIUS_M, limit=500)
    offered = [issue for issue, _d in nearby if issue.id not in taken and issue.created_at < before - timedelta(days=1)]
    offered.sort(key=lambda i: i.category.slug not in CLEANUP_KINDS)  # stable: nearest first within each group
    chosen = [issue.id for issue in offered[: plan.link]]
    taken.update(chosen)
    if chosen:
        organising.link_issues(organiser, event, chosen)
    return chosen


def _move_back(event: Event, rsvps: list[Rsvp], starts: datetime, ends: datetime) -> None:
    """Demo data only: the event happened `starts`..`ends`; it was announced and joined a few weeks before."""
    event.starts_at, event.ends_at = starts, ends
    event.created_at = starts - timedelta(days=21)
    for n, rsvp in enumerate(rsvps):
        rsvp.created_at = event.created_at + timedelta(hours=5 + 7 * n)
    db.session.flush()


def _photo(data: bytes, name: str) -> FileStorage:
    return FileStorage(stream=BytesIO(data), filename=name, content_type="image/jpeg")


def _report(plan: Plan, organiser: User, event: Event, fixed: list[int]) -> None:
    """The organiser's report, through the events service (photos through civic.media), then dated to the
    afternoon of the event, as the neighbourhood's fixes are."""
    seeds = [plan.scene * 10 + n for n in range(plan.photos)]
    reports.post_report(
        organiser,
        event,
        summary=plan.summary,
        before=[_photo(scenes.before(s), f"before-{n + 1}.jpg") for n, s in enumerate(seeds)],
        after=[_photo(scenes.after(s), f"after-{n + 1}.jpg") for n, s in enumerate(seeds)],
        fixed_issue_ids=fixed,
    )
    written = event.ends_at + timedelta(hours=3)
    db.session.execute(update(EventReport).where(EventReport.event_id == event.id).values(created_at=written))
    db.session.execute(update(EventPhoto).where(EventPhoto.event_id == event.id).values(created_at=written))
    if fixed:
        db.session.execute(
            update(StatusChange)
            .where(
                StatusChange.issue_id.in_(fixed),
                StatusChange.by_community.is_(True),
                StatusChange.to_status == IssueStatus.FIXED,
            )
            .values(created_at=written)
        )
        db.session.execute(update(Issue).where(Issue.id.in_(fixed)).values(fixed_at=written, updated_at=written))
        db.session.expire_all()


def community_fixed_issue_ids() -> list[int]:
    """The demo issues fixed by the neighbourhood at a clean-up (for the command's summary and tests)."""
    return list(
        db.session.scalars(
            select(EventIssue.issue_id).where(EventIssue.fixed_at_event.is_(True)).order_by(EventIssue.issue_id)
        )
    )
