import subprocess
import sys
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest
from cryptography import x509

from automations.messages.certificates import CertificateStore
from automations.messages.compose import compose
from automations.messages.render import Templates
from automations.messages.smime import load_signer, seal
from tests.pki import make_identity, openssl_decrypt

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
CONTEXT = dict(practice_name="Lakeside", today="2026-11-26", open=3, by_owner=[("va", 3)], urgent=1, overdue=0,
               data_issues=0, queue_name="q.xlsx", resolved=0, link="")


def message(to="ann@lakeside.example", calendar=None):
    return compose(Templates().render("va_work_queue", **CONTEXT), sender="Office <o@lakeside.example>", to=to,
                   msg_id="<m1@lakeside.example>", now=NOW, calendar=calendar)


def test_an_encrypted_message_decrypts_with_openssl_and_keeps_both_parts(tmp_path):
    cert_path, key_path = make_identity(tmp_path, "ann@lakeside.example")
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    sealed = seal(message(calendar=("BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n", "REQUEST")), cert)
    assert sealed.get_content_type() == "application/pkcs7-mime"
    assert sealed["Subject"] == "Lakeside: your work queue for Thu Nov 26" and sealed["Message-ID"] == "<m1@lakeside.example>"
    eml = tmp_path / "m.eml"
    eml.write_bytes(sealed.as_bytes())
    assert b"work queue has" not in eml.read_bytes()
    inner = message_from_bytes(openssl_decrypt(eml, cert_path, key_path), policy=policy.default)
    assert [p.get_content_type() for p in inner.iter_parts()] == ["text/plain", "text/html", "text/calendar"]
    assert "3 open items" in inner.get_body(("plain",)).get_content()
    printed = subprocess.run(["openssl", "cms", "-cmsout", "-print", "-in", str(eml)], capture_output=True, text=True)
    assert "aes-256-cbc" in printed.stdout


def test_attachments_survive_encryption(tmp_path):
    cert_path, key_path = make_identity(tmp_path, "ann@lakeside.example")
    workbook = bytes(range(256)) * 40
    plain = compose(Templates().render("va_work_queue", **CONTEXT), sender="o@lakeside.example",
                    to="ann@lakeside.example", msg_id="<m2@lakeside.example>", now=NOW,
                    attachments=(("summary.xlsx", workbook,
                                  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),))
    eml = tmp_path / "m.eml"
    eml.write_bytes(seal(plain, x509.load_pem_x509_certificate(cert_path.read_bytes())).as_bytes())
    inner = message_from_bytes(openssl_decrypt(eml, cert_path, key_path), policy=policy.default)
    attachment = next(inner.iter_attachments())
    assert attachment.get_filename() == "summary.xlsx" and attachment.get_content() == workbook
    assert inner.get_body(("plain",)) is not None and inner.get_body(("html",)) is not None


def test_a_signed_then_encrypted_message_verifies(tmp_path):
    practice_cert, practice_key = make_identity(tmp_path, "o@lakeside.example")
    cert_path, key_path = make_identity(tmp_path, "ann@lakeside.example")
    signer, problem = load_signer(practice_cert, practice_key, "NO_SUCH_ENV")
    assert problem is None
    sealed = seal(message(), x509.load_pem_x509_certificate(cert_path.read_bytes()), signer)
    eml = tmp_path / "m.eml"
    eml.write_bytes(sealed.as_bytes())
    signed = tmp_path / "signed.eml"
    signed.write_bytes(openssl_decrypt(eml, cert_path, key_path))
    verified = subprocess.run(["openssl", "cms", "-verify", "-in", str(signed), "-CAfile", str(practice_cert),
                               "-purpose", "any"], capture_output=True)
    assert verified.returncode == 0, verified.stderr
    assert b"3 open items" in verified.stdout


def test_certificates_are_used_only_when_valid_and_for_their_address(tmp_path):
    certs = tmp_path / "certs"
    make_identity(tmp_path / "k", "good@x.example", certs_dir=certs)
    make_identity(tmp_path / "k", "old@x.example", valid_from=NOW - timedelta(days=400), days=300, certs_dir=certs)
    make_identity(tmp_path / "k", "wrong@x.example", cert_name="someone.else@x.example", certs_dir=certs)
    (certs / "junk@x.example.pem").write_text("not a certificate")
    store = CertificateStore(certs, NOW)
    assert store.for_address("GOOD@x.example") is not None
    assert store.for_address("old@x.example") is None
    assert store.for_address("wrong@x.example") is None
    assert store.for_address("junk@x.example") is None
    assert store.for_address("nobody@x.example") is None
    problems = "\n".join(store.problems)
    assert "old@x.example.pem: expired on" in problems and "; not used" in problems
    assert "names someone.else@x.example, not wrong@x.example" in problems
    assert "junk@x.example.pem: not a readable PEM certificate" in problems


def test_an_ec_recipient_certificate_is_not_used_and_says_why(tmp_path):
    make_identity(tmp_path / "keys", "ec@x.example", certs_dir=tmp_path / "certs", key_type="ec")
    store = CertificateStore(tmp_path / "certs", NOW)
    assert store.for_address("ec@x.example") is None
    assert "non-RSA" in store.why_not("ec@x.example") and "not RSA" in " ".join(store.problems)


def test_a_certificate_not_yet_valid_says_when_it_starts(tmp_path):
    make_identity(tmp_path / "keys", "soon@x.example", certs_dir=tmp_path / "certs",
                  valid_from=NOW + timedelta(days=10))
    assert "not valid until" in CertificateStore(tmp_path / "certs", NOW).why_not("soon@x.example")


def test_a_signing_certificate_that_does_not_match_its_key_is_a_notice_not_a_crash(tmp_path):
    cert, _ = make_identity(tmp_path / "a", "office@x.example")
    _, other_key = make_identity(tmp_path / "b", "office@x.example")
    signer, problem = load_signer(cert, other_key, "NO_SUCH_ENV", NOW)
    assert signer is None and "does not match" in problem and "unsigned" in problem


def test_an_unreadable_signing_key_is_a_notice_not_a_crash(tmp_path):
    cert, key = make_identity(tmp_path / "a", "office@x.example")
    key.write_text("not a key")
    signer, problem = load_signer(cert, key, "NO_SUCH_ENV", NOW)
    assert signer is None and "cannot be loaded" in problem and "not a key" not in problem


def test_the_practices_own_copy_decrypts_with_the_practices_key_and_the_recipients_too(tmp_path):
    practice_cert, practice_key = make_identity(tmp_path / "p", "o@lakeside.example")
    cert_path, key_path = make_identity(tmp_path / "a", "ann@lakeside.example")
    signer, _ = load_signer(practice_cert, practice_key, "NO_SUCH_ENV")
    sealed = seal(message(), x509.load_pem_x509_certificate(cert_path.read_bytes()), signer, also=signer.cert)
    eml = tmp_path / "m.eml"
    eml.write_bytes(sealed.as_bytes())
    for cert, key in ((cert_path, key_path), (practice_cert, practice_key)):
        assert b"multipart/signed" in openssl_decrypt(eml, cert, key)
    other_cert, other_key = make_identity(tmp_path / "o", "eve@elsewhere.example")
    refused = subprocess.run(["openssl", "cms", "-decrypt", "-in", str(eml), "-recip", str(other_cert), "-inkey",
                              str(other_key)], capture_output=True, timeout=60)
    assert refused.returncode != 0


@pytest.mark.timeout(60)
def test_the_command_line_loads_cryptography_only_to_seal_or_read_a_certificate(tmp_path):
    """13 MB a run that seals nothing never holds, and one that does holds only after the parse."""
    script = ("import sys; from datetime import datetime; from pathlib import Path; import automations.cli\n"
              "from automations.messages.certificates import CertificateStore\n"
              "store = CertificateStore(Path(sys.argv[1]), datetime(2026, 11, 26))\n"
              "before = 'cryptography' in sys.modules; store.for_address('nobody@practice.example')\n"
              "print(before, 'cryptography' in sys.modules)")
    (tmp_path / "nobody@practice.example.pem").write_text("not a certificate")
    shown = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert shown.stdout.split() == ["False", "True"], shown.stderr
