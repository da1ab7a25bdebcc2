"""Sessions in the database read with one statement (``config.session_db``, the engine
without REDIS_URL): the same sessions as Django's database engine, every time from the row."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.backends.db import SessionStore as DjangoStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from config.session_db import SessionStore

pytestmark = pytest.mark.django_db


def saved(data: dict) -> str:
    store = DjangoStore()
    store.update(data)
    store.save()
    assert store.session_key
    return store.session_key


def test_a_session_reads_back_as_djangos_engine_reads_it():
    key = saved({"chat_guest": "guest-42", "n": 3, "nested": {"a": [1, 2]}})
    ours, django = SessionStore(key), DjangoStore(key)
    expected = {"chat_guest": "guest-42", "n": 3, "nested": {"a": [1, 2]}}
    assert dict(ours.items()) == dict(django.items()) == expected
    assert ours.session_key == key


def test_reading_a_session_is_one_statement_on_its_row():
    key = saved({"chat_guest": "guest-1"})
    with CaptureQueriesContext(connection) as queries:
        assert SessionStore(key)["chat_guest"] == "guest-1"
    assert len(queries) == 1
    assert "django_session" in queries[0]["sql"] and "expire_date" in queries[0]["sql"]


def test_an_expired_session_is_a_new_empty_one():
    key = saved({"chat_guest": "guest-2"})
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    store = SessionStore(key)
    assert dict(store.items()) == {}
    assert store.session_key is None  # a new key is made when it is saved, as Django does


def test_a_session_deleted_by_another_process_is_gone_at_the_next_read():
    key = saved({"chat_guest": "guest-3"})
    assert SessionStore(key)["chat_guest"] == "guest-3"
    Session.objects.filter(session_key=key).delete()  # manage.py shell, clearsessions, the admin
    assert dict(SessionStore(key).items()) == {}


def test_tampered_session_data_is_an_empty_session():
    key = saved({"chat_guest": "guest-4"})
    Session.objects.filter(session_key=key).update(session_data="not-signed")
    assert dict(SessionStore(key).items()) == {}


def test_a_sign_in_through_the_login_form_is_kept_and_a_sign_out_ends_it(demo_user):
    assert django_settings.SESSION_ENGINE == "config.session_db"
    client = Client()
    answer = client.post("/accounts/login/", {"username": "demo@example.com", "password": "demo12345"})
    assert answer.status_code == 302
    key = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    assert SessionStore(key).get("_auth_user_id") == str(demo_user.pk)
    assert client.get("/s/demo/orders/").status_code == 200  # signed in, request after request
    client.post("/accounts/logout/")
    assert not Session.objects.filter(session_key=key).exists()
    assert dict(SessionStore(key).items()) == {}
    assert client.get("/s/demo/orders/").status_code == 302  # to the login form
