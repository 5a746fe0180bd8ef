"""civic/credentials.py: one way to make, store, recognise and retire the secrets of personal API tokens and
GeoReport api keys."""

from __future__ import annotations

import hashlib
import re

import pytest
import sqlalchemy as sa

from civic import credentials
from civic.accounts.models import User
from civic.api.models import ApiToken
from civic.api.tokens import create_token
from civic.database import unit_of_work
from civic.extensions import db
from civic.georeport.keys import create_api_key
from civic.georeport.models import ApiKey


def test_a_secret_is_random_and_only_its_sha256_is_kept():
    first, second = credentials.generate("civic_"), credentials.generate()
    assert re.fullmatch(r"civic_[A-Za-z0-9_-]{43}", first) and re.fullmatch(r"[A-Za-z0-9_-]{43}", second)
    assert first != credentials.generate("civic_")
    assert credentials.digest(first) == hashlib.sha256(first.encode()).hexdigest()
    assert credentials.matches(first, credentials.digest(first))
    assert not credentials.matches(first, credentials.digest(second)) and not credentials.matches(first, None)
    assert credentials.display_prefix(first, 12) == first[:12]


def test_tokens_and_keys_are_found_by_the_same_rule_and_never_for_each_other(app, make_user):
    info = make_user()
    with app.test_request_context(), unit_of_work():
        user = db.session.get(User, info.id)
        token, token_plain = create_token(user, "script")
        key_plain = create_api_key("Partner app", user)
    with app.app_context(), unit_of_work():
        assert credentials.find(ApiToken, token_plain, prefix="civic_").id == token.id
        assert credentials.find(ApiKey, key_plain).user_id == info.id
        assert credentials.find(ApiKey, token_plain) is None and credentials.find(ApiToken, key_plain) is None
        assert credentials.find(ApiToken, token_plain[len("civic_") :]) is None  # the prefix is required
        for wrong in (None, "", token_plain + "x", "civic_" + "x" * 300):
            assert credentials.find(ApiToken, wrong, prefix="civic_") is None
        row = db.session.scalar(sa.select(ApiKey))
        assert row.is_active and row.revoke() and not row.revoke() and not row.is_active
        assert credentials.find(ApiKey, key_plain) is None  # revoked


@pytest.mark.parametrize("model", [ApiToken, ApiKey])
def test_both_models_take_their_columns_from_the_mixin(model):
    assert issubclass(model, credentials.CredentialMixin)
    columns = model.__table__.columns
    assert {"created_at", "revoked_at", model.__hash_column__} <= set(columns.keys())
    assert columns[model.__hash_column__].unique
