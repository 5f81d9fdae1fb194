"""Look at what people see: every sheet of the VA's work queue, the owner's weekly summary and the
compliance binder as LibreOffice prints them (every page, at a resolution text can be read at), and
every message kind as a phone (390 px) and a desktop (1000 px) show it.

    python tools/pictures.py [OUT_FOLDER]        # default: workbooks/out/pictures

Needs Debian's libreoffice-calc-nogui, chromium and poppler-utils (pdftoppm). It runs the sample
practice in a scratch copy, so nothing in the repository changes. The tests check structure
(columns, widths, charts, viewport); these pictures are for a person to look at.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EMAILS = (("appointment_reminder", "A-3032"), ("calendar_invite", "A-3032"), ("intake_forms_reminder", "A-3032"),
          ("balance_notice", "C-119"), ("waitlist_opening", "W-201"), ("clinician_digest", "Maya Chen"),
          ("billing_escalation", None), ("credentialing_reminder", None), ("weekly_summary", None),
          ("eap_report", "EAP-113"), ("va_work_queue", None), ("referral_acknowledgment", "R-1"),
          ("agency_overview", None))
"""Every message kind, each for a record of the sample practice."""
WIDTHS = (390, 1000)
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars")


def run(*args: str, cwd: Path = ROOT) -> None:
    """Run a step; one that fails says what it said, not only that it failed."""
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args[:4])} ... failed:\n{done.stderr or done.stdout}")


def workbook_pictures(workbook: Path, out: Path) -> list[Path]:
    with tempfile.TemporaryDirectory() as profile:
        run("soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf", "--outdir",
            str(out), str(workbook))
    pdf = out / (workbook.stem + ".pdf")
    run("pdftoppm", "-png", "-r", "110", str(pdf), str(out / workbook.stem))
    return sorted(out.glob(f"{workbook.stem}*.png"))


def email_pictures(practice: Path, out: Path) -> list[Path]:
    made = []
    for kind, record in EMAILS:
        html = out / f"{kind}.html"
        run(sys.executable, str(ROOT / "run.py"), "--config", str(practice / "config" / "practice.toml"), "preview",
            kind, *([record] if record else []), "--html", str(html), "--today", "2026-11-26")
        for width in WIDTHS:
            png = out / f"{kind}-{width}.png"
            with tempfile.TemporaryDirectory() as profile:
                run(shutil.which("chromium") or "chromium", *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                    f"--window-size={width},1400", f"--screenshot={png}", html.as_uri())
            made.append(png)
    return made


def grouped_queue(folder: Path) -> Path:
    """A work queue where one problem has more open rows than the Work queue shows: its More open
    and By problem sheets, as a large practice's VA sees them."""
    sys.path.insert(0, str(ROOT))
    from automations.ledger import Ledger
    from automations.reports.queue_sheets import GROUP_AT
    from automations.reports.work_queue import update_work_queue
    from automations.rules.findings import Finding

    today = date(2026, 11, 26)
    many = [Finding("billing.unbilled_session", "urgent" if n % 10 == 0 else "warning", "billing",
                    f"Session A-{n:04d} on 2026-08-{1 + n % 28:02d} (Maya Chen, Aetna) was completed {60 + n % 30} "
                    f"days ago and has no claim. Bill it: Aetna's filing limit is 2026-12-{1 + n % 28:02d}.",
                    refs={"appointment": f"A-{n:04d}"}, due=today + timedelta(days=n % 40))
            for n in range(GROUP_AT + 30)]
    few = [Finding("credentialing.caqh_attestation_due", "warning", "va", f"P-{n}'s CAQH attestation is due.",
                   refs={"provider": f"P-{n}"}, due=today) for n in range(3)]
    ledger = Ledger(folder / "state")
    try:
        update_work_queue(folder / "grouped-work-queue.xlsx", [*many, *few], today, ledger)
    finally:
        ledger.close()
    return folder / "grouped-work-queue.xlsx"


def agency_overview(folder: Path) -> Path:
    """An agency of three sample practices, one with a tracker gone: the lead's overview workbook."""
    sys.path.insert(0, str(ROOT))
    from datetime import datetime

    from automations import agency
    from automations.agency.settings import load_agency
    from automations.sample_practice import write_agency

    path = write_agency(folder / "agency", 3)
    (folder / "agency" / "practice-003" / "workbooks" / "billing.xlsx").unlink()
    group = load_agency(path)
    agency.run(group, "all", None, datetime.fromisoformat("2026-11-26T09:00:00-05:00"), lambda _: None)
    done = agency.run(group, "overview", None, datetime.fromisoformat("2026-11-27T07:00:00-05:00"), lambda _: None)
    return Path(done[0]["workbook"])


def main(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        practice = Path(scratch) / "practice"
        for part in ("config", "workbooks/sample", "templates"):  # the committed files, not a run's audit head
            shutil.copytree(ROOT / part, practice / part, ignore=shutil.ignore_patterns(".practice-ops-audit-head*"))
        config = str(practice / "config" / "practice.toml")
        run(sys.executable, str(ROOT / "run.py"), "--config", config, "run", "all", "--today", "2026-11-30", "--quiet")
        run(sys.executable, str(ROOT / "run.py"), "--config", config, "audit", "binder", "--today", "2026-11-30")
        books = practice / "workbooks" / "out"
        pictures = workbook_pictures(books / "work-queue.xlsx", out)
        pictures += workbook_pictures(next(books.glob("weekly-summary-*.xlsx")), out)
        pictures += workbook_pictures(next(books.glob("compliance-binder-*.xlsx")), out)
        pictures += email_pictures(practice, out)
        pictures += workbook_pictures(grouped_queue(Path(scratch)), out)
        pictures += workbook_pictures(agency_overview(Path(scratch)), out)
    return pictures


if __name__ == "__main__":
    for picture in main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "workbooks" / "out" / "pictures"):
        print(picture)
