"""Amazon SNS message signatures: the canonical string, the certificate and the check.

The canonical string and key lists follow the AWS SNS documentation ("Verifying the
signatures of Amazon SNS messages"). SignatureVersion 1 signs with SHA1, 2 with SHA256,
both RSA PKCS#1 v1.5. The signing certificate is used only when its URL is https on
exactly ``sns.<region>.amazonaws.com`` and names a ``.pem`` file; it is looked up first
in ``settings.SNS_CERT_CACHE_DIR`` by file name, then fetched, and kept in memory.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
import threading
from pathlib import Path
from urllib.parse import urlsplit

import requests
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.conf import settings

from integrations.http import http_session
from integrations.webhooks.base import WebhookError

logger = logging.getLogger(__name__)

NOTIFICATION_KEYS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
CONFIRMATION_KEYS = (
    "Message",
    "MessageId",
    "SubscribeURL",
    "Timestamp",
    "Token",
    "TopicArn",
    "Type",
)
MESSAGE_TYPES = {
    "Notification": NOTIFICATION_KEYS,
    "SubscriptionConfirmation": CONFIRMATION_KEYS,
    "UnsubscribeConfirmation": CONFIRMATION_KEYS,
}
HASHES = {"1": hashes.SHA1, "2": hashes.SHA256}

SNS_HOST = re.compile(r"^sns\.[a-z]{2}(?:-[a-z]+)+-\d{1,2}\.amazonaws\.com$")
CERT_FILE_NAME = re.compile(r"^[A-Za-z0-9._-]+\.pem$")

_certificates: dict[str, rsa.RSAPublicKey] = {}
_lock = threading.Lock()


def canonical_string(message: dict) -> bytes:
    """The bytes SNS signs: ``key\\nvalue\\n`` for each signed key present, in order."""
    keys = MESSAGE_TYPES.get(message.get("Type"), ())
    lines = []
    for key in keys:
        if key == "Subject" and message.get(key) is None:
            continue
        lines.append(f"{key}\n{message[key]}\n")
    return "".join(lines).encode()


def check_sns_url(url: str, field_name: str, *, pem: bool) -> str:
    """Refuse anything but https on exactly sns.<region>.amazonaws.com, no userinfo/port."""
    if not isinstance(url, str) or not url or any(ch.isspace() or ch == "\\" for ch in url):
        raise WebhookError(400, field_name, f"{field_name} is not a usable URL.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise WebhookError(400, field_name, f"{field_name} is not a usable URL.") from None
    if parts.scheme != "https":
        raise WebhookError(400, field_name, f"{field_name} must use https.")
    host = parts.hostname or ""
    if parts.netloc != host or port is not None or parts.username or parts.password:
        raise WebhookError(
            400, field_name, f"{field_name} must name the host alone, with no user or port."
        )
    if not SNS_HOST.match(host):
        raise WebhookError(
            400, field_name, f"{field_name} host {host!r} is not sns.<region>.amazonaws.com."
        )
    if pem and (not parts.path.endswith(".pem") or parts.query or parts.fragment):
        raise WebhookError(400, field_name, f"{field_name} must name a .pem certificate file.")
    return url


def clear_certificate_cache() -> None:
    with _lock:
        _certificates.clear()


def _load_public_key(pem: bytes, url: str) -> rsa.RSAPublicKey:
    try:
        certificate = x509.load_pem_x509_certificate(pem)
    except ValueError:
        raise WebhookError(
            401, "SigningCertURL", f"The certificate at {url} is not a PEM certificate."
        ) from None
    key = certificate.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise WebhookError(401, "SigningCertURL", "The signing certificate has no RSA key.")
    return key


def signing_key(url: str) -> rsa.RSAPublicKey:
    """The public key of the certificate at a validated SigningCertURL."""
    check_sns_url(url, "SigningCertURL", pem=True)
    with _lock:
        cached = _certificates.get(url)
    if cached is not None:
        return cached

    file_name = urlsplit(url).path.rsplit("/", 1)[-1]
    pem = None
    cache_dir = settings.SNS_CERT_CACHE_DIR
    if cache_dir and CERT_FILE_NAME.match(file_name):
        candidate = Path(cache_dir) / file_name
        if candidate.is_file():
            pem = candidate.read_bytes()
    if pem is None:
        try:
            response = http_session().get(url)
        except requests.RequestException as error:
            logger.warning("Could not fetch the SNS certificate %s: %s", url, type(error).__name__)
            raise WebhookError(
                503, "SigningCertURL", "The signing certificate could not be fetched."
            ) from None
        if response.status_code != 200:
            raise WebhookError(
                503,
                "SigningCertURL",
                f"Fetching the signing certificate answered {response.status_code}.",
            )
        pem = response.content

    key = _load_public_key(pem, url)
    with _lock:
        _certificates[url] = key
    return key


def verify_message(message: dict) -> None:
    """Check an SNS message's signature; WebhookError naming the field when it fails."""
    version = str(message.get("SignatureVersion") or "")
    if version not in HASHES:
        raise WebhookError(
            400, "SignatureVersion", f"SignatureVersion {version!r} is not supported (1 or 2)."
        )
    raw_signature = message.get("Signature")
    if not raw_signature or not isinstance(raw_signature, str):
        raise WebhookError(401, "Signature", "The message carries no Signature.")
    try:
        signature = base64.b64decode(raw_signature, validate=True)
    except (binascii.Error, ValueError):
        raise WebhookError(401, "Signature", "Signature is not base64.") from None
    key = signing_key(message.get("SigningCertURL") or "")
    try:
        key.verify(signature, canonical_string(message), padding.PKCS1v15(), HASHES[version]())
    except InvalidSignature:
        raise WebhookError(401, "Signature", "The SNS signature does not match.") from None


def sign_message(message: dict, private_key_pem: bytes) -> dict:
    """Sign a message with a (demo) private key, as SNS would; returns a new dict."""
    key = serialization.load_pem_private_key(private_key_pem, password=None)
    version = str(message.get("SignatureVersion") or "1")
    signed = {**message, "SignatureVersion": version}
    signature = key.sign(canonical_string(signed), padding.PKCS1v15(), HASHES[version]())
    signed["Signature"] = base64.b64encode(signature).decode()
    return signed
