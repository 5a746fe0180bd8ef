"""Staff's own shorthand for the role predicates, safe for a missing or anonymous user. The rules live on the
accounts models (`User.is_any_staff`, `User.owns_issue`, `require_any_staff`, `require_owner`): official
replies need any verified staff; status changes, notes and assignment need staff of the department that owns
the issue's category (or an admin). Other domains ask the user object directly."""

from __future__ import annotations

from civic.accounts.models import Anonymous


def is_any_staff(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_any_staff)


def owns(user, issue) -> bool:
    return bool(user is not None and user.is_authenticated and user.owns_issue(issue))


def require_any_staff(user) -> None:
    (user or Anonymous()).require_any_staff()


def require_owner(user, issue) -> None:
    (user or Anonymous()).require_owner(issue)
