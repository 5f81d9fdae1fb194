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


def test_past_its_due_date_the_terminal_says_overdue_as_the_queue_does():
    """After the README's first command on Dec 6 the terminal said "Soon, due Mon Nov 2"."""
    late = Finding("billing.unpaid_followup", "warning", "billing", "Claim CL-5 is unpaid.", refs={"claim": "CL-5"},
                   due=date(2026, 11, 2))
    text = summary([late], [], 0, None, [], today=date(2026, 12, 6))
    assert "Overdue, due Mon Nov 2, Claim unpaid, follow up" in text
    assert "Soon, due Mon Nov 2" in summary([late], [], 0, None, [], today=date(2026, 11, 1))
