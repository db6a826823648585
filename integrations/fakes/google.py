"""A Google service-account key file for the fake token endpoint."""

import functools
import json
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


@functools.cache
def _private_key_pem() -> str:
    # One key per process: making an RSA key takes a noticeable share of a short test.
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def write_service_account(path: Path, token_uri: str) -> str:
    """Write a service-account key file whose token_uri is the fake token endpoint.

    google-auth signs its token request with an RSA key made once per process, and the
    fake issues a token for any well-formed request.
    """
    info = {
        "type": "service_account",
        "project_id": "incident-desk-fake",
        "private_key_id": "fake-key",
        "private_key": _private_key_pem(),
        "client_email": "incident-desk@incident-desk-fake.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": token_uri,
    }
    path.write_text(json.dumps(info))
    return str(path)
