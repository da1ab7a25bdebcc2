import json
import time

import jwt
import pytest
import responses

from chatbot.assistants.base import AssistantError
from chatbot.assistants.coze_auth import JWTOAuth, PersonalTokenAuth, auth_from_settings, load_private_key
from chatbot.exceptions import ChatbotImproperlyConfigured
from chatbot.vocabulary import FinalReply
from tests.assistants_contract.contract import run
from tests.assistants_contract.keys import key_pair, private_key_body

from .conftest import APP_ID, FIXTURES, KEY_ID, PERSONAL_TOKEN


def token_requests(upstream):
    return upstream.calls("/api/permission/oauth2/token")


def test_jwt_is_signed_with_the_key_and_carries_coze_header_and_claims(coze, make_coze):
    _bot, upstream = coze
    run(make_coze(), "Hello!")
    [request] = token_requests(upstream)
    assertion = request.headers["authorization"].removeprefix("Bearer ")
    header = jwt.get_unverified_header(assertion)
    assert header == {"alg": "RS256", "typ": "JWT", "kid": KEY_ID}
    claims = jwt.decode(assertion, key_pair()[1], algorithms=["RS256"], audience="127.0.0.1", issuer=APP_ID)
    now = time.time()
    assert abs(claims["iat"] - now) < 30
    assert claims["iat"] < claims["exp"] <= claims["iat"] + 3600
    assert len(claims["jti"]) >= 16
    assert request.json == {
        "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "duration_seconds": 86399,
    }


def test_audience_is_the_host_of_the_api_base():
    auth = JWTOAuth(app_id=APP_ID, key_id=KEY_ID, private_key=key_pair()[0], api_base="https://api.coze.cn/")
    claims = jwt.decode(auth.build_jwt(), key_pair()[1], algorithms=["RS256"], audience="api.coze.cn")
    assert claims["iss"] == APP_ID


def test_every_exchange_uses_a_fresh_jti():
    auth = JWTOAuth(app_id=APP_ID, key_id=KEY_ID, private_key=key_pair()[0], api_base="https://api.coze.cn")
    jtis = {jwt.decode(auth.build_jwt(), options={"verify_signature": False})["jti"] for _ in range(20)}
    assert len(jtis) == 20


def test_one_token_exchange_serves_many_chats(coze, make_coze):
    bot, upstream = coze
    for _ in range(3):
        # A new assistant per reply, as the pipeline builds them: the token lives in the cache.
        assert isinstance(run(make_coze(), "Hello!")[-1], FinalReply)
    assert len(token_requests(upstream)) == 1
    assert len(upstream.calls("/v3/chat")) == 3
    tokens = {r.headers["authorization"] for r in upstream.calls("/v3/chat")}
    assert tokens == {f"Bearer {bot.issued_tokens[0]}"}


@pytest.mark.parametrize("lifetime", [-60, 30])
def test_token_expired_or_about_to_expire_is_exchanged_again(coze, make_coze, lifetime):
    bot, upstream = coze
    bot.token_lifetime = lifetime  # expires_in = now + lifetime (absolute)
    run(make_coze(), "Hello!")
    run(make_coze(), "Hello!")
    # Each reply creates a conversation and starts a chat. A token valid for 30 s more
    # serves its own reply but is not shared; an expired one is never sent.
    assert len(token_requests(upstream)) == (2 if lifetime > 0 else 4)
    jtis = [
        jwt.decode(r.headers["authorization"][7:], options={"verify_signature": False})["jti"]
        for r in token_requests(upstream)
    ]
    assert len(set(jtis)) == len(jtis)


@pytest.mark.parametrize("status", [401, 200])
def test_refused_token_is_refreshed_once_and_the_call_retried(coze, make_coze, status):
    bot, upstream = coze
    run(make_coze(), "Hello!")
    bot.revoked.add(bot.issued_tokens[0])  # Coze no longer accepts the cached token
    if status == 200:
        # Coze also answers 4100 with HTTP 200 and a JSON body.
        original = bot.auth_error
        bot.auth_error = lambda: type(original())(
            status=200,
            headers={"Content-Type": "application/json"},
            body=(FIXTURES / "error_4100.json").read_bytes(),
        )
    events = run(make_coze(), "Hello!")
    assert isinstance(events[-1], FinalReply)
    assert len(token_requests(upstream)) == 2
    assert upstream.calls("/v3/chat")[-1].headers["authorization"] == f"Bearer {bot.issued_tokens[1]}"


def test_refresh_happens_only_once(coze, make_coze):
    bot, upstream = coze
    bot.authorized = lambda request: False
    with pytest.raises(AssistantError) as info:
        run(make_coze(), "Hello!")
    assert info.value.retryable is False  # a retry cannot fix credentials
    assert "4100" in info.value.code
    assert len(token_requests(upstream)) == 2


def test_personal_access_token(coze, make_coze, settings, caplog):
    bot, upstream = coze
    settings.COZE_OAUTH_APP_ID = ""
    settings.COZE_API_TOKEN = PERSONAL_TOKEN
    bot.personal_token = PERSONAL_TOKEN
    assert isinstance(run(make_coze(), "Hello!")[-1], FinalReply)
    assert token_requests(upstream) == []
    assert upstream.calls("/v3/chat")[0].headers["authorization"] == f"Bearer {PERSONAL_TOKEN}"
    bot.personal_token = "revoked"
    with pytest.raises(AssistantError) as info:
        run(make_coze(), "Hello!")
    assert PERSONAL_TOKEN not in str(info.value) and PERSONAL_TOKEN not in caplog.text


def test_oauth_wins_when_both_are_configured(settings):
    settings.COZE_OAUTH_APP_ID = APP_ID
    settings.COZE_OAUTH_KEY_ID = KEY_ID
    settings.COZE_OAUTH_PRIVATE_KEY = key_pair()[0]
    settings.COZE_API_TOKEN = PERSONAL_TOKEN
    assert isinstance(auth_from_settings(), JWTOAuth)
    settings.COZE_OAUTH_APP_ID = ""
    assert isinstance(auth_from_settings(), PersonalTokenAuth)
    assert PERSONAL_TOKEN not in repr(auth_from_settings())


def test_private_key_with_literal_newlines_and_from_a_file(settings, tmp_path):
    escaped = key_pair()[0].strip().replace("\n", "\\n")
    assert load_private_key(f'"{escaped}"').key_size == 2048
    path = tmp_path / "coze.pem"
    path.write_text(key_pair()[0])
    settings.COZE_OAUTH_APP_ID = APP_ID
    settings.COZE_OAUTH_KEY_ID = KEY_ID
    settings.COZE_OAUTH_PRIVATE_KEY = ""
    settings.COZE_OAUTH_PRIVATE_KEY_FILE = str(path)
    auth = auth_from_settings()
    assert jwt.decode(auth.build_jwt(), key_pair()[1], algorithms=["RS256"], audience="api.coze.cn")


def test_unreadable_key_is_a_configuration_error_that_does_not_quote_it():
    broken = key_pair()[0].replace(private_key_body(), "x" * len(private_key_body()))[:-40] + "\nnot a key"
    with pytest.raises(ChatbotImproperlyConfigured) as info:
        load_private_key(broken + "\n# marker-" + private_key_body())
    assert private_key_body() not in str(info.value)
    assert "COZE_OAUTH_PRIVATE_KEY" in str(info.value)


def test_missing_credentials_are_named(settings):
    settings.COZE_OAUTH_APP_ID = ""
    settings.COZE_API_TOKEN = ""
    with pytest.raises(ChatbotImproperlyConfigured, match="COZE_API_TOKEN"):
        auth_from_settings()


@responses.activate
def test_refused_exchange_explains_without_secrets(caplog):
    body = json.loads((FIXTURES / "token_error_invalid_client.json").read_text())
    responses.post("https://api.coze.cn/api/permission/oauth2/token", json=body, status=401)
    auth = JWTOAuth(app_id=APP_ID, key_id=KEY_ID, private_key=key_pair()[0], api_base="https://api.coze.cn")
    with pytest.raises(Exception) as info:
        auth.token()
    message = str(info.value)
    assert "invalid_client" in message and "COZE_OAUTH_KEY_ID" in message
    assert getattr(info.value, "retryable", None) is False
    sent = responses.calls[0].request.headers["Authorization"]
    assert sent[7:] not in message and sent[7:] not in caplog.text
    assert private_key_body() not in message


@responses.activate
def test_token_answer_from_the_recorded_fixture_is_cached_until_its_absolute_expiry(monkeypatch):
    body = json.loads((FIXTURES / "token_ok.json").read_text())
    responses.post("https://api.coze.cn/api/permission/oauth2/token", json=body)
    monkeypatch.setattr(time, "time", lambda: body["expires_in"] - 3600)
    auth = JWTOAuth(app_id=APP_ID, key_id=KEY_ID, private_key=key_pair()[0], api_base="https://api.coze.cn")
    assert auth.token() == body["access_token"]
    assert auth.token() == body["access_token"]
    assert len(responses.calls) == 1
