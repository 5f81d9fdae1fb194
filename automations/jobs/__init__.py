"""The named jobs. The CLI and the scheduler call ``check`` and ``run``; nothing else.

- ``reconcile``: the rules, the VA's work queue, and the VA's PHI-free morning note;
- ``reminders``: everything addressed to clients (appointment reminders, intake-form reminders,
  balance notices, waitlist openings the VA approved), inside the sending hours, and the
  providers' calendar invitations;
- ``digests``: clinicians' morning digests, the billing escalation, credentialing reminders;
- ``weekly-summary``: the owner's workbook for the last full week (sent once a week);
- ``all``: the four, reading the trackers once.

Every run ends by refreshing the work queue, so a message that could not go (a blocked reminder,
a digest with no secure channel) reaches the VA as a finding.
"""

from .audit import compliance_binder, verify_audit
from .check import bulk_work, check, tracker_cache
from .result import RunResult
from .run_state import STEP_LOG, va_note_preview
from .runner import JOBS, resolve_clock, run

__all__ = ["JOBS", "STEP_LOG", "RunResult", "bulk_work", "check", "compliance_binder", "resolve_clock", "run",
           "tracker_cache", "va_note_preview", "verify_audit"]
