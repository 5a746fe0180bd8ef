"""What the events domain shows on other domains' pages (civic/panels.py), so issues and staff stay unaware
of events: on an issue page the clean-up that fixed it, the clean-ups planned for it and "add it to a
clean-up I organise"; on the staff queue the clean-ups waiting for an answer about supplies."""

from __future__ import annotations

from civic import panels
from civic.events import finding, organising, reports
from civic.forms import ActionForm


@panels.panel(page="issue", name="community-fix", template="events/_community_fix.html", order=20, slot="notices")
def community_fix(issue, viewer) -> dict | None:
    if not issue.fixed_by_community:
        return None
    return {"event": reports.community_fix_event(issue.id)}


@panels.panel(page="issue", name="planned-events", template="events/_planned.html", order=30, slot="notices")
def planned_events(issue, viewer) -> dict | None:
    events = finding.planned_for_issue(issue.id)
    return {"events": events} if events else None


@panels.panel(page="issue", name="add-to-event", template="events/_add_to_event.html", order=10, slot="actions-end")
def add_to_event(issue, viewer) -> dict | None:
    """My upcoming clean-ups, to add this open issue to one of them."""
    if not issue.status.is_open or viewer is None or not viewer.is_authenticated:
        return None
    events = organising.upcoming_organised_by(viewer)
    return {"events": events, "action": ActionForm()} if events else None


@panels.panel(
    page="staff-queue", name="supplies-waiting", template="events/_supplies_waiting.html", order=10, slot="top"
)
def supplies_waiting(department_id, viewer) -> dict | None:
    events = organising.waiting_supplies_requests()
    return {"events": events} if events else None
