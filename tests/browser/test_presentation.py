"""What the screenshots showed wrong (issue 13): phone composer zoom, card pictures, the
clipped card row, the avatar, and the launcher over a price on a phone."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, expect

from .conftest import IMAGE_URL
from .helpers import composer, computed, launcher, luminance, open_chat, send, wait_for_answer

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.mark.parametrize("shop", ["demo", "demo-zh"])
def test_the_phone_composer_is_16px_so_ios_does_not_zoom(
    new_context: Callable[..., BrowserContext], shop
) -> None:
    page = new_context(**PHONE).new_page()
    page.goto(f"/s/{shop}/")
    launcher(page).tap()
    expect(composer(page)).to_be_visible()
    assert float(computed(composer(page), "font-size").removesuffix("px")) >= 16
    # The panel fills the phone's screen.
    box = page.locator("chatbot-widget section.p").bounding_box()
    assert box and box["width"] == 390 and box["height"] == 844


def test_desktop_composer_and_launcher_keep_their_look(new_context: Callable[..., BrowserContext]) -> None:
    page = new_context().new_page()
    page.goto("/s/demo/")
    box = launcher(page).bounding_box()
    assert box and box["width"] == 60 and 1280 - (box["x"] + box["width"]) == 24
    assert computed(launcher(page), "border-radius") == "50%"


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_a_card_with_an_image_shows_it_and_cards_follow_the_theme(
    new_context: Callable[..., BrowserContext], theme
) -> None:
    page = new_context(color_scheme=theme).new_page()
    page.goto("/s/demo/")
    open_chat(page)
    send(page, "Do you have a tent under $300?")
    reply = wait_for_answer(page)
    cards = reply.locator(".card")
    expect(cards.first).to_be_visible()
    with_image = reply.locator(".card img")
    expect(with_image.first).to_have_attribute("src", f"{page.url.split('/s/')[0]}{IMAGE_URL}")
    assert with_image.first.evaluate("img => img.complete && img.naturalWidth > 0")
    placeholder = reply.locator(".card .ph")
    if placeholder.count():
        shade = luminance(computed(placeholder.first, "background-image").split("rgb")[1])
        # A dark panel gets a dark placeholder tint, a light one a light tint.
        assert (shade < 0.3) if theme == "dark" else (shade > 0.7), shade
    card_bg = luminance(computed(cards.first, "background-color"))
    assert (card_bg < 0.3) if theme == "dark" else (card_bg > 0.9)
    # The stock text stays on the price's line.
    meta = cards.first.locator(".cm")
    assert meta.evaluate("m => m.getBoundingClientRect().height") < 22


def test_a_row_of_cards_that_scrolls_says_so(page) -> None:
    page.goto("/s/demo/")
    open_chat(page)
    send(page, "Show me your jackets")
    reply = wait_for_answer(page)
    row = reply.locator(".cards")
    overflow = row.evaluate("r => r.scrollWidth > r.clientWidth + 4")
    more = reply.locator("button.more")
    if not overflow:
        pytest.fail("expected more cards than fit: pick a question with three or more products")
    expect(more).to_be_visible()
    assert more.get_attribute("aria-label") == "More products"
    assert "fade" in (reply.locator(".cw").get_attribute("class") or "")
    more.click()
    page.wait_for_function("r => r.scrollLeft > 0", arg=row.element_handle(), timeout=5_000)
    row.evaluate("r => { r.scrollLeft = r.scrollWidth; }")
    expect(more).to_be_hidden()


def test_the_avatar_is_one_letter(page) -> None:
    page.goto("/s/demo/")
    open_chat(page, wait_connected=False)
    expect(page.locator("chatbot-widget .av")).to_have_text("N")


@pytest.mark.parametrize("shop", ["demo", "demo-zh"])
def test_the_phone_launcher_never_covers_a_price_on_the_home_page(
    new_context: Callable[..., BrowserContext], shop
) -> None:
    page = new_context(**PHONE).new_page()
    page.goto(f"/s/{shop}/")
    button = launcher(page).bounding_box()
    assert button
    prices = page.locator("main .price")
    assert prices.count() >= 4
    # The launcher is fixed and the page scrolls under it: a price is safe at every scroll
    # position only if it is clear of the launcher's column.
    for i in range(prices.count()):
        box = prices.nth(i).bounding_box()
        assert box
        assert box["x"] + box["width"] <= button["x"] or box["x"] >= button["x"] + button["width"], (
            i,
            box,
            button,
        )
    # And concretely: the first product's price scrolled to the launcher's height.
    first = prices.first
    first.evaluate(
        "(el, y) => window.scrollBy(0, el.getBoundingClientRect().top - y)",
        button["y"] + button["height"] / 2,
    )
    box = first.bounding_box()
    assert box
    overlap_x = min(box["x"] + box["width"], button["x"] + button["width"]) - max(box["x"], button["x"])
    overlap_y = min(box["y"] + box["height"], button["y"] + button["height"]) - max(box["y"], button["y"])
    assert overlap_x <= 0 or overlap_y <= 0
    # The last row of cards can scroll clear of the launcher.
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    last = page.locator("main .card").last.bounding_box()
    assert last and last["y"] + last["height"] <= button["y"]
