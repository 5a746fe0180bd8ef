"""Moderation pages: the flag form's target, the review queue, one item's review page (hide, restore,
dismiss, edit, replace a photo, purge history), suspending accounts, the audit log, and the author's
"remove personal details" form."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from civic.accounts.models import User
from civic.errors import DomainError, NotFound
from civic.extensions import db
from civic.forms import ActionForm
from civic.moderation import bp, services
from civic.moderation.models import FLAG_REASON_LABELS, ActionKind, ContentKind, FlagReason
from civic.ratelimits import limited
from civic.web import flash_or_raise, require_action_form, safe_next


def public_url(kind: ContentKind, target) -> str:
    """Where the content is seen by everyone."""
    if kind is ContentKind.EVENT:
        return url_for("events.detail", event_id=target.id)
    issue_id = services.issue_of(kind, target)
    anchor = f"comment-{target.id}" if kind is ContentKind.COMMENT else None
    return url_for("issues.detail", issue_id=issue_id, _anchor=anchor)


# --- flags (everyone signed in) ------------------------------------------------------------------------


@bp.post("/flag")
@login_required
@limited("FLAG_RATE_LIMIT")
def flag():
    require_action_form()
    back = safe_next(request.form.get("next"), url_for("core.index"))
    try:
        kind = services.parse_kind(request.form.get("kind", ""))
        services.flag(
            current_user,
            kind,
            request.form.get("target_id", type=int) or 0,
            request.form.get("reason", ""),
            request.form.get("note"),
        )
    except DomainError as error:
        flash_or_raise(error)
    else:
        flash(_("Thank you. Moderators will look at it."), "success")
    return redirect(back)


@bp.app_template_global("flag_reasons")
def flag_reasons() -> list[tuple[str, str]]:
    return [(reason.value, str(FLAG_REASON_LABELS[reason])) for reason in FlagReason]


@bp.app_template_global("kind_label")
def kind_label(kind: ContentKind) -> str:
    return {
        ContentKind.ISSUE: _("Issue"),
        ContentKind.COMMENT: _("Comment"),
        ContentKind.PHOTO: _("Photo"),
        ContentKind.EVENT: _("Event"),
    }[kind]


@bp.app_template_global("action_label")
def action_label(action: ActionKind) -> str:
    return {
        ActionKind.AUTO_HIDE: _("hidden after flags"),
        ActionKind.HIDE: _("hidden"),
        ActionKind.RESTORE: _("restored"),
        ActionKind.DISMISS: _("flags cleared"),
        ActionKind.EDIT: _("edited"),
        ActionKind.REPLACE_PHOTO: _("photo replaced"),
        ActionKind.PURGE: _("earlier versions deleted"),
        ActionKind.SUSPEND: _("account suspended"),
        ActionKind.UNSUSPEND: _("account restored"),
    }[action]


@bp.app_template_global("text_field_label")
def text_field_label(name: str) -> str:
    return {
        "title": _("Title"),
        "description": _("Description"),
        "body": _("Comment"),
        "meeting_point": _("Meeting point"),
        "what_to_bring": _("What to bring"),
    }.get(name, name)


@bp.app_template_global("is_moderator")
def is_moderator() -> bool:
    return services.is_moderator(current_user)


# --- the queue and one item -------------------------------------------------------------------------------


@bp.get("/")
@login_required
def queue():
    items = services.review_queue(current_user)
    return render_template("moderation/queue.html", items=items, public_url=public_url, text_of=services.text_of)


@bp.get("/<kind>/<int:target_id>")
@login_required
def review(kind: str, target_id: int):
    services.require_moderator(current_user)
    content_kind = services.parse_kind(kind)
    target = services.get_target(content_kind, target_id)
    owner = db.session.get(User, services.owner_id(content_kind, target) or 0)
    return render_template(
        "moderation/review.html",
        kind=content_kind,
        target=target,
        owner=owner,
        text=services.text_of(content_kind, target),
        flags=services.flags_on(content_kind, target_id),
        history=services.history(content_kind, target_id),
        actions=services.actions_on(content_kind.value, target_id),
        public=public_url(content_kind, target),
        action=ActionForm(),
    )


def _act(kind: str, target_id: int, do, done: str):
    require_action_form()
    content_kind = services.parse_kind(kind)
    try:
        do(content_kind)
    except DomainError as error:
        flash_or_raise(error)
    else:
        flash(done, "success")
    return redirect(url_for("moderation.review", kind=content_kind.value, target_id=target_id))


@bp.post("/<kind>/<int:target_id>/hide")
@login_required
def hide(kind: str, target_id: int):
    return _act(
        kind,
        target_id,
        lambda k: services.hide(current_user, k, target_id, request.form.get("reason", "")),
        _("Hidden. Only moderators can see it now."),
    )


@bp.post("/<kind>/<int:target_id>/restore")
@login_required
def restore(kind: str, target_id: int):
    return _act(
        kind,
        target_id,
        lambda k: services.restore(current_user, k, target_id, request.form.get("reason", "")),
        _("Restored: everyone can see it again."),
    )


@bp.post("/<kind>/<int:target_id>/dismiss")
@login_required
def dismiss(kind: str, target_id: int):
    return _act(
        kind,
        target_id,
        lambda k: services.dismiss(current_user, k, target_id, request.form.get("reason")),
        _("The flags are cleared."),
    )


@bp.post("/<kind>/<int:target_id>/edit")
@login_required
def edit(kind: str, target_id: int):
    fields = {
        name: request.form[name]
        for name in ("title", "description", "body", *services.EVENT_TEXT_FIELDS)
        if name in request.form
    }
    return _act(
        kind,
        target_id,
        lambda k: services.moderator_edit(current_user, k, target_id, fields, request.form.get("reason", "")),
        _("Saved. The earlier version is kept in the history."),
    )


@bp.post("/<kind>/<int:target_id>/purge")
@login_required
def purge(kind: str, target_id: int):
    return _act(
        kind,
        target_id,
        lambda k: services.purge_history(current_user, k, target_id, request.form.get("reason", "")),
        _("The earlier versions are deleted for good."),
    )


@bp.post("/photo/<int:target_id>/replace")
@login_required
def replace_photo(target_id: int):
    return _act(
        "photo",
        target_id,
        lambda k: services.replace_photo(
            current_user, target_id, request.files.get("photo"), request.form.get("reason", "")
        ),
        _("The photo is replaced; the original is deleted."),
    )


# --- accounts -----------------------------------------------------------------------------------------


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@login_required
def user(user_id: int):
    services.require_moderator(current_user)
    person = db.session.get(User, user_id)
    if person is None:
        raise NotFound(_("There is no such account."))
    if request.method == "POST":
        require_action_form()
        try:
            if request.form.get("suspend") == "1":
                services.suspend(current_user, user_id, request.form.get("reason", ""))
                flash(_("The account is suspended and signed out everywhere."), "success")
            else:
                services.unsuspend(current_user, user_id, request.form.get("reason", ""))
                flash(_("The account can sign in again."), "success")
        except DomainError as error:
            flash_or_raise(error)
        return redirect(url_for("moderation.user", user_id=user_id))
    return render_template(
        "moderation/user.html", person=person, actions=services.actions_on("user", user_id), action=ActionForm()
    )


@bp.get("/log")
@login_required
def log():
    page = services.audit_log(current_user, page=request.args.get("page", 1, type=int))
    return render_template("moderation/log.html", page=page)


# --- authors: remove personal details from my own post ---------------------------------------------------


@bp.route("/mine/<kind>/<int:target_id>", methods=["GET", "POST"])
@login_required
def remove_personal_data(kind: str, target_id: int):
    content_kind = services.parse_kind(kind)
    target = services.get_target(content_kind, target_id)
    if not services.can_remove_personal_data(current_user, content_kind, target):
        abort(403)
    text, status, error = services.text_of(content_kind, target), 200, None
    if request.method == "POST":
        require_action_form()
        fields = {name: request.form.get(name, "") for name in text}
        try:
            services.remove_personal_data(current_user, content_kind, target_id, fields)
        except DomainError as failure:  # answered with its error status: the unit of work rolls back
            text, status, error = fields, failure.status_code, failure
        else:
            flash(_("Saved. Only moderators can still see the earlier version, until they delete it."), "success")
            return redirect(public_url(content_kind, target))
    return render_template(
        "moderation/remove_personal_data.html",
        kind=content_kind,
        target=target,
        text=text,
        error=error,
        action=ActionForm(),
    ), status
