"""Request rate limits of the REST API."""

from django.conf import settings
from rest_framework.throttling import UserRateThrottle


class ApiUserRateThrottle(UserRateThrottle):
    """Limits each user, or each address for anonymous requests, to API_THROTTLE_RATE.

    The counts live in the default cache, which is Redis whenever REDIS_URL is set, so
    every web process counts the same requests. The rate is read on each request rather
    than once at import, so a settings change applies without a code change.
    """

    scope = "user"

    def get_rate(self) -> str | None:
        return settings.API_THROTTLE_RATE or None
