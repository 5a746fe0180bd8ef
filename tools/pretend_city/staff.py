"""The pretend city's staff at work, for the demo: they go through the tickets nobody at the city has touched
yet and, for each, fix it, close it for another reason, schedule it or send an inspector, or leave it for
later, always with notes in the city's own words (SandboxCity.update/close). Each ticket's fate follows from
its number, so working through the same tickets again changes nothing. They also take a few reports by phone,
which residents can then link to civic issues ("Link my ticket")."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from tools.pretend_city.city import SandboxCity

FIXED_NOTES = {
    "POTHOLE": "Crew filled the pothole with hot asphalt and rolled it flat.",
    "STREETLIGHT": "Replaced the lamp and the photocell; the light works again.",
    "DUMPING": "Sanitation crew removed the dumped material and cleaned the site.",
    "GRAFFITI": "Graffiti painted over by the CLIP crew.",
}
OTHER_CLOSINGS = [
    ("DUPLICATE", "Duplicate of an earlier ticket for the same location; the work is tracked there."),
    ("NO_FURTHER_ACTION", "Inspected: no action needed at this time."),
    ("NOT_COUNCILS_RESPONSIBILITY", "This is on private property; the owner has been notified."),
]
IN_PROGRESS_NOTES = [
    ("IN_PROGRESS", "A crew is working on this."),
    ("ACTION_SCHEDULED", "Work scheduled for later this week."),
    ("INVESTIGATING", "An inspector will visit within 5 business days."),
]
PHONE_PREFIX = "Phoned in: "
PHONE_TICKETS = [
    ("POTHOLE", "Phoned in: pothole in the right lane on Girard Ave near Frankford Ave", 39.96915, -75.13460),
    ("DUMPING", "Phoned in: bags of trash dumped on the corner of E Norris St and Memphis St", 39.97590, -75.12880),
]


@dataclass
class Work:
    fixed: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    in_progress: list[str] = field(default_factory=list)
    phoned_in: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.fixed or self.closed or self.in_progress)


def work_through(city: SandboxCity, seed: int = 311) -> Work:
    """Act once on every open ticket without updates (see the module docstring); returns what was done."""
    work = Work()
    with city._lock:  # a consistent view; update() takes the (re-entrant) lock itself
        touched = {u["service_request_id"] for u in city.updates}
        waiting = [t for t in city.tickets.values() if t["status"] == "open" and t["service_request_id"] not in touched]
        phoned = [t["service_request_id"] for t in city.tickets.values() if t["description"].startswith(PHONE_PREFIX)]
    for ticket in waiting:
        number, code = ticket["service_request_id"], ticket["service_code"]
        if ticket["description"].startswith(PHONE_PREFIX):
            continue  # waiting for a resident to link it
        roll = random.Random(f"{seed}:{number}").random()  # noqa: S311 - a ticket's fate, not a secret
        if roll < 0.3:
            city.close(number, FIXED_NOTES.get(code, "Fixed."), status="FIXED")
            work.fixed.append(number)
        elif roll < 0.4:
            status, notes = OTHER_CLOSINGS[int(roll * 100) % len(OTHER_CLOSINGS)]
            city.close(number, notes, status=status)
            work.closed.append(number)
        elif roll < 0.75:
            status, notes = IN_PROGRESS_NOTES[int(roll * 100) % len(IN_PROGRESS_NOTES)]
            city.update(number, status, notes)
            work.in_progress.append(number)
    if not phoned:
        for code, description, lat, lon in PHONE_TICKETS:
            phoned.append(city.add_ticket(code, description, lat=lat, long=lon)["service_request_id"])
    work.phoned_in = phoned
    return work
