"""The residents' dashboard on a phone (390 px wide): /dashboard and /dashboard/neighbourhoods never scroll sideways,
not the page and not a table inside it (each row stacks into labelled lines), the sort menu stands in for the
table's hidden headings, and axe-core finds nothing serious, with and without population figures."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from civic.database import unit_of_work
from tests.browser.conftest import report_issue_as, submit

PHONE = {"width": 390, "height": 844}
# Away from other browser tests' pins, so their "Already reported?" radius never sees these issues.
OLD_CITY, FISHTOWN = (39.9489, -75.1500), (39.9745, -75.1300)

# The page and every table's scroller whose content is wider than its box.
SIDEWAYS = """() => [document.documentElement, ...document.querySelectorAll('.table-wrap')]
    .filter(el => el.scrollWidth > el.clientWidth + 1)
    .map(el => (el.getAttribute('aria-labelledby') || el.tagName) + ': ' + el.scrollWidth + ' > ' + el.clientWidth)"""


@pytest.fixture
def phone(chromium, base_url):
    context = chromium.new_context(base_url=base_url, locale="en-US", viewport=PHONE, is_mobile=True, has_touch=True)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def some_issues(live_server, make_live_user):
    reporter = make_live_user(display_name="Phone Reporter")
    for n, at in enumerate((OLD_CITY, OLD_CITY, FISHTOWN)):
        report_issue_as(live_server, reporter, "pothole", f"Phone pothole {n}", at)
    # The dashboard keeps its figures a minute (DASHBOARD_CACHE_SECONDS); another test may have just read them.
    live_server.app.extensions.pop("civic_dashboard", None)


def _load_population(live_server, tmp_path) -> None:
    from civic.geo.population import load_population

    path = tmp_path / "population.csv"
    path.write_text("neighbourhood,population\nOld City,2500\n", encoding="utf-8")
    with live_server.app.test_request_context(), unit_of_work():
        load_population(path, "A test file")


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.evaluate(SIDEWAYS) == []


def test_the_dashboard_fits_a_phone(phone, check_a11y, some_issues):
    phone.goto("/dashboard")
    expect(phone.locator("#in-short li").first).to_be_visible()
    _no_sideways_scroll(phone)
    # A stacked row: each figure on its own line, labelled by its column.
    cell = phone.locator("#by-category td[data-label='Open now']").first
    expect(cell).to_be_visible()
    assert cell.evaluate("td => getComputedStyle(td).display") == "block"
    check_a11y(phone)


def test_the_neighbourhood_page_fits_a_phone_and_sorts_from_its_menu(
    phone, check_a11y, live_server, some_issues, tmp_path
):
    phone.goto("/dashboard/neighbourhoods")
    _no_sideways_scroll(phone)
    check_a11y(phone)
    phone.get_by_label("Sort by").select_option("-issues")
    submit(phone, phone.get_by_role("button", name="Sort", exact=True))
    assert "sort=-issues" in phone.url
    counts = [int(n) for n in phone.locator("#neighbourhood-table td[data-label='Issues']").all_inner_texts()]
    assert counts == sorted(counts, reverse=True) and len(counts) >= 2  # most issues first
    _no_sideways_scroll(phone)

    _load_population(live_server, tmp_path)  # the wider table, with figures per 1,000 residents
    phone.goto("/dashboard/neighbourhoods?sort=-per1000")
    expect(phone.locator("#population-source")).to_contain_text("A test file")
    expect(phone.locator("#neighbourhood-table td[data-label='Residents']").first).to_have_text("2,500")
    _no_sideways_scroll(phone)
    check_a11y(phone)
