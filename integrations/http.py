"""The one place integrations make outbound HTTP requests (SNS certificates, SubscribeURL).

``http_session()`` returns a ``requests.Session`` with the configured timeout and no
redirects, so a fetch cannot be bounced to a host nobody validated. Tests swap the
transport with ``mounted(prefix, adapter)``, for example to forward
``https://sns.us-east-1.amazonaws.com/`` to a loopback fake server.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import requests
from django.conf import settings
from requests.adapters import BaseAdapter

USER_AGENT = "incident-desk-webhooks/1"

_mounts: list[tuple[str, BaseAdapter]] = []


class _TimeoutSession(requests.Session):
    def __init__(self, timeout: float):
        super().__init__()
        self.timeout = timeout

    def request(self, method, url, **kwargs):
        kwargs.setdefault("timeout", self.timeout)
        kwargs.setdefault("allow_redirects", False)
        return super().request(method, url, **kwargs)


def http_session() -> requests.Session:
    session = _TimeoutSession(settings.SNS_HTTP_TIMEOUT_SECONDS)
    session.trust_env = False
    session.headers["User-Agent"] = USER_AGENT
    for prefix, adapter in _mounts:
        session.mount(prefix, adapter)
    return session


@contextmanager
def mounted(prefix: str, adapter: BaseAdapter) -> Iterator[BaseAdapter]:
    """Route requests whose URL starts with ``prefix`` through ``adapter`` for a while."""
    entry = (prefix, adapter)
    _mounts.append(entry)
    try:
        yield adapter
    finally:
        _mounts.remove(entry)
