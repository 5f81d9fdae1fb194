from pathlib import Path

import pytest

from automations import config as config_module
from automations.errors import ConfigError
from tests.conftest import MINIMAL, make_workbook, write_config


def problems_of(path) -> list[str]:
    """Every problem `check` reports: the config's own and its files' (setup_check.load_config)."""
    from automations.setup_check import load_config

    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return caught.value.problems


def test_the_sample_practice_config_is_valid():
    cfg = config_module.load("config/practice.toml")
    assert cfg.practice.name == "Riverbend Counseling"
    assert cfg.trackers["appointments"].path.name == "tracker.xlsx" and cfg.trackers["appointments"].path.is_absolute()


def test_relative_paths_resolve_against_the_config_folder(minimal_practice, tmp_path):
    cfg = config_module.load(minimal_practice)
    assert cfg.email.outbox_dir == tmp_path / "outbox"
    assert cfg.state.dir == tmp_path / "var"
    assert cfg.work_queue.path == tmp_path / "out" / "work-queue.xlsx"


def test_unknown_keys_get_a_did_you_mean(minimal_practice):
    text = minimal_practice.read_text().replace("[email]", "[email]\ntransprot = \"smtp\"")
    text = text.replace('name = "Test Practice"', 'name = "Test Practice"\ntimzone = "UTC"')
    minimal_practice.write_text(text)
    assert problems_of(minimal_practice) == [
        f"{minimal_practice}: practice.timzone: unknown key (did you mean practice.timezone?)",
        f"{minimal_practice}: email.transprot: unknown key (did you mean email.transport?)",
    ]


def test_wrong_types_and_values_are_named(minimal_practice):
    minimal_practice.write_text(minimal_practice.read_text().replace('timezone = "America/Chicago"',
                                                                     'timezone = "Mars/Olympus"')
                                + '\n[payers."Aetna"]\ntimely_filing_days = "soon"\n')
    found = problems_of(minimal_practice)
    assert any("practice.timezone: 'Mars/Olympus' is not a time zone name" in p for p in found)
    assert any("payers.Aetna.timely_filing_days:" in p and "'soon'" in p for p in found)


def test_missing_sheet_and_file_and_unknown_column_are_reported_together(tmp_path):
    book = make_workbook(tmp_path / "tracker.xlsx", MINIMAL)
    cfg = write_config(tmp_path, book, {"clients": "Clients", "appointments": "Appointmnts"},
                       columns={"clients": {"clientid": "Client #"}})
    cfg.write_text(cfg.read_text() + '\n[trackers.claims]\npath = "nowhere.xlsx"\nsheet = "Claims"\n')
    found = problems_of(cfg)
    assert f"{cfg}: trackers.clients.columns.clientid: not a column of the clients tracker (did you mean client_id?)" in found
    assert any(p.startswith(f"{cfg}: trackers.appointments.sheet: tracker.xlsx has no sheet 'Appointmnts' "
                            "(did you mean 'Appointments'?)") for p in found)
    assert any(p.startswith(f"{cfg}: trackers.claims.path:") and p.endswith("file not found") for p in found)


def test_an_unknown_tracker_is_named(minimal_practice):
    minimal_practice.write_text(minimal_practice.read_text() + '\n[trackers.appointment]\npath = "x.xlsx"\nsheet = "S"\n')
    assert any("trackers.appointment: unknown tracker (did you mean trackers.appointments?)" in p
               for p in problems_of(minimal_practice))


def test_not_toml_and_no_file(tmp_path):
    broken = tmp_path / "p.toml"
    broken.write_text("[practice\nname=")
    assert problems_of(broken)[0].startswith(f"{broken}: not valid TOML")
    assert problems_of(tmp_path / "missing.toml") == [f"{tmp_path / 'missing.toml'}: no such config file (pass --config PATH)"]


def test_payer_thresholds_override_the_practice_ones(minimal_practice):
    minimal_practice.write_text(minimal_practice.read_text()
                                + '\n[rules]\nunbilled_after_days = 5\n[payers."Blue Cross"]\ntimely_filing_days = 180\n')
    thresholds = config_module.load(minimal_practice).thresholds()
    assert thresholds.unbilled_after_days == 5 and thresholds.timely_filing_days == 90
    assert thresholds.for_payer("BLUE CROSS").timely_filing_days == 180
    assert thresholds.for_payer("blue-cross").unbilled_after_days == 5


def test_schedule_mistakes_are_reported(minimal_practice):
    minimal_practice.write_text(minimal_practice.read_text()
                                + '\n[schedule]\nreconcile = "sometimes"\nreminder = "hourly"\n')
    found = problems_of(minimal_practice)
    assert any("schedule.reconcile: 'sometimes' is not a schedule" in p for p in found)
    assert any("schedule.reminder: not a job (did you mean schedule.reminders?)" in p for p in found)


DESIGN = Path(__file__).resolve().parents[2] / "shared" / "DESIGN.md"


@pytest.mark.skipif(not DESIGN.exists(), reason="../shared/DESIGN.md is not beside this checkout")
def test_the_config_example_of_design_md_is_accepted_as_written(tmp_path):
    text = DESIGN.read_text()
    example = text.split("## Config (contract, TOML)", 1)[1].split("```toml", 1)[1].split("```", 1)[0]
    (tmp_path / "practice.toml").write_text(example)
    cfg = config_module.load(tmp_path / "practice.toml")
    assert cfg.trackers["appointments"].columns == {"client_id": "Client #"}
    assert cfg.payers["Acme Health"].timely_filing_days == 90
    assert cfg.email.smtp.port == 8025 and cfg.schedule["weekly-summary"] == "monday 07:30"


def test_check_refuses_exchange_online_for_the_exchange_transport(tmp_path):
    (tmp_path / "p.toml").write_text('[practice]\nname = "X"\n[email]\ntransport = "exchange"\n'
                                     '[email.exchange]\nserver = "outlook.office365.com"\nusername = "u"\n')
    with pytest.raises(config_module.ConfigError, match='transport = "graph"'):
        config_module.load(tmp_path / "p.toml")


BUILT_FROM_THE_SECOND_BLOCK = {"payers", "reminders", "sms", "replies", "schedule", "referrals", "recall"}
"""The tables of DESIGN.md's "keys that join the example" built so far; each issue adds its own."""


@pytest.mark.skipif(not DESIGN.exists(), reason="../shared/DESIGN.md is not beside this checkout")
def test_the_keys_that_join_the_example_are_accepted_as_they_land(tmp_path):
    import re

    text = DESIGN.read_text()
    block = text.split("Keys that join the example above", 1)[1].split("```toml", 1)[1].split("```", 1)[0]
    chunks = re.split(r"(?m)^(?=\[)", block)
    built = [c for c in chunks if c.startswith("[") and re.match(r"\[([a-z_]+)", c)[1] in BUILT_FROM_THE_SECOND_BLOCK]
    assert built, "the second block names no table built yet"
    (tmp_path / "practice.toml").write_text('[practice]\nname = "X"\n' + "".join(built))
    cfg = config_module.load(tmp_path / "practice.toml")
    assert cfg.payers["Superior HealthPlan"].program == "medicaid"
    assert cfg.thresholds().for_payer("Superior HealthPlan").timely_filing_days == 365
    assert cfg.reminders.channels == ["email"] and cfg.reminders.confirm_hours == 24 and not cfg.reminders.ask_to_confirm
    assert cfg.sms is not None and cfg.sms.provider == "twilio" and cfg.sms.max_per_minute == 60
    assert cfg.replies.mailbox == "" and cfg.schedule["replies"] == "every 15 minutes"
    assert cfg.thresholds().referral_contact_business_days == 1 and cfg.thresholds().recall_days == 21


@pytest.mark.parametrize("text, said, never", [
    ('[practice]\nname = "X"\n[reminders]\nsending_hours = "8am-8pm"\n', "is not two times of day", "pattern"),
])
def test_a_config_mistake_is_said_in_words_not_a_library_s(tmp_path, text, said, never):
    (tmp_path / "p.toml").write_text(text)
    with pytest.raises(config_module.ConfigError) as raised:
        config_module.load(tmp_path / "p.toml")
    assert said in str(raised.value.problems) and never not in str(raised.value.problems)


def test_a_folder_named_as_the_config_is_said_in_words(tmp_path):
    with pytest.raises(config_module.ConfigError) as raised:
        config_module.load(tmp_path)
    assert "Is a directory" in raised.value.problems[0] and "Errno" not in raised.value.problems[0]


@pytest.mark.parametrize("table", ["[rules]", '[payers."Aetna"]'])
def test_a_retired_key_says_what_replaced_it(tmp_path, table):
    book = make_workbook(tmp_path / "tracker.xlsx", MINIMAL)
    cfg = write_config(tmp_path, book, {"clients": "Clients", "appointments": "Appointments"})
    cfg.write_text(cfg.read_text() + f"\n{table}\nreminder_hours = 24\n")
    assert any("reminder_hours: is no longer a key" in p and "[reminders] hours_before" in p for p in problems_of(cfg))


@pytest.mark.parametrize(("text", "said"), [
    ('[reminders]\nchannels = ["sms"]\n', 'reminders.channels: "sms" needs an [sms] table'),
    ('[reminders]\nchannels = ["fax"]\n', "reminders.channels.0: Input should be 'email' or 'sms'"),
    ('[reminders]\nchannels = []\n', "name at least one channel"),
    ('[sms]\nfrom_number = "555-0100"\n', "must be the number in international form"),
    ('[sms]\nprovider = "nexmo"\n', "sms.provider: Input should be 'twilio' or 'outbox'"),
    ('[replies]\nimap_host = "imap.lake.example"\n', "replies.imap_host: is for a practice sending through SMTP"),
    ('[replies]\ninbox_dir = "inbox"\n[email]\ntransport = "smtp"\n[email.smtp]\nhost = "mail"\n',
     "replies.inbox_dir: is the outbox's counterpart"),
    ('[reminders]\nconfirm_hours = 0\n', "reminders.confirm_hours: Input should be greater than or equal to 1"),
    ('[schedule]\nreplys = "every 15 minutes"\n', "schedule.replys: not a job (did you mean schedule.replies?)"),
])
def test_texting_and_replies_settings_are_checked(tmp_path, text, said):
    (tmp_path / "p.toml").write_text('[practice]\nname = "X"\nphone = "555-0100"\n' + text)
    with pytest.raises(config_module.ConfigError) as raised:
        config_module.load(tmp_path / "p.toml")
    assert any(said in p for p in raised.value.problems), raised.value.problems


def test_check_says_what_texting_needs_before_the_first_text(tmp_path, monkeypatch):
    from automations.setup_check import texting_gaps

    monkeypatch.delenv("TWILIO_EMULATOR_HOST", raising=False)
    monkeypatch.delenv("PRACTICE_OPS_TWILIO_AUTH_TOKEN", raising=False)
    (tmp_path / "p.toml").write_text('[practice]\nname = "X"\n[reminders]\nchannels = ["email", "sms"]\n'
                                     'ask_to_confirm = true\n[sms]\n')
    gaps = " | ".join(texting_gaps(config_module.load(tmp_path / "p.toml")))
    for said in ("Twilio signs a BAA only on its higher editions", "10DLC", "sms.account_sid is empty",
                 "sms.from_number is empty", "PRACTICE_OPS_TWILIO_AUTH_TOKEN is not set here",
                 "in the outbox no mailbox is read"):
        assert said in gaps
    (tmp_path / "p.toml").write_text('[practice]\nname = "X"\n[sms]\nprovider = "outbox"\n')
    assert texting_gaps(config_module.load(tmp_path / "p.toml")) == []
