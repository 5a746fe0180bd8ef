"""Pages kept for anonymous readers (civic/pagecache.py): served again with each reader's own CSP nonce and
CSRF token, never older than the last change to what they show, never for signed-in readers."""

from __future__ import annotations

import re
import time

from civic.accounts.models import User
from civic.caching import LruCache
from civic.database import unit_of_work, utcnow
from civic.extensions import db
from civic.issues import services
from civic.issues.models import Issue


def kept_pages(app) -> int:
    cache = app.extensions.get("civic_caches", {}).get("pages")
    return len(cache.entries) if cache else 0


def secrets_of(response) -> tuple[str, str]:
    body = response.get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', body).group(1)
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    assert f'nonce="{nonce}"' in body  # the inline scripts carry this response's nonce
    assert "\x00" not in body  # no placeholder left behind
    return token, nonce


def test_a_kept_page_carries_each_readers_own_secrets(make_app, make_issue):
    app = make_app(WTF_CSRF_ENABLED=True)
    issue_id = make_issue(title="Deep pothole")
    first, second = app.test_client(), app.test_client()
    page_one = first.get(f"/issues/{issue_id}")
    page_two = second.get(f"/issues/{issue_id}")
    assert page_one.status_code == page_two.status_code == 200 and kept_pages(app) == 1
    assert "Deep pothole" in page_two.get_data(as_text=True)
    token_one, nonce_one = secrets_of(page_one)
    token_two, nonce_two = secrets_of(page_two)
    assert nonce_one != nonce_two
    # The second reader's token, from the kept page, works in the second reader's session.
    switched = second.post("/language/es", data={"csrf_token": token_two}, headers={"Referer": "/"})
    assert switched.status_code == 302
    refused = second.post("/language/en", data={"csrf_token": "forged"})
    assert refused.status_code == 400


def test_the_next_reader_sees_every_change(app, client, auth, make_issue, make_user):
    issue_id = make_issue(title="Deep pothole")
    client.get(f"/issues/{issue_id}")
    neighbour = make_user(display_name="Nia")
    commenter = app.test_client()
    commenter.post("/login", data={"email": neighbour.email, "password": neighbour.password})
    commenter.post(f"/issues/{issue_id}/comments", data={"body": "Still there this morning"})
    assert "Still there this morning" in client.get(f"/issues/{issue_id}").get_data(as_text=True)

    with app.test_request_context(), unit_of_work():
        services.set_upvote(db.session.get(User, neighbour.id), issue_id, True)
    assert "1 neighbour wants this fixed" in client.get(f"/issues/{issue_id}").get_data(as_text=True)

    with app.app_context(), unit_of_work():
        db.session.get(Issue, issue_id).hidden_at = utcnow()
        db.session.commit()
    assert client.get(f"/issues/{issue_id}").status_code == 404


def test_signed_in_readers_and_pending_messages_get_a_fresh_page(app, client, auth, make_issue, make_user):
    issue_id = make_issue()
    reader = make_user(display_name="Reader")
    auth.login_as(reader)
    page = client.get(f"/issues/{issue_id}").get_data(as_text=True)
    assert "My account" in page and kept_pages(app) == 0

    auth.logout()  # leaves "You are signed out on this device and any other." waiting to be shown
    farewell = client.get(f"/issues/{issue_id}").get_data(as_text=True)
    assert "You are signed out on this device and any other." in farewell and kept_pages(app) == 0
    later = client.get(f"/issues/{issue_id}").get_data(as_text=True)
    assert (
        "You are signed out on this device and any other." not in later
        and "My account" not in later
        and kept_pages(app) == 1
    )


def test_kept_pages_expire_and_the_cache_can_be_turned_off(make_app, make_issue):
    cache = LruCache(capacity=2, ttl=0.05)
    cache.put(("a",), "page")
    assert cache.get(("a",)) == "page"
    time.sleep(0.1)
    assert cache.get(("a",)) is None
    cache.put(("a",), 1), cache.put(("b",), 2), cache.put(("c",), 3)
    assert cache.get(("a",)) is None and cache.get(("c",)) == 3  # least recently used out first

    app = make_app(PAGE_CACHE_SECONDS=0)
    issue_id = make_issue()
    app.test_client().get(f"/issues/{issue_id}")
    assert kept_pages(app) == 0
