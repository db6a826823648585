import pytest
from rest_framework.test import APIClient

from tests.factories import UserFactory


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def staff_client(staff_user):
    client = APIClient()
    client.force_authenticate(staff_user)
    return client


@pytest.fixture
def member_user(db):
    return UserFactory(username="community-member", is_staff=False)


@pytest.fixture
def member_client(member_user):
    client = APIClient()
    client.force_authenticate(member_user)
    return client
