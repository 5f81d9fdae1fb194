"""S/MIME (RFC 8551) with the cryptography package: sign with the practice's key (optional), then
encrypt to the recipient's certificate with AES-256. ``openssl cms -decrypt``, Outlook, Apple Mail
and Thunderbird read the result."""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .compose import EMAIL_POLICY, WIRE

if TYPE_CHECKING:  # cryptography is loaded when first used (messages/certificates.py says why)
    from cryptography import x509


SEALED_CONTENT = (("Content-Transfer-Encoding", "base64"), ("Content-Disposition", 'attachment; filename="smime.p7m"'),
                  ("Content-Type", 'application/pkcs7-mime; smime-type="enveloped-data"; name="smime.p7m"'),
                  ("MIME-Version", "1.0"))
OUTER_HEADERS = ("From", "To", "Cc", "Subject", "Date", "Message-ID", "X-Practice-Ops-Kind", "Auto-Submitted",
                 "In-Reply-To", "References")


@dataclass(frozen=True)
class Signer:
    cert: x509.Certificate
    key: Any  # an RSA or EC private key; load_signer refuses anything else


def load_signer(cert_path: Path | None, key_path: Path | None, password_env: str,
                now: datetime | None = None) -> tuple[Signer | None, str | None]:
    """(the practice's signing identity, or None; why it cannot be used, or None). A broken signing
    identity costs the signature, never the message: encryption still protects it."""
    if not cert_path and not key_path:
        return None, None
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    off = "; messages go encrypted but unsigned until it is fixed"
    if not (cert_path and key_path):
        return None, f"security: signing_cert and signing_key go together{off}"
    password = os.environ.get(password_env)
    try:
        cert = x509.load_pem_x509_certificate(Path(cert_path).read_bytes())
        key = serialization.load_pem_private_key(Path(key_path).read_bytes(),
                                                 password.encode() if password else None)
    except (OSError, ValueError, TypeError) as exc:
        return None, (f"security.signing_key: the signing identity cannot be loaded ({exc.__class__.__name__}; a "
                      f"protected key's password goes in the {password_env} environment variable){off}")
    if not isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
        return None, f"security.signing_key: an RSA or EC key is needed to sign{off}"
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    if (cert.public_key().public_bytes(serialization.Encoding.DER, public)
            != key.public_key().public_bytes(serialization.Encoding.DER, public)):
        return None, f"security.signing_cert: the certificate does not match the signing key{off}"
    if now is not None and not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        return None, (f"security.signing_cert: valid {cert.not_valid_before_utc:%Y-%m-%d} to "
                      f"{cert.not_valid_after_utc:%Y-%m-%d}, not now{off}")
    return Signer(cert, key), None


def _inner_entity(message: EmailMessage) -> bytes:
    """The message's body as a MIME entity: content headers only, CRLF line ends (as CMS signs them)."""
    inner = EmailMessage(policy=WIRE)
    for name, value in message.items():
        if name.lower().startswith("content-"):
            inner[name] = value
    inner.set_payload(message.get_payload())
    return inner.as_bytes(policy=WIRE)


def seal(message: EmailMessage, recipient: x509.Certificate, signer: Signer | None = None,
         also: x509.Certificate | None = None) -> EmailMessage:
    """The same message, its body signed (optionally) and encrypted to ``recipient``, and to
    ``also`` (the practice's own certificate, so its Sent Items copy stays readable)."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.ciphers import algorithms
    from cryptography.hazmat.primitives.serialization import pkcs7

    body = _inner_entity(message)
    if signer is not None:
        body = (pkcs7.PKCS7SignatureBuilder().set_data(body)
                .add_signer(signer.cert, signer.key, hashes.SHA256())
                .sign(serialization.Encoding.SMIME, [pkcs7.PKCS7Options.DetachedSignature]))
    envelope = pkcs7.PKCS7EnvelopeBuilder().set_data(body).add_recipient(recipient)
    if also is not None and also != recipient:
        envelope = envelope.add_recipient(also)
    der = envelope.set_content_encryption_algorithm(algorithms.AES256).encrypt(serialization.Encoding.DER, [])
    sealed = EmailMessage(policy=EMAIL_POLICY)
    for name in OUTER_HEADERS:
        if (value := message[name]) is not None:
            sealed[name] = value
    for name, value in SEALED_CONTENT:  # what set_content writes for it
        sealed[name] = value
    sealed.set_payload(base64.encodebytes(der).decode("ascii"))
    return sealed
