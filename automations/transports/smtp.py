"""SMTP delivery with smtplib: STARTTLS, implicit TLS, or none (loopback relays only).

The password comes from the environment variable named by ``password_env``, never the config.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from email.message import EmailMessage

from ..config import SmtpSettings
from ..errors import MessageRefused, TransportError, TransportSetupError


class Smtp:
    name = "smtp"

    def __init__(self, settings: SmtpSettings):
        self.settings = settings
        self._client: smtplib.SMTP | None = None

    def _tls(self) -> ssl.SSLContext:
        """The system's trusted CAs, or the bundle the config names; certificates are always checked."""
        return ssl.create_default_context(cafile=self.settings.ca_bundle or None)

    def _connect(self) -> smtplib.SMTP:
        """Connect, secure and log in. What goes wrong is judged by the step it went wrong in: a
        connection that fails is passing; TLS that fails, or a login the server refuses (some servers
        just hang up), is the set-up, and nothing will go until a person fixes it."""
        s = self.settings
        where = f"smtp {s.host}:{s.port}"
        step = "connect"
        try:
            client: smtplib.SMTP
            if s.security == "ssl":
                step = "tls"
                client = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout_seconds, context=self._tls())
            else:
                client = smtplib.SMTP(s.host, s.port, timeout=s.timeout_seconds)
                if s.security == "starttls":
                    step = "tls"
                    client.starttls(context=self._tls())
            if s.username:
                password = os.environ.get(s.password_env)
                if password is None:
                    raise TransportSetupError(f"smtp: set the {s.password_env} environment variable to the password "
                                         f"of {s.username}")
                step = "login"
                client.login(s.username, password)
        except TransportError:
            raise
        except (OSError, smtplib.SMTPException) as exc:
            if step == "login":
                code = getattr(exc, "smtp_code", None)
                raise TransportSetupError(f"{where}: the server refused the login for {s.username}"
                                     f"{f' ({code})' if code else f' ({exc.__class__.__name__})'}; check the "
                                     f"username and {s.password_env}") from None
            if step == "tls" and isinstance(exc, (ssl.SSLError, smtplib.SMTPNotSupportedError)):
                raise TransportSetupError(f"{where}: TLS failed ({exc.__class__.__name__}); check email.smtp.security, "
                                     f"port and ca_bundle") from None
            raise TransportError(f"{where}: cannot connect ({exc.__class__.__name__})") from None
        return client

    def send(self, message: EmailMessage) -> None:
        if self._client is None:
            self._client = self._connect()
        try:
            refused = self._client.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            failure = MessageRefused if all(500 <= code < 600 for code in codes) else TransportError
            raise failure(f"smtp: the server refused the recipient ({', '.join(map(str, codes))})") from None
        except smtplib.SMTPSenderRefused as exc:
            failure = TransportSetupError if exc.smtp_code >= 500 else TransportError
            raise failure(f"smtp: the server refused the sender address ({exc.smtp_code}); check [email] from") \
                from None
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code >= 500:
                raise MessageRefused(f"smtp: the server refused the message ({exc.smtp_code})") from None
            self._client = None
            raise TransportError(f"smtp: the server deferred the message ({exc.smtp_code})") from None
        except (OSError, smtplib.SMTPException) as exc:
            self._client = None
            raise TransportError(f"smtp {self.settings.host}:{self.settings.port}: not accepted: {exc}") from None
        if refused:
            raise MessageRefused(f"smtp: refused recipients: {len(refused)}")

    def close(self) -> None:
        if self._client is not None:
            try:
                self._client.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self._client = None
