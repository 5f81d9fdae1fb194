import json
import subprocess
import sys

import openpyxl
import pytest

from automations.trackers.records import columns_of
from tests.conftest import ROOT


def cli(*args):
    return subprocess.run([sys.executable, str(ROOT / "run.py"), *args], capture_output=True, text=True, timeout=60)


def test_init_makes_a_practice_that_checks_clean(tmp_path):
    folder = tmp_path / "lakeside"
    done = cli("init", str(folder), "--name", "Lakeside Therapy")
    assert done.returncode == 0, done.stderr
    checked = cli("--config", str(folder / "practice.toml"), "check", "--json", "--today", "2026-11-26")
    assert checked.returncode == 0, checked.stderr
    data = json.loads(checked.stdout)
    assert data["findings"] == [] and data["data_issues"] == [] and data["unavailable"] == []
    assert list((folder / "templates").iterdir()) == [folder / "templates" / "README.md"]   # only what changes
    text = (folder / "practice.toml").read_text()
    assert 'weekly-summary = "monday 07:30"' in text and all(t in text for t in ("smtp", "graph", "gmail", "exchange"))
    assert "example.org" not in text
    assert (folder / "certs").is_dir()


def test_blank_trackers_carry_dropdowns_and_date_validation(tmp_path):
    cli("init", str(tmp_path / "p"))
    book = openpyxl.load_workbook(tmp_path / "p" / "trackers.xlsx")
    sheet = book["Appointments"]
    lists = {v.formula1 for v in sheet.data_validations.dataValidation if v.type == "list"}
    assert '"Scheduled,Confirmed,Completed,No show,Late cancel,Cancelled"' in lists
    assert '"In person,Video,Phone"' in lists
    consent = {v.formula1 for v in book["Clients"].data_validations.dataValidation if v.type == "list"}
    assert '"Encrypted email only,Plain email OK,No email"' in consent
    assert book.sheetnames[0] == "Read me" and book["Appointments"]["A2"].value.startswith("EXAMPLE")
    assert any(v.type == "date" for v in sheet.data_validations.dataValidation)
    headers = [c.value for c in sheet[1]]
    assert len(headers) == len(columns_of("appointments")) and headers[0] == "Appointment ID"


def test_init_never_overwrites(tmp_path):
    folder = tmp_path / "p"
    assert cli("init", str(folder)).returncode == 0
    (folder / "practice.toml").write_text("# mine")
    again = cli("init", str(folder))
    assert again.returncode == 2 and "already exist" in again.stderr
    assert (folder / "practice.toml").read_text() == "# mine"


def test_the_committed_blank_trackers_match_the_generator(tmp_path):
    from automations.new_practice import write_blank_trackers

    write_blank_trackers(tmp_path / "trackers.xlsx")
    fresh = openpyxl.load_workbook(tmp_path / "trackers.xlsx")
    committed = openpyxl.load_workbook(ROOT / "workbooks" / "blank" / "trackers.xlsx")
    assert fresh.sheetnames == committed.sheetnames
    for name in fresh.sheetnames:
        assert [c.value for c in fresh[name][1]] == [c.value for c in committed[name][1]], name
        assert len(fresh[name].data_validations.dataValidation) == len(committed[name].data_validations.dataValidation)


def test_the_init_config_says_which_payers_want_what_and_the_example_is_valid(tmp_path):
    from automations import config as config_module

    cli("init", str(tmp_path / "p"))
    path = tmp_path / "p" / "practice.toml"
    text = path.read_text()
    assert 'program = "medicaid"' in text and "no 95, 93 for audio-only" in text and "credentials_associates" in text
    lines = text.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("# [payers."))
    block = []
    for line in lines[first:]:
        if not line.startswith("#"):
            break
        block.append(line[2:])
    path.write_text(text + "\n" + "\n".join(block) + "\n")
    config = config_module.load(path)
    assert config.payers["Superior HealthPlan"].program == "medicaid"
    assert config.payers["Some Legacy Plan"].telehealth_pos == ""
    medicare = config.thresholds().for_payer("Medicare")        # no table: DOMAIN.md's Medicare rules
    assert (medicare.appeal_days, medicare.audio_modifier, medicare.timely_filing_days) == (120, "93", 365)


def test_blank_trackers_hold_no_formula_cells(tmp_path):
    import zipfile

    cli("init", str(tmp_path / "p"))
    with zipfile.ZipFile(tmp_path / "p" / "trackers.xlsx") as book:
        sheets = [n for n in book.namelist() if n.startswith("xl/worksheets/")]
        assert sheets and not [n for n in sheets if b"<f>" in book.read(n)]


@pytest.mark.timeout(120)
def test_init_then_three_rows_then_check_names_every_blocker(tmp_path):
    folder = tmp_path / "p"
    cli("init", str(folder), "--name", "Lakeside")
    config = folder / "practice.toml"
    config.write_text(config.read_text().replace('owner = ""', 'owner = "owner@lake.example"')
                      .replace("va = []", 'va = ["front desk"]'))
    book = openpyxl.load_workbook(folder / "trackers.xlsx")
    for name, row in (("Clients", {"Client ID": "C-1", "Email": "rosa@mail.example, x@evil.example"}),
                      ("Providers", {"Provider": "Ann Lee", "Email": "ann@lake.example"}),
                      ("Appointments", {"Appointment ID": "A-1", "Client ID": "C-1", "Provider": "Anne Lee",
                                        "Date": "12/01/2026", "Time": "9:00"})):
        sheet = book[name]
        header = [c.value for c in sheet[1]]
        target = next(r for r in range(2, sheet.max_row + 2) if all(c.value is None for c in sheet[r]))
        for title, value in row.items():
            sheet.cell(target, header.index(title) + 1, value)
    clients = book["Clients"]
    clients.delete_cols([c.value for c in clients[1]].index("Guardian Consent") + 1)   # a column she removed
    book.save(folder / "trackers.xlsx")
    done = cli("--config", str(config), "check", "--today", "2026-11-26")
    out = done.stdout
    assert done.returncode == 0, done.stderr
    assert "the owner (owner@lake.example)" in out and "weekly summary (full PHI) will be blocked" in out
    assert "Ann Lee (ann@lake.example)" in out and "morning digest" in out
    assert "'front desk' is not an email address" in out
    assert "is not one email address" in out                       # the client's two-address cell
    assert "tracker has no" in out and "is off" in out             # an optional column it did not find
    assert "practice.phone is empty" in out
    assert "did you mean 'Ann Lee'?" in out


def test_every_dropdown_word_reads_back_as_its_value():
    from automations.new_practice import choice_label
    from automations.trackers.records import TRACKERS
    from automations.trackers.values import parse_enum

    for tracker in TRACKERS:
        for spec in columns_of(tracker):
            for choice in spec.choices:
                assert parse_enum(choice_label(choice), spec.choices, spec.synonyms) == choice, (tracker, choice)


def test_check_on_a_new_practices_empty_trackers_says_to_fill_them(tmp_path):
    cli("init", str(tmp_path / "p"))
    done = cli("--config", str(tmp_path / "p" / "practice.toml"), "check", "--today", "2026-11-26")
    assert done.returncode == 0, done.stderr
    assert "the trackers hold no rows yet" in done.stdout


def test_the_example_rows_teach_what_the_trackers_mean(tmp_path):
    """They once showed a modifier "90834", 10 units, a draft claim with paid and denied dates and a
    clinician's email client@example.com."""
    import openpyxl

    from automations.rules.codes import TELEHEALTH_MODIFIERS

    cli("init", str(tmp_path / "p"))
    book = openpyxl.load_workbook(next((tmp_path / "p").rglob("trackers.xlsx")))
    claim = dict(zip([c.value for c in book["Claims"][1]], [c.value for c in book["Claims"][2]], strict=True))
    assert claim["Modifiers"] in TELEHEALTH_MODIFIERS and claim["Units"] == 1 and claim["Status"] == "Submitted"
    assert claim["Paid On"] is None and claim["Denied On"] is None and claim["Denial Code"] is None
    provider = dict(zip([c.value for c in book["Providers"][1]], [c.value for c in book["Providers"][2]], strict=True))
    assert not provider["Email"].startswith("client") and provider["License Expires"].year >= 2027
    readme = book["Read me"]
    assert readme.sheet_properties.pageSetUpPr.fitToPage and readme["A3"].alignment.wrap_text
