"""``python run.py preview KIND [RECORD]``: one message, rendered for a real record, not sent.

Shows who would receive it, its PHI level and the security the privacy policy would choose (and
why a blocked one is blocked), then the text part; ``--html FILE`` writes the HTML part to look at.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from . import jobs
from .config import Config
from .errors import PracticeOpsError
from .folders import write_whole
from .ledgers import snapshot_ledger
from .messages import contexts, digests
from .messages.certificates import CertificateStore
from .messages.kinds import KINDS as MESSAGE_KINDS
from .messages.kinds import phi_floor, template_names
from .messages.policy import decide
from .messages.render import Rendered, Templates
from .messages.replies import reply_token
from .messages.texts import TextTooLong, fit_text
from .reports import weekly_summary
from .rules.context import RuleContext
from .trackers.records import CANCELLED_STATUSES
from .trackers.values import person_key, text_number

KINDS = {kind.name: kind.record for kind in MESSAGE_KINDS.values()}
"""Each message kind and the record `preview` renders it for (messages.kinds holds both)."""


@dataclass
class Preview:
    kind: str
    to: str
    rendered: Rendered
    security: str
    why_blocked: str

    def as_text(self) -> str:
        blocked = f" ({self.why_blocked})" if self.why_blocked else ""
        return (f"To: {self.to}\nSubject: {self.rendered.subject}\nPHI: {self.rendered.phi}\n"
                f"Security: {self.security}{blocked}\n\n{self.rendered.text}")


def preview(config: Config, kind: str, record: str | None, today: date, now: datetime) -> Preview:
    if kind not in KINDS or kind not in MESSAGE_KINDS:
        raise PracticeOpsError(f"no message kind {kind!r}; kinds: {', '.join(KINDS)}")
    result = jobs.check(config, today)
    if not result.usable:
        raise PracticeOpsError("; ".join(result.unavailable))
    assert result.practice is not None
    ctx = RuleContext(result.practice, config.thresholds(), today)
    to, context, consent, to_client = _addressed(config, ctx, kind, record, result)
    templates = Templates(config.path.parent / "templates")
    if MESSAGE_KINDS[kind].channel == "sms":  # a text: in clear, to a number that consented
        rendered = templates.render_text(kind, phi_floor(kind, config), **template_names(config, kind), **context)
        try:
            fit_text(rendered.text)
        except TextTooLong as exc:
            return Preview(kind, to, rendered, "blocked", str(exc))
        return Preview(kind, to, rendered, "plain" if consent != "none" else "blocked",
                       "" if consent != "none" else "the client has not consented to texts, or the number cannot "
                                                    "take them")
    rendered = templates.render(kind, phi_floor(kind, config), **template_names(config, kind), **context)
    certificates = CertificateStore(config.security.certificates, now)
    security, why = decide(rendered.phi, has_certificate=certificates.for_address(to) is not None,
                           no_certificate=certificates.why_not(to),
                           gateway=bool(config.security.gateway_subject_tag.strip()), consent=consent,
                           to_client=to_client)
    return Preview(kind, to, rendered, security, why)


def _ref(config: Config, appointment_id: str) -> str:
    """The token the session's first reminder carries (the ledger's key, read from a copy of it)."""
    ledger = snapshot_ledger(config.state)
    try:
        return reply_token(ledger.practice_key("replies"), f"{appointment_id}@{max(config.reminders.hours_before)}h")
    finally:
        ledger.close()


def _need(record: str | None, what: str) -> str:
    if not record:
        raise PracticeOpsError(f"say which record: preview KIND {what}")
    return record


def _addressed(config: Config, ctx: RuleContext, kind: str, record: str | None, result: jobs.RunResult):
    """(to, context, consent, to_client) for the kind and its record."""
    findings = result.findings
    if kind == "text_reminder":
        appt = ctx.appointments.get(_need(record, "APPOINTMENT_ID"))
        if appt is None:
            raise PracticeOpsError(f"no appointment {record!r} in the appointments tracker")
        client = ctx.clients.get(appt.client_id)
        number = text_number(client.phone) if client else None
        consented = client is not None and client.sms_consent not in (None, False) and number is not None
        return (number or f"(client {appt.client_id}: no number a text can go to)",
                contexts.text_reminder(config, [appt], ask=config.reminders.ask_to_confirm),
                None if consented else "none", True)
    if kind == "referral_acknowledgment":
        wanted = _need(record, "REFERRAL_ID")
        found = next(((r, seen) for r, seen in contexts.referrals_seen(ctx) if r.referral_id == wanted), None)
        if found is None:
            raise PracticeOpsError(f"no acknowledgment is due for referral {wanted!r}: it goes once a physician's "
                                   f"referral is scheduled, seen and the client's release is on file")
        referral, seen = found
        return (referral.source_email or f"({referral.referred_by or wanted}: no email on file)",
                contexts.referral_acknowledgment(config, referral, seen), None, False)
    if kind == "text_help":
        return "(whoever texts HELP)", contexts.text_help(config), None, True
    if kind == "agency_overview":
        from .agency.overview import practice_preview

        return "(the agency's lead)", practice_preview(config, datetime.combine(ctx.today, time(7), config.zone)), \
            None, False
    if kind in ("appointment_reminder", "intake_forms_reminder", "calendar_invite"):
        appt = ctx.appointments.get(_need(record, "APPOINTMENT_ID"))
        if appt is None:
            raise PracticeOpsError(f"no appointment {record!r} in the appointments tracker")
        client = ctx.clients.get(appt.client_id)
        if kind == "calendar_invite":
            provider = ctx.providers.get(person_key(appt.provider))
            method = "CANCEL" if appt.status in CANCELLED_STATUSES else "REQUEST"
            return (provider.email if provider and provider.email else f"({appt.provider}: no email on file)",
                    contexts.calendar_invite(config, contexts.invite_shown(config, ctx, appt), method), None, False)
        to = client.email if client and client.email else f"(client {appt.client_id}: no email on file)"
        consent = client.email_consent if client else None
        ref = _ref(config, appt.appointment_id) if config.reminders.ask_to_confirm else ""
        context = (contexts.appointment_reminder(config, [appt], ref=ref) if kind == "appointment_reminder"
                   else contexts.intake_forms_reminder(config, appt))
        return to, context, consent, True
    if kind == "balance_notice":
        client = ctx.clients.get(_need(record, "CLIENT_ID"))
        if client is None:
            raise PracticeOpsError(f"no client {record!r} in the clients tracker")
        return client.email or "(no email on file)", contexts.office_only(config), client.email_consent, True
    if kind == "waitlist_opening":
        prospect = next((p for p in ctx.practice.waitlist if p.prospect_id == _need(record, "PROSPECT_ID")), None)
        if prospect is None:
            raise PracticeOpsError(f"no prospect {record!r} in the waitlist tracker")
        return prospect.email or "(no email on file)", contexts.office_only(config), None, False
    if kind == "clinician_digest":
        provider = ctx.providers.get(person_key(_need(record, "PROVIDER")))
        if provider is None:
            raise PracticeOpsError(f"no provider {record!r} in the providers tracker")
        ledger = snapshot_ledger(config.state)
        try:
            asked, confirmed = ledger.asked_appointments(), ledger.confirmed()
        finally:
            ledger.close()
        return (provider.email or "(no email on file)",
                digests.clinician_digest(ctx, provider.provider, findings, asked, confirmed),
                None, False)
    if kind == "billing_escalation":
        return (config.people.billing or "(no billing address)",
                digests.billing_escalation(findings, {}, ctx.today, ctx), None, False)
    if kind == "credentialing_reminder":
        provider = ctx.providers.get(person_key(record)) if record else None
        to = (provider.email if provider else None) or (config.people.va[0] if config.people.va else "(no VA)")
        return to, digests.credentialing_reminder(findings, ctx.today, provider.provider if provider else None), \
            None, False
    if kind == "eap_report":
        from .reports import eap_reports

        report = next((r for r in eap_reports.reports(ctx, findings)
                       if r.authorization_id == _need(record, "AUTHORIZATION_ID")), None)
        if report is None:
            raise PracticeOpsError(f"no EAP report is due for {record!r}")
        return (config.people.va[0] if config.people.va else "(no VA)", contexts.eap_report(
            ctx.today, report.authorization_id, report.vendor, report.due, report.status,
            eap_reports.file_name_of(report)), None, False)
    if kind == "weekly_summary":
        return (config.people.owner or "(no owner address)",
                contexts.weekly_summary(weekly_summary.figures(ctx, findings)), None, False)
    return (config.people.va[0] if config.people.va else "(no VA)",
            jobs.va_note_preview(config, findings, ctx.today, len(result.data_issues)), None, False)


HTML_MARK = b"<!-- practice-ops preview -->"
"""In the first lines of every preview file (after its doctype): the one kind of file ``--html``
writes over."""


def write_html(preview_: Preview, path: Path) -> Path:
    """Owner-only, as the message itself may carry PHI; never through a link planted in its place, and
    never over a file that is not an earlier preview (a tracker, a note)."""
    if not preview_.rendered.html:
        raise PracticeOpsError(f"a {preview_.kind.replace('_', ' ')} is a text message: it has no HTML part to write")
    try:
        doctype, _, rest = preview_.rendered.html.encode("utf-8").partition(b"\n")
        return write_whole(path, doctype + b"\n" + HTML_MARK + b"\n" + rest, ours=lambda old: HTML_MARK in old)
    except OSError as exc:
        raise PracticeOpsError(f"{path}: cannot be written ({exc.strerror or exc})") from None
