"""Who performs a change: a user, or an integration acting on its own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


@dataclass(frozen=True)
class Actor:
    """Either a user or the name of an integration, never both and never neither."""

    user: AbstractBaseUser | None = None
    integration: str = ""

    def __post_init__(self) -> None:
        if (self.user is None) == (not self.integration):
            raise ValueError("An actor is either a user or an integration.")

    @classmethod
    def for_user(cls, user: AbstractBaseUser) -> Actor:
        return cls(user=user)

    @classmethod
    def for_integration(cls, name: str) -> Actor:
        return cls(integration=name)

    @property
    def label(self) -> str:
        if self.user is not None:
            return self.user.get_username()
        return self.integration

    def to_task_argument(self) -> dict[str, Any]:
        """Serialise for a Celery task, which takes ids and not objects."""
        if self.user is not None:
            return {"user_id": self.user.pk}
        return {"integration": self.integration}

    @classmethod
    def from_task_argument(cls, data: dict[str, Any]) -> Actor:
        if "user_id" in data:
            return cls(user=get_user_model().objects.get(pk=data["user_id"]))
        return cls(integration=data["integration"])


SYSTEM = Actor.for_integration("incident-desk")
