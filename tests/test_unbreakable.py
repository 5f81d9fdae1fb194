"""Issue 23's attacks, each through the real command line or real files: a path taken from a cell,
links planted where practice-ops writes, outputs pointed at trackers, hostile settings and templates.
Each is a class closed, not one case; nothing stops the rest of a run or writes outside the
practice's folders."""

import os
import subprocess
import sys
from datetime import date, timedelta

import pytest

from automations.places import file_name, inside
from tests.conftest import MINIMAL, ROOT, make_workbook, write_config

RUN = [sys.executable, str(ROOT / "run.py")]
TODAY = date(2026, 11, 26)


def cli(*args, **kw):
    return subprocess.run([*RUN, *args], capture_output=True, text=True, timeout=120, **kw)


def outside(folder, practice):
    return {p for p in folder.rglob("*") if p != practice and practice not in p.parents}


@pytest.mark.parametrize("raw, made", [
    ("../../escape/EAP-1", "eap-report-escape_EAP-1.xlsx"), ("EAP 7/2026", "eap-report-EAP_7_2026.xlsx"),
    ("\x00\n", "eap-report.xlsx"), ("a" * 300, "eap-report-" + "a" * 109 + ".xlsx"),
    ("..", "eap-report.xlsx"), ("C:\\Windows\\evil", "eap-report-C_Windows_evil.xlsx"), ("AU-1", "eap-report-AU-1.xlsx")])
def test_no_file_name_is_taken_from_a_cell_as_it_stands(raw, made):
    assert file_name("eap-report", raw, suffix=".xlsx") == made


@pytest.mark.parametrize("name", ["../x.xlsx", "a/b.xlsx", "..", ""])
def test_a_name_that_would_leave_its_folder_is_refused(tmp_path, name):
    from automations.errors import PracticeOpsError

    with pytest.raises(PracticeOpsError):
        inside(tmp_path, name)


@pytest.mark.timeout(120)
def test_an_authorization_id_cannot_write_an_eap_report_outside_the_practice(tmp_path):
    """`../` in an Authorization ID once wrote the report (client id and clinician inside) outside the
    practice's folders, making folders on the way."""
    practice = tmp_path / "practice"
    practice.mkdir()
    sheets = dict(MINIMAL)
    evil = "../../../outside/EAP-1"
    sheets["Appointments"] = [MINIMAL["Appointments"][0] + ["Authorization ID"],
                              *[["A-%d" % n, "C-1", "Ann Lee", TODAY - timedelta(days=7 * n), MINIMAL["Appointments"][1][4],
                                 50, 50, "completed", "ComPsych", evil] for n in (1, 2, 3)]]
    sheets["Authorizations"] = [["Authorization ID", "Client ID", "Payer", "Type", "Sessions Authorized"],
                                [evil, "C-1", "ComPsych", "EAP", 3]]
    book = make_workbook(practice / "tracker.xlsx", sheets)
    config = write_config(practice, book, trackers={"clients": "Clients", "providers": "Providers",
                                                    "appointments": "Appointments", "authorizations": "Authorizations"})
    before = outside(tmp_path, practice)
    done = cli("--config", str(config), "run", "digests", "--today", TODAY.isoformat())
    assert done.returncode == 0, done.stderr
    assert outside(tmp_path, practice) == before, "nothing outside the practice"
    assert (practice / "out" / "eap-report-outside_EAP-1.xlsx").exists()
    assert not (tmp_path / "outside").exists()
