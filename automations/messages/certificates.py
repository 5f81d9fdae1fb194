"""Recipients' S/MIME certificates: one PEM per address, named ADDRESS.pem, in the configured folder.

A certificate is used only if it is valid at the run's time and names the address it is filed
under (in its subjectAltName rfc822Name, or its subject's emailAddress). Anything else is reported
in ``problems`` and never used, so the message falls back to the gateway or is blocked.

cryptography is loaded when a certificate is first read (here and in smime): 13 MB that a run
sealing nothing never holds, and that one sealing messages holds only after the trackers' parse,
the run's largest moment.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography import x509


class CertificateStore:
    def __init__(self, folder: Path | None, now: datetime):
        self.folder = Path(folder) if folder else None
        self.now = now
        self.problems: list[str] = []
        self._cache: dict[str, x509.Certificate | None] = {}
        self._why: dict[str, str] = {}

    def check_all(self) -> list[str]:
        """Load every certificate on file, so `check` can report the ones that will not be used."""
        if self.folder is not None and self.folder.is_dir():
            for path in sorted(self.folder.glob("*.pem")):
                self.for_address(path.name[:-len(".pem")])
        return list(self.problems)

    def for_address(self, address: str) -> x509.Certificate | None:
        address = address.strip().lower()
        if address not in self._cache:
            self._cache[address] = self._load(address)
        return self._cache[address]

    def why_not(self, address: str) -> str:
        """Why no certificate can be used for the address, in words the VA can act on."""
        self.for_address(address)
        return self._why.get(address.strip().lower(), "there is no S/MIME certificate on file for the address")

    def _refuse(self, address: str, path: Path, why: str, problem: str) -> None:
        self._why[address] = why
        self.problems.append(f"{path.name}: {problem}; not used")

    def _load(self, address: str) -> x509.Certificate | None:
        from cryptography import x509
        from cryptography.hazmat.primitives.asymmetric import rsa

        if self.folder is None or not self.folder.is_dir():
            return None
        path = next((p for p in self.folder.iterdir() if p.name.lower() == f"{address}.pem"), None)
        if path is None:
            return None
        try:
            cert = x509.load_pem_x509_certificate(path.read_bytes())
        except (ValueError, OSError) as exc:
            self._refuse(address, path, "the certificate on file cannot be read",
                         f"not a readable PEM certificate ({exc.__class__.__name__})")
            return None
        if self.now < cert.not_valid_before_utc:
            self._refuse(address, path, f"the certificate on file is not valid until "
                                        f"{cert.not_valid_before_utc:%Y-%m-%d}",
                         f"valid from {cert.not_valid_before_utc:%Y-%m-%d}, not yet")
            return None
        if self.now > cert.not_valid_after_utc:
            self._refuse(address, path, f"the certificate on file expired on {cert.not_valid_after_utc:%Y-%m-%d}",
                         f"expired on {cert.not_valid_after_utc:%Y-%m-%d}")
            return None
        if address not in addresses_of(cert):
            named = ", ".join(sorted(addresses_of(cert))) or "no address"
            self._refuse(address, path, f"the certificate on file is for another address ({named})",
                         f"the certificate names {named}, not {address}")
            return None
        if not isinstance(cert.public_key(), rsa.RSAPublicKey):
            self._refuse(address, path, "the certificate on file has a non-RSA key, which S/MIME encryption here "
                                        "cannot use", f"its key is {cert.public_key().__class__.__name__.replace('_', '')}, not RSA; "
                                                      f"ask for an RSA certificate")
            return None
        return cert


def addresses_of(cert: x509.Certificate) -> set[str]:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    found = {str(a.value).lower() for a in cert.subject.get_attributes_for_oid(NameOID.EMAIL_ADDRESS)}
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        found |= {name.lower() for name in san.get_values_for_type(x509.RFC822Name)}
    except x509.ExtensionNotFound:
        pass
    return found
