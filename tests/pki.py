"""Throw-away S/MIME identities for tests, made fresh in tmp_path (never committed)."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def make_identity(folder: Path, address: str, *, cert_name: str | None = None, valid_from: datetime = EPOCH,
                  days: int = 1000, certs_dir: Path | None = None, key_type: str = "rsa") -> tuple[Path, Path]:
    """(certificate PEM, key PEM). The certificate is filed as ADDRESS.pem in ``certs_dir`` when given."""
    key = (rsa.generate_private_key(public_exponent=65537, key_size=2048) if key_type == "rsa"
           else ec.generate_private_key(ec.SECP256R1()))
    named = cert_name or address
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, named),
                         x509.NameAttribute(NameOID.EMAIL_ADDRESS, named)])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(valid_from)
            .not_valid_after(valid_from + timedelta(days=days))
            .add_extension(x509.SubjectAlternativeName([x509.RFC822Name(named)]), critical=False)
            .add_extension(x509.KeyUsage(digital_signature=True, key_encipherment=True, content_commitment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    folder.mkdir(parents=True, exist_ok=True)
    cert_path = folder / f"{address}.cert.pem"
    key_path = folder / f"{address}.key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    if certs_dir is not None:
        certs_dir.mkdir(parents=True, exist_ok=True)
        (certs_dir / f"{address}.pem").write_bytes(cert_path.read_bytes())
    return cert_path, key_path


def openssl_decrypt(eml: Path, cert: Path, key: Path) -> bytes:
    import subprocess

    done = subprocess.run(["openssl", "cms", "-decrypt", "-in", str(eml), "-recip", str(cert), "-inkey", str(key)],
                          capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout


def make_tls_identity(folder: Path, host: str = "127.0.0.1") -> tuple[Path, Path]:
    """(certificate, key) for a loopback HTTPS stand-in; the certificate is its own CA bundle."""
    import ipaddress

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(datetime.now(UTC) - timedelta(days=1))
            .not_valid_after(datetime.now(UTC) + timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / "tls.cert.pem", folder / "tls.key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def make_service_account_key(folder: Path, token_uri: str) -> Path:
    """A Google service account key file whose token endpoint is a local stand-in."""
    import json

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    path = folder / "service-account.json"
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"type": "service_account", "project_id": "lake", "private_key_id": "k1",
                                "private_key": pem, "client_email": "mailer@lake.iam.gserviceaccount.com",
                                "client_id": "1", "token_uri": token_uri}))
    return path
