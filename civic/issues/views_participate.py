"""Taking part: upvotes and comments, as plain forms that work without JavaScript."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from civic.forms import ActionForm
from civic.issues import bp, services
from civic.issues.forms import CommentForm, EditCommentForm
from civic.ratelimits import limited, limited_when_done
from civic.web import safe_next, submit_form


@bp.post("/issues/<int:issue_id>/upvote")
@login_required
@limited("UPVOTE_RATE_LIMIT")
def upvote(issue_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    if request.form.get("upvoted") in ("1", "0"):
        voted, count = services.set_upvote(current_user, issue_id, request.form["upvoted"] == "1")
    else:
        voted, count = services.toggle_upvote(current_user, issue_id)
    flash(_("Your vote is counted.") if voted else _("Your vote is withdrawn."), "success")
    default = url_for("issues.detail", issue_id=issue_id)
    return redirect(safe_next(request.form.get("next"), default))


@bp.post("/issues/<int:issue_id>/comments")
@login_required
@limited_when_done("COMMENT_RATE_LIMIT")  # a comment posted counts; a form sent back to fix does not
def comment(issue_id: int):
    issue = services.get_issue(issue_id)
    form = CommentForm()
    outcome = submit_form(form, lambda: services.add_comment(current_user, issue, form.body.data, [form.photo.data]))
    if outcome.done:
        flash(_("Your comment is posted."), "success")
        return redirect(url_for("issues.detail", issue_id=issue.id, _anchor=f"comment-{outcome.result.id}"))
    return render_template("issues/comment_form.html", issue=issue, form=form), outcome.status


@bp.route("/comments/<int:comment_id>/edit", methods=["GET", "POST"])
@login_required
def edit_comment(comment_id: int):
    comment = services.get_comment(comment_id)
    if not services.can_edit_comment(current_user, comment):
        flash(_("You can edit your own comment for 15 minutes after posting it."), "error")
        return redirect(url_for("issues.detail", issue_id=comment.issue_id)), 303
    form = EditCommentForm(obj=comment if request.method == "GET" else None)
    outcome = submit_form(form, lambda: services.edit_comment(current_user, comment, form.body.data))
    if outcome.done:
        flash(_("Your comment is updated."), "success")
        return redirect(url_for("issues.detail", issue_id=comment.issue_id, _anchor=f"comment-{comment.id}"))
    return render_template("issues/comment_edit.html", comment=comment, form=form), outcome.status


@bp.post("/comments/<int:comment_id>/delete")
@login_required
def delete_comment(comment_id: int):
    comment = services.get_comment(comment_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    services.delete_comment(current_user, comment)
    flash(_("Your comment is removed."), "success")
    return redirect(url_for("issues.detail", issue_id=comment.issue_id, _anchor=f"comment-{comment.id}"))
