"""The `digests` job: the clinicians' morning digests, the billing escalation, the credentialing
reminders and the EAP reports, each its own bulkhead."""

from __future__ import annotations

import tempfile
from functools import partial
from pathlib import Path

from ..folders import inside
from ..messages import contexts
from ..messages import digests as digest_contexts
from ..messages.delivery import Delivery
from ..reports import eap_reports
from ..rules.findings import Finding
from .run_state import RunState


def run(work: RunState) -> None:
    """Four outputs, each its own bulkhead: one that fails (an unwritable folder for the EAP reports)
    is a notice, and the others still go."""
    findings = work.all_findings()
    work.step("clinician digests", lambda w: _clinician_digests(w, findings))
    work.step("billing escalation", lambda w: _billing_escalation(w, findings))
    _eap_reports(work, findings)
    work.step("credentialing reminders", lambda w: _credentialing_reminders(w, findings))
    work.step("referral acknowledgments", _referral_acknowledgments)


def _referral_acknowledgments(work: RunState) -> None:
    """A physician whose referral became a client, now seen, hears so once (limited PHI: that the
    person was seen; encrypted or through the gateway, else the VA faxes or calls)."""
    for referral, seen in contexts.referrals_seen(work.ctx):
        instead = f"fax or call {referral.referred_by or 'the referring office'} to say the person was seen"
        if not referral.source_email:
            work.message_blocked("referral_acknowledgment", referral.referred_by or referral.referral_id,
                                 "no email address for the referring office is on file", "referral acknowledgment",
                                 instead=instead)
            continue
        sent = work.postman.send("referral_acknowledgment", referral.source_email,
                                 contexts.referral_acknowledgment(work.config, referral, seen), key=referral.referral_id)
        if sent.outcome.status == Delivery.BLOCKED:
            work.message_blocked("referral_acknowledgment", referral.source_email, sent.why_blocked,
                                 "referral acknowledgment", instead=instead)


def _clinician_digests(work: RunState, findings: list[Finding]) -> None:
    ctx = work.ctx
    asked, confirmed = work.ledger.asked_appointments(), work.ledger.confirmed()
    for provider in ctx.practice.providers:
        if not provider.email:
            continue
        context = digest_contexts.clinician_digest(ctx, provider.provider, findings, asked, confirmed)
        sent = work.postman.send("clinician_digest", provider.email, context,
                                 key=f"{provider.provider}:{work.today.isoformat()}")
        if sent.outcome.status == Delivery.BLOCKED:
            work.message_blocked("clinician_digest", provider.provider, sent.why_blocked, "morning digest")


def _billing_escalation(work: RunState, findings: list[Finding]) -> None:
    config, ctx = work.config, work.ctx
    first_seen = {fid: state["first_seen"] for fid, state in work.ledger.queue_rows().items()}
    escalation = digest_contexts.billing_escalation(findings, first_seen, work.today, ctx)
    if escalation["items"] and config.people.billing:
        sent = work.postman.send("billing_escalation", config.people.billing, escalation, key=work.today.isoformat())
        if sent.outcome.status == Delivery.BLOCKED:
            work.message_blocked("billing_escalation", "the billing manager", sent.why_blocked, "billing escalation")


def _credentialing_reminders(work: RunState, findings: list[Finding]) -> None:
    config, ctx = work.config, work.ctx
    week = f"{work.today.isocalendar().year}-W{work.today.isocalendar().week:02d}"
    recipients: list[tuple[str, str | None, str]] = [(va, None, "the VA") for va in config.people.va]
    recipients += [(p.email, p.provider, p.provider) for p in ctx.practice.providers if p.email]
    for address, about, who in recipients:
        context = digest_contexts.credentialing_reminder(findings, work.today, about)
        if not context["items"]:
            continue
        sent = work.postman.send("credentialing_reminder", address, context, key=week)
        if sent.outcome.status == Delivery.BLOCKED:
            work.message_blocked("credentialing_reminder", who, sent.why_blocked, "credentialing reminder")


def _eap_reports(work: RunState, findings: list[Finding]) -> None:
    """Each EAP case whose report is due: its workbook, beside the work queue, to the VA encrypted;
    each report its own bulkhead."""
    for report in eap_reports.reports(work.ctx, findings):
        work.step(f"EAP report {report.authorization_id}", partial(_eap_report, report=report))


def _eap_report(work: RunState, report: eap_reports.EapReport) -> None:
    name = eap_reports.file_name_of(report)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) if work.dry_run else work.config.work_queue.path.parent
        path = eap_reports.write(inside(folder, name), report, work.config.practice.name)
        data = path.read_bytes()
    for va in work.config.people.va:
        sent = work.postman.send("eap_report", va, contexts.eap_report(
            work.today, report.authorization_id, report.vendor, report.due, report.status, name),
            key=f"{report.authorization_id}:{report.due}", attachments=((name, data, XLSX),))
        if sent.outcome.status == Delivery.BLOCKED:
            work.message_blocked("eap_report", "the VA", sent.why_blocked, "EAP report")


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
