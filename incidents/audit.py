"""The acting user or integration, carried to django-simple-history's rows.

Services run their writes inside `acting_as(actor)`. The history signal below copies
that actor onto each historical row, so admin, API, tasks and commands all record who
made a change, including changes made outside a request.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from simple_history.signals import pre_create_historical_record

from incidents.actors import Actor

_current_actor: ContextVar[Actor | None] = ContextVar("incident_desk_actor", default=None)


@contextmanager
def acting_as(actor: Actor) -> Iterator[Actor]:
    token = _current_actor.set(actor)
    try:
        yield actor
    finally:
        _current_actor.reset(token)


def current_actor() -> Actor | None:
    return _current_actor.get()


def _stamp_history_actor(sender, history_instance, **kwargs) -> None:
    actor = _current_actor.get()
    if actor is None:
        return
    # An integration acting inside a staff request (an outbox attempt run in-process after
    # the admin retry action) is recorded without the request's user.
    history_instance.history_user = actor.user
    if hasattr(history_instance, "history_integration"):
        history_instance.history_integration = actor.integration


def connect_history_signals() -> None:
    pre_create_historical_record.connect(
        _stamp_history_actor, dispatch_uid="incident_desk_history_actor"
    )
