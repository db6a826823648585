import pytest
from django.conf import settings
from django.core.cache import cache, caches

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_per_minute(settings, staff_user):
    settings.API_THROTTLE_RATE = "3/minute"
    # Ids repeat between tests, so an earlier test's requests may still be counted.
    cache.delete(f"throttle_user_{staff_user.pk}")


def test_fourth_request_is_throttled(staff_client, three_per_minute):
    statuses = [staff_client.get("/api/v1/incidents/").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]


def test_throttled_answer_says_when(staff_client, three_per_minute):
    for _ in range(3):
        staff_client.get("/api/v1/incidents/")

    response = staff_client.get("/api/v1/incidents/")

    assert int(response["Retry-After"]) > 0
    assert "throttled" in response.json()["detail"].lower()


def test_counts_are_in_shared_cache(staff_client, staff_user, three_per_minute):
    staff_client.get("/api/v1/incidents/")

    history = cache.get(f"throttle_user_{staff_user.pk}")
    assert len(history) == 1
    if settings.REDIS_URL:
        # Every web process reads the same counts, not one per process.
        backend = caches["default"].__class__.__name__
        assert backend == "RedisCache"


def test_empty_rate_turns_limit_off(staff_client, settings):
    settings.API_THROTTLE_RATE = ""

    statuses = {staff_client.get("/api/v1/incidents/").status_code for _ in range(5)}

    assert statuses == {200}
