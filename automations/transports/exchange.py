"""Exchange Server (on premises) through EWS, with exchangelib: the whole MIME message goes as the
item's MimeContent and is sent without a saved copy, so S/MIME and calendar parts travel untouched.

EWS in Exchange Online is being switched off (from 2026-10-01, gone 2027-04-01): Microsoft 365
practices use the `graph` transport. The password comes from the environment variable the config
names. With EWS_EMULATOR_HOST set, the same code talks plain HTTP, unauthenticated, to
http://HOST/EWS/Exchange.asmx: the local stand-in the tests use.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from ..config import ExchangeSettings
from ..emulators import emulator_host
from ..errors import MessageRefused, Throttled, TransportError, TransportSetupError
from ..messages.compose import WIRE
from ..messages.replies import Reply, reply_from_email

RECENT = timedelta(days=14)


class Exchange:
    name = "exchange"

    def __init__(self, settings: ExchangeSettings, default_sender: str):
        self.settings = settings
        self.sender = settings.sender or default_sender
        self._account: Any = None

    def _connect(self):
        from exchangelib import DELEGATE, Account, Configuration, Credentials
        from exchangelib.errors import EWSError, UnauthorizedError
        from exchangelib.errors import TransportError as EwsTransportError
        from exchangelib.transport import NOAUTH
        from exchangelib.version import Build, Version

        emulator = emulator_host("EWS_EMULATOR_HOST")
        online = self.settings.exchange_online
        if online and not emulator:
            raise TransportSetupError(f"exchange: {online} is Exchange Online, whose EWS Microsoft is switching off "
                                 f"(2026-10-01 to 2027-04-01): use transport = \"graph\" for Microsoft 365")
        try:
            if emulator:
                config = Configuration(service_endpoint=f"http://{emulator}/EWS/Exchange.asmx", auth_type=NOAUTH,
                                       version=Version(build=Build(15, 1)))
            else:
                s = self.settings
                password = os.environ.get(s.password_env)
                if not (s.username and password and (s.server or s.service_endpoint)):
                    raise TransportSetupError(f"exchange: set email.exchange.server (or service_endpoint) and username in "
                                         f"the config and the password in the {s.password_env} environment variable")
                credentials = Credentials(s.username, password)
                version = Version(build=Build(15, 1))  # Exchange 2016 or later: no probing request first
                config = (Configuration(service_endpoint=s.service_endpoint, credentials=credentials, version=version)
                          if s.service_endpoint else Configuration(server=s.server, credentials=credentials,
                                                                   version=version))
            return Account(primary_smtp_address=self.sender, config=config, autodiscover=False, access_type=DELEGATE)
        except UnauthorizedError:
            raise TransportSetupError("exchange: the server refused the username and password") from None
        except (EWSError, EwsTransportError, OSError) as exc:
            raise TransportError(f"exchange: cannot connect ({exc.__class__.__name__})") from None

    def send(self, message: EmailMessage) -> None:
        from exchangelib import Message
        from exchangelib.errors import ErrorServerBusy, EWSError, RateLimitError, UnauthorizedError
        from exchangelib.errors import TransportError as EwsTransportError

        if self._account is None:
            self._account = self._connect()
        try:
            Message(account=self._account, mime_content=message.as_bytes(policy=WIRE)).send(save_copy=False)
        except UnauthorizedError:
            raise TransportSetupError("exchange: the server refused the username and password") from None
        except (ErrorServerBusy, RateLimitError) as exc:
            raise Throttled(f"exchange: the server is busy ({exc.__class__.__name__})",
                            retry_after=float(getattr(exc, "back_off", None) or 60)) from None
        except EwsTransportError as exc:
            raise TransportError(f"exchange: the server could not be reached ({exc.__class__.__name__})") from None
        except EWSError as exc:
            raise MessageRefused(f"exchange: the server refused the message ({exc.__class__.__name__})") from None
        except OSError as exc:
            raise TransportError(f"exchange: the server could not be reached ({exc.__class__.__name__})") from None

    def close(self) -> None:
        if self._account is not None:
            self._account.protocol.close()
            self._account = None


class ExchangeInbox(Exchange):
    """Replies from the practice's Exchange Server mailbox (exchangelib): the inbox's messages received
    since the last one read (the ledger keeps its time; a first read looks two weeks back), each read
    whole (its MIME content), never marked read or moved."""

    name = "exchange-inbox"

    def fetch_replies(self, position: dict[str, Any], now: datetime) -> tuple[list[Reply], dict[str, Any]]:
        from exchangelib import EWSDateTime
        from exchangelib.errors import ErrorServerBusy, EWSError, RateLimitError, UnauthorizedError
        from exchangelib.errors import TransportError as EwsTransportError

        if self._account is None:
            self._account = self._connect()
        since = datetime.fromisoformat(position["since"]) if position.get("since") else now - RECENT
        replies, newest = [], position.get("since", "")
        try:
            found = (self._account.inbox.filter(datetime_received__gt=EWSDateTime.from_datetime(since))
                     .only("mime_content", "datetime_received").order_by("datetime_received"))
            for item in found:
                received = item.datetime_received
                if item.mime_content:
                    replies.append(reply_from_email(self.name, str(item.id), bytes(item.mime_content), received))
                if received is not None:
                    newest = max(newest, received.isoformat())
        except UnauthorizedError:
            raise TransportSetupError("exchange: the server refused the username and password") from None
        except (ErrorServerBusy, RateLimitError) as exc:
            raise Throttled(f"exchange: the server is busy ({exc.__class__.__name__})",
                            retry_after=float(getattr(exc, "back_off", None) or 60)) from None
        except (EwsTransportError, OSError) as exc:
            raise TransportError(f"exchange: the server could not be reached ({exc.__class__.__name__})") from None
        except EWSError as exc:
            raise TransportError(f"exchange: the inbox cannot be read ({exc.__class__.__name__})") from None
        return replies, {"since": newest} if newest else position
