"""What the terminal says after a run: in the practice's words, never a rule id, a status code or an
ISO date."""

import re
from datetime import date

from automations.reports.console import summary
from automations.rules.findings import Finding

TODAY = date(2026, 11, 26)


def test_the_terminal_summary_reads_as_words():
    findings = [Finding("billing.no_show_billed", "urgent", "billing", "Claim CL-1 bills a no-show.",
                        refs={"claim": "CL-1"}, due=TODAY),
                Finding("scheduling.waitlist_match", "info", "va", "Prospect W-1 fits Ann Lee.", refs={"prospect": "W-1"})]
    messages = [{"status": "already_sent"}] * 105 + [{"status": "sent"}, {"status": "blocked"}]
    text = summary(findings, messages, 0, "queue.xlsx", [])
    assert "105 sent before (not again)" in text and "1 not sent (no secure way)" in text
    assert "No-show billed to insurance" in text and "Front desk" in text and "Billing" in text
    assert "billing.no_show_billed" not in text and "already_sent" not in text
    assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", text) and "Thu Nov 26" in text
