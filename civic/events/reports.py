"""The after-event report: what the clean-up did, with before/after photos, and which linked issues the
neighbours fixed. Those issues become "fixed" through the status workflow, marked as fixed by the
neighbourhood (staff of the owning department can confirm it, or reopen it like any fix)."""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import gettext as _
from sqlalchemy import func, select

from civic.accounts.models import User
from civic.database import utcnow
from civic.errors import ValidationError
from civic.events.models import Event, EventIssue, EventPhoto, EventReport, PhotoMoment
from civic.events.organising import require_organiser
from civic.events.services import city_zone, is_organiser
from civic.extensions import db
from civic.issues.models import Issue
from civic.issues.photos import check_uploads, real_uploads, saving_photos
from civic.staff import workflow
from civic.text import clean_text

PHOTOS_PER_MOMENT = 4
SUMMARY_MAX = 4000


def report_of(event: Event) -> EventReport | None:
    return db.session.get(EventReport, event.id)


def photos_of(event: Event) -> dict[PhotoMoment, list[EventPhoto]]:
    photos = db.session.scalars(select(EventPhoto).where(EventPhoto.event_id == event.id).order_by(EventPhoto.id))
    grouped: dict[PhotoMoment, list[EventPhoto]] = {PhotoMoment.BEFORE: [], PhotoMoment.AFTER: []}
    for photo in photos:
        grouped[photo.moment].append(photo)
    return grouped


def can_report(user, event: Event) -> bool:
    """Organisers, once the event has started and unless it was cancelled."""
    return is_organiser(user, event) and not event.is_cancelled and event.starts_at <= utcnow()


def _photo_room(event: Event, moment: PhotoMoment) -> int:
    taken = db.session.scalar(
        select(func.count()).select_from(EventPhoto).where(EventPhoto.event_id == event.id, EventPhoto.moment == moment)
    )
    return PHOTOS_PER_MOMENT - (taken or 0)


def post_report(
    user: User,
    event: Event,
    *,
    summary: str,
    before: Sequence = (),
    after: Sequence = (),
    fixed_issue_ids: Sequence[int] = (),
) -> EventReport:
    """Write (or add to) the report. Every photo is checked before anything is written: one bad photo
    or one unknown issue refuses the lot."""
    require_organiser(user, event)
    if event.is_cancelled:
        raise ValidationError(_("This event is cancelled: there is nothing to report."))
    if event.starts_at > utcnow():
        raise ValidationError(_("You can post the report once the event has started."))
    summary = clean_text(
        summary,
        field="summary",
        max_len=SUMMARY_MAX,
        required=_("Say what the clean-up did: for example how many bags, which streets."),
    )
    links = {
        link.issue_id: link for link in db.session.scalars(select(EventIssue).where(EventIssue.event_id == event.id))
    }
    unknown = set(fixed_issue_ids) - set(links)
    if unknown:
        raise ValidationError(
            _("Issue %(id)d is not one this event set out to tackle.", id=min(unknown)), field="fixed"
        )
    processed = {
        moment: check_uploads(real_uploads(files), allowed=_photo_room(event, moment))
        for moment, files in ((PhotoMoment.BEFORE, before), (PhotoMoment.AFTER, after))
    }

    day = event.starts_at.astimezone(city_zone()).date()
    changes = []
    with saving_photos() as stored:
        report = report_of(event)
        if report is None:
            report = EventReport(event_id=event.id, author_id=user.id, summary=summary)
            db.session.add(report)
        else:
            report.summary = summary
        for moment, images in processed.items():
            for _name, image in images:
                key, thumb = stored.save_files(image)
                db.session.add(
                    EventPhoto(
                        event_id=event.id,
                        moment=moment,
                        uploader_id=user.id,
                        key=key,
                        thumb_key=thumb,
                        width=image.width,
                        height=image.height,
                    )
                )
        for issue_id in sorted(set(fixed_issue_ids)):
            link = links[issue_id]
            if link.fixed_at_event:
                continue
            link.fixed_at_event = True
            change = workflow.mark_fixed_by_community(user, db.session.get_one(Issue, issue_id), event.title, day)
            if change is not None:
                changes.append(change)
    workflow.announce(changes)
    return report


def community_fix_event(issue_id: int) -> Event | None:
    """For an issue page: the clean-up whose report marked this issue fixed (the latest one)."""
    return db.session.scalar(
        select(Event)
        .join(EventIssue, EventIssue.event_id == Event.id)
        .where(EventIssue.issue_id == issue_id, EventIssue.fixed_at_event.is_(True))
        .order_by(Event.starts_at.desc())
        .limit(1)
    )
