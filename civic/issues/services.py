"""Issue rules: reporting, editing, upvotes, comments. Each function checks who may act, validates,
writes, commits and sends a signal; views, the JSON API and later the Open311 server all call these."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_login import AnonymousUserMixin
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import joinedload

from civic import signals
from civic.accounts.models import User
from civic.database import fits_id, insert_ignoring_duplicates, utcnow
from civic.errors import Conflict, NotFound, PermissionDenied, ValidationError
from civic.extensions import db
from civic.geo import neighbourhoods
from civic.issues import photos as issue_photos
from civic.issues.models import (
    OPEN_STATUSES,
    Category,
    Comment,
    CommentRevision,
    Issue,
    IssueRevision,
    IssueStatus,
    Photo,
    StatusChange,
    Upvote,
)
from civic.issues.places import assign_block
from civic.issues.spatial import BBox, distance_m, within
from civic.text import clean_text

REPORT_EDIT_WINDOW = timedelta(hours=24)
COMMENT_EDIT_WINDOW = timedelta(minutes=15)
DUPLICATE_RADIUS_M = 100.0
TITLE_MIN, TITLE_MAX = 3, 120
DESCRIPTION_MAX = 4000  # Open311's limit for a request's description
COMMENT_MAX = 5000
ADDRESS_MAX = 200  # the column's length


@dataclass
class IssueDraft:
    category_id: int | None
    title: str
    description: str
    lat: float | None
    lon: float | None
    address: str | None = None
    show_reporter_name: bool = False
    on_behalf_name: str | None = None
    on_behalf_contact: str | None = None
    # Submitted fields this domain does not know, for the validating hooks (the city's "attribute[code]").
    extra_fields: Mapping[str, list[str]] = field(default_factory=dict)


# --- reading ----------------------------------------------------------------------------------

# An issue page's issue with what every page shows of it (category, department, reporter) joined in, instead
# of a lazy load each; built once, since building it (with its loader options) costs as much as running it.
_FOR_PAGE = (
    select(Issue)
    .where(Issue.id == bindparam("issue_id"))
    .options(joinedload(Issue.category).joinedload(Category.department), joinedload(Issue.reporter))
)


def get_issue(issue_id: int, *, for_page: bool = False) -> Issue:
    if not fits_id(issue_id):  # beyond any row's id (and any column's range): not found, the number as given
        raise NotFound(_("There is no issue number %(id)d.", id=issue_id))
    issue = db.session.scalar(_FOR_PAGE, {"issue_id": issue_id}) if for_page else db.session.get(Issue, issue_id)
    if issue is None:
        raise NotFound(_("There is no issue number %(id)d.", id=issue_id))
    return issue


def get_visible_issue(issue_id: int, viewer: User | AnonymousUserMixin, *, for_page: bool = False) -> Issue:
    """An issue as the public sees it: one hidden by the moderators is shown to moderators only."""
    issue = get_issue(issue_id, for_page=for_page)
    if issue.hidden_at is not None and not (viewer is not None and viewer.is_authenticated and viewer.is_moderator):
        raise NotFound(_("This issue is hidden while the moderators review it."))
    return issue


def active_categories() -> list[Category]:
    return list(
        db.session.scalars(select(Category).where(Category.active.is_(True)).order_by(Category.position, Category.name))
    )


def sees_private_details(viewer: User | AnonymousUserMixin, issue: Issue) -> bool:
    """The reporter, staff, moderators and admins always see who reported, and for whom."""
    if viewer is None or not viewer.is_authenticated:
        return False
    return viewer.id == issue.reporter_id or viewer.acts_as_staff or viewer.is_moderator


def can_see_summary(viewer: User | AnonymousUserMixin, issue: Issue) -> bool:
    """The printable progress summary is for whoever passes it on: the reporter (a liaison reporting for
    a neighbour is the reporter) and staff."""
    if viewer is None or not viewer.is_authenticated:
        return False
    return viewer.id == issue.reporter_id or viewer.is_any_staff


def reporter_name(issue: Issue, viewer: User | AnonymousUserMixin) -> str | None:
    """The reporter's name when this viewer may see it (public, or the viewer sees private details), else None."""
    if issue.reporter is not None and (issue.show_reporter_name or sees_private_details(viewer, issue)):
        return issue.reporter.display_name
    return None


def reporter_label(issue: Issue, viewer: User | AnonymousUserMixin) -> str:
    """The reporter's name, or "A neighbour" (a feed author or an API field, not part of a sentence)."""
    return reporter_name(issue, viewer) or _("A neighbour")


# --- the one rule for names next to what people post (comments; a report has its own per-report choice) -----


@dataclass(frozen=True)
class ShownName:
    """A person's name as one viewer sees it. `label` starts a sentence or stands alone ("A neighbour"),
    `in_sentence` goes inside one ("a neighbour"); `hint` says who else sees a private name, for a viewer who
    sees it anyway (the person themself, staff); `public` is whether everyone sees the name."""

    label: str
    in_sentence: str
    hint: str | None = None
    public: bool = False


def sees_every_name(viewer: User | AnonymousUserMixin | None) -> bool:
    """Verified city staff and moderators (admins too) see every name, private or not."""
    return viewer is not None and viewer.is_authenticated and (viewer.acts_as_staff or viewer.is_moderator)


def shown_name(person: User | None, viewer: User | AnonymousUserMixin | None) -> ShownName:
    """The rule: a person's name is shown to neighbours only when they chose so (`User.show_name`); otherwise
    neighbours see "a neighbour", and only the person themself and city staff see the name. A removed account
    is "a former member"."""
    if person is None:
        return ShownName(_("A former member"), _("a former member"))
    if person.show_name:
        return ShownName(person.display_name, person.display_name, public=True)
    if viewer is not None and viewer.is_authenticated and viewer.id == person.id:
        return ShownName(person.display_name, person.display_name, _("(only you and city staff see this name)"))
    if sees_every_name(viewer):
        return ShownName(person.display_name, person.display_name, _("(only city staff see this name)"))
    return ShownName(_("A neighbour"), _("a neighbour"))


def comment_author(comment: Comment, viewer: User | AnonymousUserMixin | None) -> ShownName:
    """Who wrote a comment, for this viewer. An official reply always names the staff member (or, when their
    account is gone, the department): answering for the city is their job. Anyone else follows the rule."""
    if comment.official:
        if comment.author is not None:
            return ShownName(comment.author.display_name, comment.author.display_name, public=True)
        if comment.department is not None:
            return ShownName(comment.department.label, comment.department.label, public=True)
    return shown_name(comment.author, viewer)


def nearby_open_issues(
    lat: float,
    lon: float,
    category_id: int | None,
    *,
    radius_m: float = DUPLICATE_RADIUS_M,
    exclude_id: int | None = None,
    limit: int = 10,
) -> list[tuple[Issue, float]]:
    """Open issues of the category within radius_m metres, nearest first: 'Already reported?'."""
    stmt = within(select(Issue), BBox.around(lat, lon, radius_m)).where(
        Issue.status.in_(OPEN_STATUSES), Issue.hidden_at.is_(None)
    )
    if category_id is not None:
        stmt = stmt.where(Issue.category_id == category_id)
    if exclude_id is not None:
        stmt = stmt.where(Issue.id != exclude_id)
    found = [(issue, distance_m(lat, lon, issue.lat, issue.lon)) for issue in db.session.scalars(stmt)]
    found = [(issue, d) for issue, d in found if d <= radius_m]
    return sorted(found, key=lambda pair: pair[1])[:limit]


def has_upvoted(user: User | AnonymousUserMixin, issue_id: int) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return db.session.get(Upvote, (issue_id, user.id)) is not None


# --- reporting --------------------------------------------------------------------------------


def _clean_title(title: str | None) -> str:
    return clean_text(
        title,
        field="title",
        max_len=TITLE_MAX,
        min_len=TITLE_MIN,
        required=_("Give the problem a short title (at least 3 characters)."),
    )


def _clean_description(description: str | None) -> str:
    return clean_text(
        description,
        field="description",
        max_len=DESCRIPTION_MAX,
        required=_("Describe the problem so the city can find and fix it."),
    )


def _clean_comment(body: str | None) -> str:
    return clean_text(body, field="body", max_len=COMMENT_MAX, required=_("Write your comment first."))


def locate(lat: float | None, lon: float | None) -> str:
    """The neighbourhood a point is in; the point must be inside the city (311 serves only the city)."""
    if lat is None or lon is None:
        raise ValidationError(
            _("Place the pin on the map, use your location, or enter latitude and longitude."), field="lat"
        )
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValidationError(_("That is not a place on Earth: check latitude and longitude."), field="lat")
    hood = neighbourhoods.containing(lat, lon)
    if hood is None:
        raise ValidationError(
            _("That point is outside %(city)s. Move the pin inside the city.", city=current_app.config["CITY_NAME"]),
            field="lat",
        )
    return hood.slug


def _validate_draft(reporter: User, draft: IssueDraft) -> tuple[Category, str]:
    category = db.session.get(Category, draft.category_id) if draft.category_id else None
    if category is None or not category.active:
        raise ValidationError(_("Choose what kind of problem it is."), field="category")
    draft.title, draft.description = _clean_title(draft.title), _clean_description(draft.description)
    draft.address = clean_text(draft.address, field="address", max_len=ADDRESS_MAX, one_line=True)
    on_behalf = (draft.on_behalf_name or "").strip() or (draft.on_behalf_contact or "").strip()
    if on_behalf:
        if not reporter.acts_as_liaison:
            raise PermissionDenied(_("Only verified neighbourhood liaisons can report for someone else."))
        draft.on_behalf_name = clean_text(
            draft.on_behalf_name,
            field="on_behalf_name",
            max_len=120,
            required=_("Give the name of the person you report for."),
        )
        draft.on_behalf_contact = clean_text(draft.on_behalf_contact, field="on_behalf_contact", max_len=200)
    else:
        draft.on_behalf_name = draft.on_behalf_contact = None
    return category, locate(draft.lat, draft.lon)


def report_issue(reporter: User, draft: IssueDraft, uploads: Sequence = (), *, origin: str = "web") -> Issue:
    """File a report from any channel (`origin`: "web", "api", "georeport"). Other domains' validating
    hooks (signals.validate_report) check their own fields first; what they return reaches the
    issue_reported receivers as `extras`."""
    if reporter is None or not reporter.is_authenticated:
        raise PermissionDenied(_("Sign in to report an issue."))
    category, hood = _validate_draft(reporter, draft)
    extras = signals.validate_report.collect(signals.sender(), category=category, draft=draft)
    processed = issue_photos.check_uploads(issue_photos.real_uploads(uploads), allowed=issue_photos.MAX_ISSUE_PHOTOS)
    with issue_photos.saving_photos() as stored:
        issue = Issue(
            category=category,
            reporter_id=reporter.id,
            title=draft.title,
            description=draft.description,
            lat=draft.lat,
            lon=draft.lon,
            address=draft.address,
            neighbourhood=hood,
            show_reporter_name=bool(draft.show_reporter_name),
            on_behalf_name=draft.on_behalf_name,
            on_behalf_contact=draft.on_behalf_contact,
            status=IssueStatus.OPEN,
        )
        assign_block(issue)  # its nearest block in the street gazetteer, when the city's streets are imported
        db.session.add(issue)
        db.session.flush()
        db.session.add(
            StatusChange(issue_id=issue.id, from_status=None, to_status=IssueStatus.OPEN, actor_id=reporter.id)
        )
        stored.build(processed, issue_id=issue.id, uploader_id=reporter.id)
    signals.issue_reported.send(signals.sender(), issue=issue, extras=extras, origin=origin)
    return issue


# --- editing (the reporter, for 24 hours) -----------------------------------------------------


def can_edit_issue(user: User | AnonymousUserMixin, issue: Issue) -> bool:
    return (
        user is not None
        and user.is_authenticated
        and user.id == issue.reporter_id
        and utcnow() - issue.created_at <= REPORT_EDIT_WINDOW
    )


def edit_issue(
    user: User,
    issue: Issue,
    *,
    title: str,
    description: str,
    remove_photo_ids: set[int] | frozenset[int] = frozenset(),
    uploads: Sequence = (),
) -> Issue:
    if not can_edit_issue(user, issue):
        raise PermissionDenied(_("Only the reporter can edit an issue, within 24 hours of reporting it."))
    title, description = _clean_title(title), _clean_description(description)
    current = list(issue.photos)
    removing = [p for p in current if p.id in remove_photo_ids]
    processed = issue_photos.check_uploads(
        issue_photos.real_uploads(uploads), allowed=issue_photos.MAX_ISSUE_PHOTOS - len(current) + len(removing)
    )
    if title == issue.title and description == issue.description and not removing and not processed:
        return issue
    with issue_photos.saving_photos() as stored:
        db.session.add(
            IssueRevision(
                issue_id=issue.id,
                editor_id=user.id,
                title=issue.title,
                description=issue.description,
                photo_ids=[p.id for p in current],
            )
        )
        issue.title, issue.description, issue.updated_at = title, description, utcnow()
        issue_photos.remove(removing)
        next_position = max((p.position for p in current), default=-1) + 1
        stored.build(processed, issue_id=issue.id, uploader_id=user.id, first_position=next_position)
        db.session.flush()
        db.session.expire(issue, ["photos"])  # the new rows were added by id, not through the collection
    signals.issue_edited.send(signals.sender(), issue=issue)
    return issue


# --- upvotes: one per person per issue; counts change by atomic increments ------------------


def _require_voter(user: User | AnonymousUserMixin) -> None:
    if user is None or not user.is_authenticated:
        raise PermissionDenied(_("Sign in to add your vote."))


def vote_refusal(user: User | AnonymousUserMixin, issue: Issue) -> str | None:
    """Why this person may not add a vote to the issue now, or None when they may. Votes already
    cast stay counted (and may be withdrawn); only new ones are refused."""
    if not issue.status.is_open:
        return (
            _("This issue is fixed, so it takes no more votes.")
            if issue.status is IssueStatus.FIXED
            else _("This issue is closed, so it takes no more votes.")
        )
    if user is not None and user.is_authenticated and user.id == issue.reporter_id:
        return _("You reported this issue, so your report already counts; votes are for other neighbours.")
    return None


def set_upvote(user: User, issue_id: int, voted: bool) -> tuple[bool, int]:
    """Vote or withdraw. Safe under concurrent clicks: the (issue, user) key allows one row, and the
    count moves only when a row was really inserted or deleted, in the same transaction."""
    _require_voter(user)
    issue = get_issue(issue_id)
    if voted and (refusal := vote_refusal(user, issue)) is not None:
        # A closed issue is a state the request cannot change (409); one's own issue is a rule about who (403).
        raise (Conflict if not issue.status.is_open else PermissionDenied)(refusal)
    # RETURNING says whether a row really changed (drivers disagree on rowcount for these statements).
    if voted:
        statement = insert_ignoring_duplicates(Upvote, issue_id=issue_id, user_id=user.id, created_at=utcnow())
        delta = 1
    else:
        statement = Upvote.__table__.delete().where(Upvote.issue_id == issue_id, Upvote.user_id == user.id)  # type: ignore[attr-defined]  # a Table
        delta = -1
    changed = db.session.execute(statement.returning(Upvote.user_id)).first() is not None
    if changed:
        db.session.execute(update(Issue).where(Issue.id == issue_id).values(upvote_count=Issue.upvote_count + delta))
    db.session.flush()
    count = db.session.scalar(select(Issue.upvote_count).where(Issue.id == issue_id))
    if changed:
        signals.issue_upvoted.send(signals.sender(), issue_id=issue_id, user_id=user.id, voted=voted, count=count)
    return voted, count or 0


def toggle_upvote(user: User, issue_id: int) -> tuple[bool, int]:
    _require_voter(user)
    return set_upvote(user, issue_id, not has_upvoted(user, issue_id))


# --- comments ---------------------------------------------------------------------------------


def add_comment(user: User, issue: Issue, body: str, uploads: Sequence = ()) -> Comment:
    if user is None or not user.is_authenticated:
        raise PermissionDenied(_("Sign in to comment."))
    body = _clean_comment(body)
    processed = issue_photos.check_uploads(issue_photos.real_uploads(uploads), allowed=1)
    with issue_photos.saving_photos() as stored:
        comment = Comment(issue_id=issue.id, author_id=user.id, body=body)
        db.session.add(comment)
        db.session.flush()
        stored.build(processed, issue_id=issue.id, comment_id=comment.id, uploader_id=user.id)
        db.session.execute(update(Issue).where(Issue.id == issue.id).values(comment_count=Issue.comment_count + 1))
    signals.comment_posted.send(signals.sender(), issue=issue, comment=comment)
    return comment


def get_comment(comment_id: int) -> Comment:
    comment = db.session.get(Comment, comment_id)
    if comment is None:
        raise NotFound(_("That comment does not exist."))
    return comment


def can_edit_comment(user: User | AnonymousUserMixin, comment: Comment) -> bool:
    return (
        user is not None
        and user.is_authenticated
        and user.id == comment.author_id
        and not comment.is_deleted
        and utcnow() - comment.created_at <= COMMENT_EDIT_WINDOW
    )


def can_delete_comment(user: User | AnonymousUserMixin, comment: Comment) -> bool:
    return (
        user is not None
        and user.is_authenticated
        and not comment.is_deleted
        and (user.id == comment.author_id or user.is_moderator)
    )


def edit_comment(user: User, comment: Comment, body: str) -> Comment:
    if not can_edit_comment(user, comment):
        raise PermissionDenied(_("You can edit your own comment for 15 minutes after posting it."))
    return rewrite_comment(user, comment, body, reason=None)


# --- rewriting with history (the author's edits, personal-data removal, moderators' edits) -----------
# Callers check who may; these keep the earlier version (shown to moderators only) and announce the change.


def rewrite_issue(editor: User, issue: Issue, *, title: str, description: str, reason: str | None) -> Issue:
    title, description = _clean_title(title), _clean_description(description)
    if (title, description) == (issue.title, issue.description):
        return issue
    db.session.add(
        IssueRevision(
            issue_id=issue.id,
            editor_id=editor.id,
            title=issue.title,
            reason=reason,
            description=issue.description,
            photo_ids=[p.id for p in issue.photos],
        )
    )
    issue.title, issue.description, issue.updated_at = title, description, utcnow()
    db.session.flush()
    signals.issue_edited.send(signals.sender(), issue=issue)
    return issue


def rewrite_comment(editor: User, comment: Comment, body: str, *, reason: str | None) -> Comment:
    body = _clean_comment(body)
    if body == comment.body:
        return comment
    db.session.add(CommentRevision(comment_id=comment.id, editor_id=editor.id, body=comment.body, reason=reason))
    comment.body, comment.edited_at = body, utcnow()
    # Rewritten by a person (an official reply made from a template, a moderator's redaction): now their words,
    # shown as written, no longer a stored code rendered per reader.
    comment.system_code = comment.system_params = None
    db.session.flush()
    signals.comment_changed.send(signals.sender(), comment=comment)
    return comment


def delete_comment(user: User, comment: Comment) -> Comment:
    """The thread keeps a 'comment removed' placeholder; the text and photo are gone."""
    if not can_delete_comment(user, comment):
        raise PermissionDenied(_("You can delete only your own comments."))
    comment.body = ""
    comment.deleted_at = utcnow()
    issue_photos.remove(list(comment.photos))
    db.session.execute(update(Issue).where(Issue.id == comment.issue_id).values(comment_count=Issue.comment_count - 1))
    db.session.flush()
    signals.comment_changed.send(signals.sender(), comment=comment)
    return comment


def visible_photo(photo_id: int, issue: Issue) -> Photo | None:
    photo = db.session.get(Photo, photo_id)
    return photo if photo is not None and photo.issue_id == issue.id and photo.removed_at is None else None
