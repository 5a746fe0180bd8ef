"""What the notifications domain shows on an issue page (civic/panels.py): the follow button, for a
signed-in reader, so the issues domain renders it without importing this one."""

from __future__ import annotations

from civic import panels
from civic.forms import ActionForm
from civic.notifications import services


@panels.panel(page="issue", name="follow", template="notifications/_follow_button.html", order=10, slot="actions")
def follow_button(issue, viewer) -> dict | None:
    if viewer is None or not viewer.is_authenticated:
        return None
    return {"following": services.is_following(viewer, issue.id), "action": ActionForm()}
