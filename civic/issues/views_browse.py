"""Browsing: the home map, the list (works with no JavaScript) and the issue page."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload, selectinload

from civic import panels
from civic.errors import DomainError
from civic.extensions import db
from civic.forms import ActionForm
from civic.issues import bp, cards, home_view, maps, services
from civic.issues.forms import CommentForm
from civic.issues.models import STATUS_LABELS, Comment, Issue, IssueStatus
from civic.issues.queries import IssueFilters, list_query, parse_filters, parse_mine
from civic.issues.summary import issue_summary
from civic.pagecache import for_anonymous_readers
from civic.text import render_user_text

PAGE_SIZE = 50  # a page a phone scrolls through in a minute; "Show more" is the next one


def _home_point():
    if current_user.is_authenticated and current_user.has_home:
        return current_user.home_lat, current_user.home_lon
    return None


def filter_context(filters: IssueFilters, error: str | None = None) -> dict:
    return {
        "filters": filters,
        "categories": services.active_categories(),
        "statuses": [(s, STATUS_LABELS[s]) for s in IssueStatus],
        "filter_error": error,
    }


def home_page():
    """The city map (home page): at `?lat=&lon=&zoom=` when a link or the place search gives them, else at the
    visitor's home when they have one, else the whole city. Bad arguments: the city map, a message and 400."""
    try:
        view = home_view.parse(request.args)
        view_error = None
    except DomainError as exc:
        view, view_error = None, exc.message
    try:
        filters = parse_filters(request.args)
        error = None
    except DomainError as exc:
        filters, error = IssueFilters(), exc.message
    home = _home_point()
    if view is not None:
        fmap = maps.city_map((view.lat, view.lon), view.zoom)
    else:
        fmap = maps.city_map(home, 15) if home else maps.city_map()
    return render_template(
        "issues/home.html", fmap=fmap, view=view, view_error=view_error, **filter_context(filters, error)
    ), (400 if error or view_error else 200)


@bp.get("/issues")
def index():
    """Everyone's issues, or with `mine` the viewer's own reports (signed-out readers are sent to sign in)."""
    try:
        filters = parse_filters(request.args)
        filters.mine = parse_mine(request.args)
    except DomainError as exc:
        return render_template("issues/list.html", page=None, **filter_context(IssueFilters(), exc.message)), 400
    if filters.mine and not current_user.is_authenticated:
        flash(_("Sign in to see your reports."), "info")
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
    home = _home_point()
    nearest_unavailable = filters.sort == "nearest" and home is None
    stmt = list_query(filters, home, current_user).options(selectinload(Issue.category))
    page = db.paginate(stmt, per_page=PAGE_SIZE, error_out=False)
    return render_template(
        "issues/list.html",
        page=page,
        nearest_unavailable=nearest_unavailable,
        thumbs=cards.first_thumbs(issue.id for issue in page.items),
        distances=cards.distances(page.items, home) if filters.sort == "nearest" else {},
        thumb_size=cards.THUMB_SIZE,
        **filter_context(filters),
    )


@bp.get("/issues/<int:issue_id>")
@for_anonymous_readers
def detail(issue_id: int):
    issue = services.get_visible_issue(issue_id, current_user, for_page=True)
    signed_in = current_user.is_authenticated
    return render_template(
        "issues/detail.html",
        issue=issue,
        fmap=maps.issue_map(issue.lat, issue.lon),
        reporter=services.reporter_name(issue, current_user),
        private=services.sees_private_details(current_user, issue),
        upvoted=services.has_upvoted(current_user, issue.id),
        vote_refusal=services.vote_refusal(current_user, issue),
        can_summarise=services.can_see_summary(current_user, issue),
        can_edit=services.can_edit_issue(current_user, issue),
        comments=(comments := _comments(issue)),
        official=next(
            (
                item["comment"]
                for item in reversed(comments)
                if item["comment"].official and not item["comment"].is_deleted
            ),
            None,
        ),
        # The issue's own collections, loaded here: nothing queries while the page renders.
        photos=list(issue.photos),
        history=list(issue.status_changes),
        revisions=list(issue.revisions),
        # What other domains show on the page (civic/panels.py), their queries run here too.
        panels=panels.collect("issue", issue=issue, viewer=current_user),
        # Forms only for those who see them (every action on the page needs an account).
        comment_form=CommentForm(formdata=None) if signed_in else None,
        action=ActionForm() if signed_in else None,
        render_user_text=render_user_text,
    )


# An issue page's comments with their authors and departments joined in and their photos: built once, since
# building it with its loader options cost more than running it (README, Performance).
_COMMENTS = (
    select(Comment)
    .where(Comment.issue_id == bindparam("issue_id"))
    .order_by(Comment.created_at, Comment.id)
    .options(joinedload(Comment.author), joinedload(Comment.department), selectinload(Comment.photos))
)


def _comments(issue: Issue):
    return [
        {
            "comment": c,
            "author": services.comment_author(c, current_user),  # the one rule for names
            "can_edit": services.can_edit_comment(current_user, c),
            "can_delete": services.can_delete_comment(current_user, c),
        }
        for c in db.session.scalars(_COMMENTS, {"issue_id": issue.id})
    ]


@bp.get("/issues/<int:issue_id>/summary")
@login_required
def summary(issue_id: int):
    """A plain, large-type page of the issue's progress, to print or read aloud for someone offline."""
    found = issue_summary(current_user, issue_id)
    return render_template(
        "issues/summary.html",
        summary=found,
        issue=found.issue,
        panels=panels.collect("issue-summary", issue=found.issue, viewer=current_user),
        render_user_text=render_user_text,
    )
