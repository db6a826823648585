"""A throwaway certificate authority and server certificate for 127.0.0.1.

The pagerduty client accepts only https:// base URLs, so the fakes serve TLS, and the
clients trust this certificate through INTEGRATIONS_CA_BUNDLE.
"""

import datetime
import ipaddress
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

VALIDITY = datetime.timedelta(days=2)


def _write(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


def loopback_certificate(folder: Path) -> tuple[str, str]:
    """Write a self-signed certificate for 127.0.0.1 and its key; return both paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Incident Desk fake vendors")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + VALIDITY)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    certificate_path = _write(
        folder / "fake-vendors.crt", certificate.public_bytes(serialization.Encoding.PEM)
    )
    key_path = _write(
        folder / "fake-vendors.key",
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )
    return certificate_path, key_path


def server_context(folder: Path) -> tuple[ssl.SSLContext, str]:
    """Return a server TLS context and the path of the certificate clients should trust.

    The key and certificate are written to `folder`, which the caller removes when the
    server stops.
    """
    certificate_path, key_path = loopback_certificate(folder)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate_path, key_path)
    return context, certificate_path
