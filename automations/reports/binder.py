"""The compliance binder (`python run.py audit binder`): the papers a practice shows an auditor,
in one workbook: business associate agreements, privacy-notice, release and consent coverage, the
disclosure log (what left the practice, by month and channel) and what is missing or expiring."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

from ..messages.kinds import CHANNEL_NAMES, kind_title
from ..rules.catalogue import problem_of
from ..rules.compliance import is_active
from ..rules.context import RuleContext
from ..rules.findings import OWNER_NAMES, Finding
from .workbooks import PEOPLES_DATE, detail_sheet, print_like_the_rest, save_atomically, titled_book

CHANNELS = ("smime", "gateway", "plain", "blocked")


def write(path: Path, ctx: RuleContext, findings: list[Finding], disclosures: list[tuple[str, str, str, str]],
          practice_name: str) -> Path:
    """``disclosures``: (queued_at, kind, security, status) of every message the ledger holds."""
    from openpyxl.styles import Alignment  # only when the binder is written: most runs never load openpyxl

    book, cover, rows = titled_book("Binder", f"{practice_name}: compliance binder as of {ctx.today:%B} "
                                              f"{ctx.today.day}, {ctx.today.year}")
    rows.append([])
    active = [c for c in ctx.practice.clients if is_active(c.status)]

    def coverage(label: str, have: int, of: int) -> None:
        at = rows.append([label, f"{have} of {of}", have / of if of else None], {3: "0%"})
        cover.cell(at, 2).alignment = Alignment(horizontal="right")  # "3 of 127" over its share, not adrift

    coverage("Active clients with the privacy notice acknowledged", sum(1 for c in active if c.privacy_notice_ack),
             len(active))
    coverage("Active clients with consent to treatment", sum(1 for c in active if c.consent_to_treat), len(active))
    remote = {a.client_id for a in ctx.live_appointments if a.modality in ("video", "phone")}
    coverage("Clients seen remotely with telehealth consent", sum(1 for c in active if c.client_id in remote
                                                                 and c.telehealth_consent), len(remote))
    baas = [i for i in ctx.practice.compliance if i.item == "baa"]
    coverage("Vendors with a BAA in force", sum(1 for b in baas if b.expires_on is None or b.expires_on >= ctx.today),
             len(baas))
    sent = [d for d in disclosures if d[3] == "sent"]
    coverage("Messages sent encrypted (S/MIME or gateway)", sum(1 for d in sent if d[2] in ("smime", "gateway")),
             len(sent))
    heading = cover["A1"].value
    cover.column_dimensions["A"].width = max(60, 1.4 * len(heading) - 24)  # the 14-point title whole over A to C
    cover.column_dimensions["B"].width, cover.column_dimensions["C"].width = 14, 10
    print_like_the_rest(cover, landscape=False, header=False)

    detail_sheet(book, "BAAs", ["Vendor", "Signed", "Expires", "Status", "Days left"],
           [[b.party, b.signed_on, b.expires_on, b.status or "", (b.expires_on - ctx.today).days if b.expires_on
             else None] for b in baas], {2: PEOPLES_DATE, 3: PEOPLES_DATE})
    detail_sheet(book, "Releases", ["Client", "Released to", "Signed", "Expires", "Status"],
           [[r.client_id, r.party, r.signed_on, r.expires_on, r.status or ""] for r in ctx.practice.compliance
            if r.item == "roi"], {3: PEOPLES_DATE, 4: PEOPLES_DATE})
    detail_sheet(book, "Privacy notice", ["Client", "Acknowledged"],
           [[c.client_id, "yes" if c.privacy_notice_ack else "missing"] for c in active], {})
    age = ctx.thresholds.age_of_consent
    detail_sheet(book, "Consent", ["Client", "Consent to treatment", "Telehealth consent",
                                   f"Guardian consent (under {age})"],
           [[c.client_id, _yes(c.consent_to_treat), _yes(c.telehealth_consent) if c.client_id in remote else "n/a",
             _yes(c.guardian_consent) if _minor(c, ctx.today, age) else "n/a"] for c in active], {})
    months: Counter = Counter((d[0][:7], d[2]) for d in disclosures)
    detail_sheet(book, "Disclosure log", ["Month", *(CHANNEL_NAMES[c] for c in CHANNELS), "Total"],
           [[_month_name(month), *(months[(month, c)] for c in CHANNELS), sum(months[(month, c)] for c in CHANNELS)]
            for month in sorted({m for m, _ in months})], {})
    kinds: Counter = Counter((d[1], d[2]) for d in disclosures)
    detail_sheet(book, "By message kind", ["Kind", *(CHANNEL_NAMES[c] for c in CHANNELS)],
           [[kind_title(kind), *(kinds[(kind, c)] for c in CHANNELS)] for kind in sorted({k for k, _ in kinds})],
           {})
    due = [f for f in findings if f.rule.startswith("compliance.") or f.rule in ("credentialing.license_expiring",
                                                                                 "credentialing.malpractice_expiring")]
    detail_sheet(book, "Missing or expiring", ["Due", "Problem", "For", "What to do"],
           [[f.due, problem_of(f), OWNER_NAMES[f.owner], f.message] for f in sorted(
               due, key=lambda f: f.due or date.max)], {1: PEOPLES_DATE}, wrap=4)
    return save_atomically(book, path, "compliance binder")


def _minor(client, today: date, age_of_consent: int) -> bool:
    """Under the age of consent today: the one client whose guardian's consent is asked for (a birth
    date not on file, or in the future, asks for none: the rules say what is missing)."""
    from ..rules.compliance import age_on

    born = client.date_of_birth
    return born is not None and born <= today and age_on(born, today) < age_of_consent


def _yes(value: object) -> str:
    return "n/a" if repr(value) == "N/A" else "yes" if value else "missing"


def _month_name(month: str) -> str:
    """`2026-11` as a person writes it: `Nov 2026`."""
    return f"{date.fromisoformat(month + '-01'):%b %Y}"
