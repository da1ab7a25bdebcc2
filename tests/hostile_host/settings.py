"""A host project whose DRF defaults are hostile to a reusable app: every API must be
signed in, session and basic authentication, a browsable renderer, form parsing only,
a throttle of one request a day, versioning, and its own exception handler. The chat's
install block says nothing about REST_FRAMEWORK, so the chat must not care."""

from config.settings_test import *  # noqa: F403

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.BasicAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.BrowsableAPIRenderer",
        "rest_framework.renderers.JSONRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.FormParser"],
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"anon": "1/day"},
    "DEFAULT_VERSIONING_CLASS": "rest_framework.versioning.QueryParameterVersioning",
    "EXCEPTION_HANDLER": "tests.hostile_host.handler.house_style",
}
