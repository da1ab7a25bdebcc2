"""Rule: sign-in is throttled. After SIGNIN_FAILURE_LIMIT (5) wrong passwords for one
account from one address, that pair is refused — even with the right password — with a page
that says why and for how long (429, Retry-After); another address or another account is
not affected. Through the real forms: the shop's email sign-in and the admin's login."""

from __future__ import annotations

import pytest
from django.test import Client

LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"


def sign_in(client: Client, email: str, password: str, url: str = LOGIN):
    return client.post(url, {"username": email, "password": password, "next": "/s/demo/"})


def from_address(address: str) -> Client:
    return Client(REMOTE_ADDR=address)


@pytest.mark.django_db
def test_five_wrong_passwords_lock_the_account_on_that_address(demo, settings):
    attacker = from_address("203.0.113.7")
    limit = settings.AXES_FAILURE_LIMIT
    answers = [sign_in(attacker, "demo@example.com", f"guess-{i}") for i in range(limit)]
    assert [a.status_code for a in answers[:-1]] == [200] * (settings.AXES_FAILURE_LIMIT - 1)
    assert b"Please enter a correct" in answers[0].content  # the form's own error before the lock
    locked = answers[-1]
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "Too many sign-in attempts" in page
    assert "try again in 15 minutes" in page
    assert locked["Retry-After"] == "900"
    # The right password does not get through from there while the lock lasts.
    right = sign_in(attacker, "demo@example.com", "demo12345")
    assert right.status_code == 429
    assert "_auth_user_id" not in attacker.session


@pytest.mark.django_db
def test_the_lock_holds_for_that_pair_only(demo, settings):
    attacker = from_address("203.0.113.8")
    for i in range(settings.AXES_FAILURE_LIMIT):
        sign_in(attacker, "demo@example.com", f"guess-{i}")
    # The customer at home signs in as usual…
    customer = from_address("198.51.100.20")
    assert sign_in(customer, "demo@example.com", "demo12345").status_code == 302
    assert customer.session["_auth_user_id"]
    # …and another account from the attacker's address is still asked for its password.
    assert sign_in(attacker, "other@example.com", "other12345").status_code == 302


@pytest.mark.django_db
def test_ipv6_clients_are_counted_per_64(demo, settings):
    for i in range(settings.AXES_FAILURE_LIMIT):
        sign_in(from_address(f"2001:db8:1:2::{i + 1}"), "demo@example.com", f"guess-{i}")
    assert sign_in(from_address("2001:db8:1:2::99"), "demo@example.com", "demo12345").status_code == 429


@pytest.mark.django_db
def test_a_success_before_the_limit_starts_the_count_again(demo, settings):
    client = from_address("203.0.113.9")
    for i in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "demo@example.com", f"typo-{i}")
    assert sign_in(client, "demo@example.com", "demo12345").status_code == 302
    client.post("/accounts/logout/")
    for i in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "demo@example.com", f"typo-{i}").status_code == 200


@pytest.mark.django_db
def test_the_admin_login_is_throttled_too(demo, settings):
    attacker = from_address("203.0.113.10")
    codes = [
        sign_in(attacker, "admin", f"guess-{i}", url=ADMIN_LOGIN).status_code
        for i in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert codes[-1] == 429
    assert sign_in(attacker, "admin", "admin12345", url=ADMIN_LOGIN).status_code == 429
    assert sign_in(from_address("198.51.100.21"), "admin", "admin12345", url=ADMIN_LOGIN).status_code == 302


@pytest.mark.browser
def test_a_shopper_sees_the_lockout_in_the_browser(page, shot):
    """Chromium, the real sign-in page: the sixth try after five wrong passwords shows the
    lockout page, in words, instead of the form. (An account no other test uses.)"""
    from playwright.sync_api import expect

    for attempt in range(5):
        page.goto("/accounts/login/?next=/s/demo/")
        page.fill("input[name=username]", "locked-out@example.com")
        page.fill("input[name=password]", f"wrong-{attempt}")
        page.click("form.stacked button[type=submit]")
    expect(page.get_by_role("heading", name="Too many sign-in attempts")).to_be_visible()
    expect(page.get_by_text("Please try again in 15 minutes.")).to_be_visible()
    shot(page, "locked-out")


@pytest.mark.django_db
def test_the_lockout_page_speaks_the_shops_language(demo, settings):
    attacker = from_address("203.0.113.11")
    attacker.get("/s/demo-zh/")
    for i in range(settings.AXES_FAILURE_LIMIT):
        locked = attacker.post(
            "/accounts/login/", {"username": "demo@example.com", "password": f"x{i}", "next": "/s/demo-zh/"}
        )
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "登录尝试次数过多" in page and "15 分钟后重试" in page
