import pytest

from incidents.actors import Actor
from tests.factories import UserFactory


@pytest.fixture
def staff_user(db):
    return UserFactory(username="duty-engineer")


@pytest.fixture
def staff_actor(staff_user):
    return Actor.for_user(staff_user)
