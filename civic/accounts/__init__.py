"""Accounts: registration, sign-in, password reset, profile, roles and departments."""

from flask import Blueprint

bp = Blueprint("accounts", __name__)

from civic.accounts import views  # noqa: E402,F401 - after bp: the views register their routes on it
