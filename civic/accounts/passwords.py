"""Password policy and hashing (scrypt, Werkzeug's current default)."""

from __future__ import annotations

from functools import cache

from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash

from civic.errors import ValidationError

MIN_LENGTH = 10
MAX_LENGTH = 128  # longer inputs only cost hashing time; nobody types more

# The most used passwords in public breach lists that are 10+ characters long.
_COMMON = frozenset(
    """
    1234567890 0123456789 1q2w3e4r5t qwertyuiop 1qaz2wsx3edc password123 password12 password1!
    iloveyou123 qwerty1234 qwerty12345 1234qwerty abcdefghij abc1234567 a1b2c3d4e5 passw0rd123
    letmein123 welcome123 11111111111 1111111111 0000000000 9876543210 administrator baseball123
    football123 sunshine123 princess123 superman123 starwars123 trustno1234 whatever123 qazwsxedcrfv
    contraseña contrasena contrasena123 philadelphia
    """.split()
)


def validate_password(password: str, *, email: str = "", display_name: str = "") -> None:
    if len(password) < MIN_LENGTH:
        raise ValidationError(
            _("Use at least %(n)d characters. A few words in a row make a strong password.", n=MIN_LENGTH),
            field="password",
        )
    if len(password) > MAX_LENGTH:
        raise ValidationError(_("Use at most %(n)d characters.", n=MAX_LENGTH), field="password")
    lowered = password.lower()
    personal = {email.lower(), email.lower().split("@")[0], display_name.lower()} - {""}
    if lowered in _COMMON or len(set(password)) < 4 or lowered in personal:
        raise ValidationError(_("This password is too easy to guess. Try a few unrelated words."), field="password")


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def password_matches(password_hash: str | None, password: str) -> bool:
    """Whether `password` is the one `password_hash` was made from. With no hash (an unknown address) the
    password is checked against a dummy hash of the same cost and never matches, so a sign-in takes as long
    for an address without an account as for one with (no account discovery by timing)."""
    if password_hash is None:
        check_password_hash(_dummy_hash(), password)
        return False
    return check_password_hash(password_hash, password)


@cache
def _dummy_hash() -> str:
    # Made with the same method and parameters as real hashes (once per process), so checking costs the same.
    return hash_password("civic dummy password: no account has it")
