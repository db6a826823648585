import pytest

from incidents.actors import Actor
from tests.factories import ResponderFactory


@pytest.fixture
def staff_user(db):
    return ResponderFactory(username="duty-engineer")


@pytest.fixture
def staff_actor(staff_user):
    return Actor.for_user(staff_user)
