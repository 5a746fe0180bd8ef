"""What a resident notices in a real browser: registering, signing in and out, the language switcher,
a phone-sized screen, and the page a resident sees at an admin address. axe-core checks every page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from civic.database import unit_of_work
from tests.browser.conftest import submit
from tests.conftest import DEFAULT_PASSWORD

PHONE = {"width": 360, "height": 740}


def _user_count(live_server, email: str) -> int:
    from sqlalchemy import func, select

    from civic.accounts.models import User
    from civic.extensions import db

    with live_server.app.app_context(), unit_of_work():
        return db.session.scalar(select(func.count()).select_from(User).where(User.email == email))


def _fill_register(page, name: str, email: str, password: str, live_server=None, check_a11y=None) -> None:
    """Sign up as a person does: the form, the page saying a link was mailed, the link, a password."""
    from tests.signup import confirm_path

    page.get_by_label("Your name").fill(name)
    page.get_by_label("Email").fill(email)
    submit(page, page.get_by_role("button", name="Continue"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your e-mail")
    expect(page.get_by_text(f"We have sent an e-mail to {email}.")).to_be_visible()
    if check_a11y:
        check_a11y(page)
    page.goto(confirm_path(live_server.app, email))
    expect(page.get_by_role("heading", level=1)).to_have_text("Finish creating your account")
    page.get_by_label("Password").fill(password)
    submit(page, page.get_by_role("button", name="Create account"))


def test_register_lands_signed_in_on_my_account(page, check_a11y, live_server, unique_email):
    email = unique_email("register")
    page.goto("/register")
    expect(page.get_by_role("heading", level=1)).to_have_text("Create an account")
    check_a11y(page)

    _fill_register(page, "Ana", email, DEFAULT_PASSWORD, live_server, check_a11y)

    expect(page).to_have_url(re.compile(r"/account$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("My account")
    expect(page.get_by_text(f"Signed in as {email}.")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_role("link", name="Sign in")).to_have_count(0)
    check_a11y(page)
    assert _user_count(live_server, email) == 1


def test_register_with_weak_password_shows_error_at_the_field(page, check_a11y, live_server, unique_email):
    email = unique_email("weak")
    page.goto("/register")
    check_a11y(page)

    _fill_register(page, "Ben", email, "short", live_server)

    password = page.get_by_label("Password")
    expect(password).to_have_attribute("aria-invalid", "true")
    error = page.locator("#password-error")
    expect(error).to_have_text("Use at least 10 characters. A few words in a row make a strong password.")
    # The message is tied to the input, so a screen reader reads it with the field.
    described_by = password.get_attribute("aria-describedby") or ""
    assert "password-error" in described_by.split()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    check_a11y(page)
    assert _user_count(live_server, email) == 0


def test_sign_in_with_wrong_then_right_password(page, check_a11y, make_live_user):
    user = make_live_user(display_name="Carmen")
    page.goto("/login")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    check_a11y(page)

    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password", exact=True).fill("not the right password at all")
    submit(page, page.locator("main").get_by_role("button", name="Sign in"))
    expect(page.get_by_text("That email and password do not match an account.")).to_be_visible()
    expect(page.get_by_label("Password", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    check_a11y(page)

    page.get_by_label("Password", exact=True).fill(user.password)
    submit(page, page.locator("main").get_by_role("button", name="Sign in"))
    expect(page.get_by_text("You are signed in.")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    check_a11y(page)


def test_switch_to_spanish_with_the_header_button(page, check_a11y):
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("button", name="English")).to_have_attribute("aria-current", "true")
    check_a11y(page)

    submit(page, page.get_by_role("button", name="Español"))

    expect(page.locator("html[lang=es]")).to_have_count(1)
    expect(page.get_by_role("button", name="Español")).to_have_attribute("aria-current", "true")
    expect(page.get_by_role("button", name="English")).not_to_have_attribute("aria-current", "true")
    check_a11y(page)
    # Needs the Spanish catalog (civic/translations/es) to translate "Skip to main content".
    expect(page.locator(".skip-link")).to_have_text("Saltar al contenido principal")


def test_sign_out_with_the_header_button(page, check_a11y, sign_in, make_live_user):
    user = make_live_user()
    sign_in(page, user)

    submit(page, page.get_by_role("button", name="Sign out"))

    expect(page.get_by_text("You are signed out on this device and any other.")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign in")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    check_a11y(page)


@pytest.mark.parametrize("path", ["/", "/register"])
def test_phone_width_has_no_horizontal_scroll(page, check_a11y, path):
    page.set_viewport_size(PHONE)
    page.goto(path)
    check_a11y(page)
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= PHONE["width"], f"{path} is {scroll_width}px wide on a {PHONE['width']}px screen"


def test_skip_link_appears_on_tab_and_moves_focus_to_main(page, check_a11y):
    page.set_viewport_size(PHONE)
    page.goto("/")
    check_a11y(page)
    skip = page.get_by_role("link", name="Skip to main content")
    assert not _in_viewport(skip), "the skip link should be off screen until focused"

    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    assert _in_viewport(skip), "the focused skip link should be on screen"

    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()


def _in_viewport(locator) -> bool:
    box = locator.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] > 0 and box["width"] > 0


def test_admin_page_as_resident_shows_403(page, check_a11y, sign_in, make_live_user):
    user = make_live_user()
    sign_in(page, user)

    response = page.goto("/admin/users")

    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("You cannot open this page")
    expect(page.get_by_text("This page is for administrators.")).to_be_visible()
    check_a11y(page)
