"""S/MIME (RFC 8551) with the cryptography package: sign with the practice's key (optional), then
encrypt to the recipient's certificate with AES-256. ``openssl cms -decrypt``, Outlook, Apple Mail
and Thunderbird read the result."""

from __future__ import annotations

from typing import Any

import os
from dataclasses import dataclass
from email import policy as email_policy
from email.message import EmailMessage
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.serialization import pkcs7

from ..errors import ConfigError

OUTER_HEADERS = ("From", "To", "Cc", "Subject", "Date", "Message-ID", "X-Practice-Ops-Kind", "Auto-Submitted",
                 "In-Reply-To", "References")


@dataclass(frozen=True)
class Signer:
    cert: x509.Certificate
    key: Any  # an RSA or EC private key; load_signer refuses anything else


def load_signer(cert_path: Path | None, key_path: Path | None, password_env: str) -> Signer | None:
    """The practice's signing identity, or None when none is configured."""
    if not cert_path and not key_path:
        return None
    if not (cert_path and key_path):
        raise ConfigError(["security: signing_cert and signing_key go together"])
    password = os.environ.get(password_env)
    try:
        cert = x509.load_pem_x509_certificate(Path(cert_path).read_bytes())
        key = serialization.load_pem_private_key(Path(key_path).read_bytes(),
                                                 password.encode() if password else None)
    except (OSError, ValueError, TypeError) as exc:
        raise ConfigError([f"security.signing_key: cannot be loaded ({exc}); a protected key's password "
                           f"goes in the {password_env} environment variable"]) from None
    return Signer(cert, key)


def _inner_entity(message: EmailMessage) -> bytes:
    """The message's body as a MIME entity: content headers only, CRLF line ends (as CMS signs them)."""
    inner = EmailMessage(policy=email_policy.SMTP)
    for name, value in message.items():
        if name.lower().startswith("content-"):
            inner[name] = value
    inner.set_payload(message.get_payload())
    return inner.as_bytes(policy=email_policy.SMTP)


def seal(message: EmailMessage, recipient: x509.Certificate, signer: Signer | None = None) -> EmailMessage:
    """The same message, its body signed (optionally) and encrypted to ``recipient``."""
    body = _inner_entity(message)
    if signer is not None:
        body = (pkcs7.PKCS7SignatureBuilder().set_data(body)
                .add_signer(signer.cert, signer.key, hashes.SHA256())
                .sign(serialization.Encoding.SMIME, [pkcs7.PKCS7Options.DetachedSignature]))
    der = (pkcs7.PKCS7EnvelopeBuilder().set_data(body).add_recipient(recipient)
           .set_content_encryption_algorithm(algorithms.AES256).encrypt(serialization.Encoding.DER, []))
    sealed = EmailMessage()
    for name in OUTER_HEADERS:
        if message[name] is not None:
            sealed[name] = message[name]
    sealed.set_content(der, maintype="application", subtype="pkcs7-mime",
                       params={"smime-type": "enveloped-data", "name": "smime.p7m"},
                       disposition="attachment", filename="smime.p7m")
    return sealed
