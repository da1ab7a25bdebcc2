"""Health routes, at the site root where fly and load balancers look for them.

Included from the project's URLconf with ``path("", include("chatbot.health_urls"))``.
``chatbot.health.HealthCheckMiddleware`` usually answers first; the routes keep the paths
reversible and resolvable, and serve sites that leave the middleware out.
"""

from django.urls import path

from chatbot import health

urlpatterns = [
    path("health", health.liveness, name="health"),
    path("health/ready", health.readiness, name="health-ready"),
]
