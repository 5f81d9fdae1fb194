"""Every message kind: a text and an HTML part, a declared PHI level, HTML that mail clients show
as meant (inline CSS, table layout, nothing fetched from the internet)."""

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from automations import config as config_module
from automations.messages.kinds import KINDS as MESSAGE_KINDS
from automations.messages.render import BUILTIN_TEMPLATES
from automations.preview import KINDS, preview
from tests.conftest import ROOT

RECORDS = {"appointment_reminder": "A-3032", "intake_forms_reminder": "A-3032", "calendar_invite": "A-3032",
           "balance_notice": "C-119", "waitlist_opening": "W-201", "clinician_digest": "Maya Chen",
           "credentialing_reminder": None, "billing_escalation": None, "va_work_queue": None, "weekly_summary": None,
           "eap_report": "EAP-113", "text_reminder": "A-3032", "text_help": None,
           "referral_acknowledgment": "R-1", "agency_overview": None}
PHI = {"appointment_reminder": "limited", "intake_forms_reminder": "limited", "calendar_invite": "none",
       "balance_notice": "limited", "waitlist_opening": "limited", "clinician_digest": "full",
       "credentialing_reminder": "full", "billing_escalation": "full", "va_work_queue": "none",
       "weekly_summary": "full", "eap_report": "full", "text_reminder": "limited", "text_help": "none",
       "referral_acknowledgment": "limited", "agency_overview": "none"}
EMAILS = sorted(kind for kind in KINDS if MESSAGE_KINDS[kind].channel == "email")
TEXTS = sorted(kind for kind in KINDS if MESSAGE_KINDS[kind].channel == "sms")


@pytest.fixture(scope="module")
def rendered():
    cfg = config_module.load(ROOT / "config" / "practice.toml")
    now = datetime(2026, 11, 26, 9, tzinfo=ZoneInfo("America/New_York"))
    return {kind: preview(cfg, kind, RECORDS[kind], date(2026, 11, 26), now).rendered for kind in KINDS}


def test_every_kind_has_both_templates_and_the_catalogues_phi_level(rendered):
    assert set(RECORDS) == set(KINDS)
    for kind in EMAILS:
        assert (BUILTIN_TEMPLATES / f"{kind}.txt.j2").exists() and (BUILTIN_TEMPLATES / f"{kind}.html.j2").exists()
        assert rendered[kind].phi == PHI[kind], kind
        assert rendered[kind].text.strip() and rendered[kind].subject
    for kind in TEXTS:  # one short template, no subject, no HTML
        assert (BUILTIN_TEMPLATES / f"{kind}.txt.j2").exists() and not (BUILTIN_TEMPLATES / f"{kind}.html.j2").exists()
        assert rendered[kind].phi == PHI[kind] and rendered[kind].text.strip() and not rendered[kind].html, kind


def test_texts_name_the_practice_fit_one_segment_and_never_ask_for_stop_or_cancel(rendered):
    from automations.messages.texts import fit_text

    reminder = rendered["text_reminder"].text
    assert reminder.startswith("Riverbend Counseling: ") and fit_text(reminder) == reminder
    assert len(reminder) <= 160 and "STOP" not in reminder.upper() and "CANCEL" not in reminder.upper()
    assert "Riverbend Counseling" in rendered["text_help"].text and "(555) 010-0199" in rendered["text_help"].text


@pytest.mark.parametrize("kind", EMAILS)
def test_html_reads_well_in_mail_clients(rendered, kind):
    html = rendered[kind].html
    assert html.startswith("<!DOCTYPE html>")
    assert "<style" not in html and "<link" not in html and "<script" not in html
    assert not re.search(r"<img[^>]+src=[\"']https?:", html)
    assert 'role="presentation"' in html
    assert "class=" not in html                       # inline CSS only
    assert "{{" not in html and "{%" not in html


def test_limited_and_none_messages_name_no_client(rendered):
    for kind, level in PHI.items():
        if level == "full":
            continue
        for text in (rendered[kind].text, rendered[kind].html, rendered[kind].subject):
            assert "Mbeki" not in text and "Taylor" not in text, kind


def test_the_phi_table_in_code_is_domain_mds():
    from automations.messages.kinds import KINDS as MESSAGE_KINDS

    assert {kind: k.phi for kind, k in MESSAGE_KINDS.items()} == PHI


def test_limited_messages_name_no_client_but_invites_name_none_at_all(rendered):
    text = rendered["calendar_invite"].text + rendered["calendar_invite"].subject
    assert "C-" not in text and "Session" in text


def test_every_sample_context_has_the_shape_the_real_builders_give(rendered):
    """check renders a practice's templates with these; they must offer what a real message offers."""
    from automations import jobs
    from automations.messages.kinds import sample_context
    from automations.preview import _addressed
    from automations.rules.context import RuleContext

    cfg = config_module.load(ROOT / "config" / "practice.toml")
    result = jobs.check(cfg, date(2026, 11, 26))
    ctx = RuleContext(result.practice, cfg.thresholds(), date(2026, 11, 26))
    for kind in KINDS:
        real = _addressed(cfg, ctx, kind, RECORDS[kind], result)[1]
        real.pop("practice_name", None)
        assert set(sample_context(kind)) == set(real), kind


def test_every_builtin_template_renders_with_its_sample_context():
    from automations.messages.kinds import sample_context
    from automations.messages.render import Templates

    for kind in KINDS:
        render = Templates().render_text if kind in TEXTS else Templates().render
        render(kind, practice_name="P", sender_name="P", **sample_context(kind))


def test_check_reports_a_broken_override_and_one_that_lowers_phi(tmp_path):
    from automations.messages.kinds import check_overrides

    cfg = config_module.load(ROOT / "config" / "practice.toml").model_copy(update={"path": tmp_path / "p.toml"})
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "balance_notice.txt.j2").write_text('{% set phi = "none" %}{% set subject = "x" %}Hi')
    (tmp_path / "templates" / "appointment_reminder.txt.j2").write_text(
        '{% set phi = "limited" %}{% set subject = "x" %}{{ sessions[0].nope.deeper }}')
    problems = check_overrides(cfg)
    assert any("balance_notice.txt.j2" in p and "protected as such" in p for p in problems)
    assert any("appointment_reminder.txt.j2" in p and "blocked until it is fixed" in p for p in problems)


@pytest.mark.parametrize("kind", EMAILS)
def test_emails_are_fluid_for_a_phone(rendered, kind):
    """Readable at 390 px: a viewport, no fixed widths beyond the 600 px cap, long words wrap."""
    html = rendered[kind].html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "max-width:600px" in html
    assert not re.search(r'width="[1-9]\d*"', html) and not re.search(r"(?<!max-)width:\s*[1-9]\d*px", html)


def test_the_billing_escalation_is_grouped_by_problem_with_the_claims_records(rendered):
    text = rendered["billing_escalation"].text
    assert re.search(r"== [A-Z][a-z].* \(\d+\) ==", text)
    assert "date of service" in text and "payer " in text and "billed $" in text


@pytest.mark.parametrize(("phone", "portal", "way"), [
    ("(555) 010-0199", "", "Please call us at (555) 010-0199 to"),
    ("", "https://portal.example", "Please log in to the client portal (https://portal.example) to"),
    ("(555) 010-0199", "https://portal.example", "portal (https://portal.example) or call us at (555) 010-0199 to")])
def test_the_balance_notice_offers_only_the_ways_the_practice_has(phone, portal, way):
    from automations.messages.render import Templates

    shown = Templates().render("balance_notice", practice_name="Lakeside", sender_name="Lakeside",
                               office_phone=phone, portal_url=portal)
    assert way in shown.text and ("portal" in shown.html) == bool(portal)
