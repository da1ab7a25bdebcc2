"""Dark mode (the system's and the page's own) and the phone layout."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from .helpers import composer, computed, launcher, luminance, open_chat, panel, rgb

pytestmark = pytest.mark.browser

LIGHT_BG = (255, 255, 255)
DARK_BG = (27, 29, 35)  # #1b1d23


def contrast(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    """WCAG contrast ratio of two sRGB colours."""

    def lum(c: tuple[int, ...]) -> float:
        lin = [(v / 255) / 12.92 if v / 255 <= 0.04045 else ((v / 255 + 0.055) / 1.055) ** 2.4 for v in c]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def panel_colours(pg: Page) -> tuple[tuple[int, ...], tuple[int, ...]]:
    return rgb(computed(panel(pg), "background-color")), rgb(computed(panel(pg), "color"))


def test_light_by_default(page: Page) -> None:
    page.goto("/s/demo/")
    open_chat(page)
    background, text = panel_colours(page)
    assert background == LIGHT_BG
    assert luminance(computed(panel(page), "color")) < 0.3, text


def test_dark_when_the_system_prefers_dark(new_context, shot) -> None:
    page = new_context(color_scheme="dark").new_page()
    page.goto("/s/demo/")
    open_chat(page)
    background, _text = panel_colours(page)
    assert background == DARK_BG
    assert luminance(computed(panel(page), "color")) > 0.7
    assert luminance(computed(composer(page), "background-color")) < 0.2
    # The brand colour stays: a red launcher, and a header in the brand's red, darkened just
    # enough for its white text to read at 4.5:1 (the demo's #E53935 gives 4.2:1).
    assert rgb(computed(launcher(page), "background-color")) == (229, 57, 53)
    r, g, b = rgb(computed(panel(page).locator("header"), "background-color"))
    assert r > 200 and g < 70 and b < 70, (r, g, b)
    assert contrast((255, 255, 255), (r, g, b)) >= 4.5
    shot(page, "dark")


def test_follows_the_pages_own_theme_switch(new_context) -> None:
    page = new_context(color_scheme="light").new_page()
    page.goto("/s/demo/")
    open_chat(page)
    assert panel_colours(page)[0] == LIGHT_BG
    # <html data-theme="dark"> wins over the system preference, and is watched live.
    page.evaluate("document.documentElement.setAttribute('data-theme', 'dark')")
    expect(panel(page)).to_have_attribute("data-theme", "dark")
    assert panel_colours(page)[0] == DARK_BG
    page.evaluate(
        "document.documentElement.removeAttribute('data-theme'); document.body.classList.add('dark')"
    )
    expect(panel(page)).to_have_attribute("data-theme", "dark")
    assert panel_colours(page)[0] == DARK_BG
    page.evaluate("document.body.classList.remove('dark')")
    expect(panel(page)).to_have_attribute("data-theme", "auto")
    assert panel_colours(page)[0] == LIGHT_BG

    # And a light page theme wins over a dark system.
    dark_system = new_context(color_scheme="dark").new_page()
    dark_system.goto("/s/demo/")
    dark_system.evaluate("document.documentElement.setAttribute('data-bs-theme', 'light')")
    open_chat(dark_system)
    expect(panel(dark_system)).to_have_attribute("data-theme", "light")
    assert panel_colours(dark_system)[0] == LIGHT_BG


def test_phone_opens_full_screen(new_context, shot) -> None:
    phone = {"width": 390, "height": 844}
    page = new_context(viewport=phone, is_mobile=True, has_touch=True, device_scale_factor=2).new_page()
    page.goto("/s/demo/")
    button = launcher(page)
    expect(button).to_be_visible()
    box = button.bounding_box()
    assert box and 0 <= phone["width"] - (box["x"] + box["width"]) <= 40
    assert 0 <= phone["height"] - (box["y"] + box["height"]) <= 40
    button.tap()
    expect(panel(page)).to_be_visible()
    box = panel(page).bounding_box()
    assert box is not None
    assert abs(box["x"]) <= 1 and abs(box["y"]) <= 1, box
    assert abs(box["width"] - phone["width"]) <= 1 and abs(box["height"] - phone["height"]) <= 1, box
    assert computed(panel(page), "border-radius") == "0px"
    expect(button).to_be_hidden()  # the panel covers the screen, the launcher steps aside
    composer_box = composer(page).bounding_box()
    assert composer_box and composer_box["y"] + composer_box["height"] <= phone["height"]
    shot(page, "phone-open")
    panel(page).get_by_role("button", name="Close chat").tap()
    expect(panel(page)).to_be_hidden()
    expect(button).to_be_visible()
