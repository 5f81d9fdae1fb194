"""Texts sent and replies handled per second, through the Twilio stand-in (tests/standins/twilio.py)
with the real ``twilio`` library, each beside a reference run in the same process.

    python bench/bench_replies.py [CLIENTS]

Each figure is a run's cost beyond the same run with nothing to do (reading the trackers, the
queue), so it is the per-message cost a practice pays.

- Texts: ``run reminders`` for CLIENTS clients who take texts only (each text rendered, fitted,
  recorded pending in the ledger, handed to Twilio, recorded sent), against the bare library sending
  the same bodies to the same stand-in (``client.messages.create``).
- Replies: ``run replies`` reading CLIENTS answers ("C") and handling each (matched to its reminder,
  confirmed in the ledger, recorded once), against the bare read of the same answers (the
  Messages list through the library, and each read for its intent).
Nothing here waits on a provider's pace: the practice's ``max_per_minute`` is set above the count.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time as clock
from datetime import UTC, date, datetime, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from automations import config as config_module  # noqa: E402
from automations import jobs  # noqa: E402
from automations.config import SmsSettings  # noqa: E402
from automations.messages.replies import what_it_says  # noqa: E402
from automations.transports.twilio import TwilioTexts  # noqa: E402
from tests.conftest import make_workbook  # noqa: E402
from tests.standins.twilio import TwilioStandIn  # noqa: E402

NUMBER = "+15550100199"


def practice(folder: Path, clients: int) -> Path:
    rows = [["Client ID", "Phone", "Text Consent", "Email Consent", "Payer"]]
    appointments = [["Appointment ID", "Client ID", "Provider", "Date", "Time", "Status"]]
    for n in range(clients):
        rows.append([f"C-{n}", f"+1555{2000000 + n:07d}", "Y", "none", "Self-pay"])
        slot = n // 50 % 20   # 50 clinicians, twenty half-hour sessions each from 8:00: nobody double-booked
        appointments.append([f"A-{n}", f"C-{n}", f"Clinician {n % 50}", date(2026, 12, 9 + n // 1000),
                             time(8 + slot // 2, 30 * (slot % 2)), "scheduled"])
    book = make_workbook(folder / "t.xlsx", {"Clients": rows, "Appointments": appointments,
                                             "Providers": [["Provider"], *([f"Clinician {k}"] for k in range(50))]})
    trackers = "".join(f'[trackers.{n}]\npath = "{book.name}"\nsheet = "{s}"\n' for n, s in (
        ("clients", "Clients"), ("providers", "Providers"), ("appointments", "Appointments")))
    config = folder / "practice.toml"
    config.write_text(f'[practice]\nname = "Lakeside"\ntimezone = "America/New_York"\nphone = "555-0100"\n{trackers}'
                      f'[email]\noutbox_dir = "outbox"\n[state]\ndir = "var"\n[work_queue]\npath = "q.xlsx"\n'
                      f'[reminders]\nchannels = ["sms"]\nask_to_confirm = true\n'
                      f'[sms]\nfrom_number = "{NUMBER}"\nmax_per_minute = 6000\n')
    return config


def timed(work) -> float:
    started = clock.perf_counter()
    work()
    return clock.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("clients", type=int, nargs="?", default=300)
    args = parser.parse_args()
    n = args.clients
    with tempfile.TemporaryDirectory() as scratch, TwilioStandIn(number=NUMBER, page_size_cap=1000) as twilio:
        os.environ["TWILIO_EMULATOR_HOST"] = twilio.host
        config = config_module.load(practice(Path(scratch), n))
        now = datetime(2026, 12, 7, 18, 0, tzinfo=config.zone)
        bare = TwilioTexts(SmsSettings(from_number=NUMBER)).client
        body = "Lakeside: reminder of your appointment Wed Dec 9, 9:00 AM. Reply C to confirm or R to reschedule."
        reference = timed(lambda: [bare.messages.create(to=f"+1555{3000000 + i:07d}", from_=NUMBER, body=body)
                                   for i in range(n)])
        jobs.run(config, "reminders", now.date(), now.replace(hour=7))     # the trackers read and kept once
        idle = timed(lambda: jobs.run(config, "reminders", now.date(), now.replace(hour=7, minute=30)))
        sent = timed(lambda: jobs.run(config, "reminders", now.date(), now)) - idle
        texted = sum(1 for m in twilio.sent() if m["to"].startswith("+15552"))
        print(f"texts: {texted} through `run reminders` in {sent:.2f} s beyond a run that sends nothing ({idle:.2f} s): "
              f"{texted / sent:.0f} a second; the bare library {n} in {reference:.2f} s ({n / reference:.0f} a second): "
              f"{sent / reference:.2f}x")
        for i in range(n):
            twilio.client_texts(f"+1555{2000000 + i:07d}", "C", at=datetime(2026, 12, 7, 20, 0, tzinfo=UTC))
        reader = TwilioTexts(SmsSettings(from_number=NUMBER))
        later = datetime(2026, 12, 7, 16, 0, tzinfo=config.zone)
        reference = timed(lambda: [what_it_says(r) for r in reader.fetch_replies({}, later)[0]])
        handled = timed(lambda: jobs.run(config, "replies", later.date(), later))
        again = timed(lambda: jobs.run(config, "replies", later.date(), later))     # the same replies: none new
        print(f"replies: {n} handled by `run replies` in {handled - again:.2f} s beyond a run with none new "
              f"({again:.2f} s): {n / (handled - again):.0f} a second; read and parsed alone in {reference:.2f} s: "
              f"{(handled - again) / reference:.1f}x (each handled reply is two flushed ledger writes: the "
              f"confirmation and the reply's record)")


if __name__ == "__main__":
    main()
