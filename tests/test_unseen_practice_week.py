"""A practice built by another VA, in her own headers (read by the aliases alone, no column mapping):
its referrals, recall, benefits re-verification and supplies problems are each found once, and the
rows just short of each rule stay quiet; from Excel and from Google Sheets alike."""

from collections import Counter
from datetime import date, time, timedelta

import pytest

from automations import config as config_module
from automations import jobs
from tests.conftest import make_workbook
from tests.trackers.test_sheets_round_trip import as_google_sheets

TODAY = date(2027, 1, 5)            # a Tuesday: Friday January 1 was New Year's Day
D = lambda n: TODAY + timedelta(days=n)

SHEETS = {
    "Client List": [
        ["Client #", "First", "Last", "Cell", "Insurance", "VOB Date", "Client Status"],
        ["P-1", "Ana", "Ruiz", "555-0101", "Cigna", date(2026, 12, 31), "Active"],     # planted: verified last year
        ["P-2", "Ben", "Sol", "555-0102", "Cigna", date(2027, 1, 2), "Active"],        # clean: verified this year
        ["P-3", "Cy", "Tam", "555-0103", "Self Pay", None, "Active"],                  # planted: drifted off
        ["P-4", "Di", "Umo", "555-0104", "Self Pay", None, "Discharged"],              # clean: discharged
        ["P-5", "Ed", "Vey", "555-0105", "Self Pay", None, "Active"],                  # clean: inside their rhythm
        ["P-6", "Fay", "Wu", "555-0106", "Cigna", "Yes", "Active"],                    # planted: a plain yes, once
    ],
    "Therapists": [["Therapist", "Email"], ["Kim Ode", "kim@week.example"]],
    "Schedule": [["Appt #", "Client #", "Therapist", "Appt Date", "Time", "Appt Status", "Insurance"],
                 ["S-1", "P-1", "Kim Ode", D(2), time(9), "Scheduled", "Cigna"],
                 ["S-2", "P-2", "Kim Ode", D(2), time(10), "Scheduled", "Cigna"],
                 *[[f"S-3{k}", "P-3", "Kim Ode", D(-29 - 14 * k), time(11), "Kept", "Self Pay"] for k in range(4)],
                 *[[f"S-4{k}", "P-4", "Kim Ode", D(-29 - 14 * k), time(12), "Kept", "Self Pay"] for k in range(4)],
                 *[[f"S-5{k}", "P-5", "Kim Ode", D(-21 - 14 * k), time(13), "Kept", "Self Pay"] for k in range(4)],
                 ["S-6", "P-6", "Kim Ode", D(3), time(14), "Scheduled", "Cigna"]],
    "Referral Log": [
        ["Ref #", "Date Rec'd", "Referred By", "Referral Type", "Pt Name", "Phone #", "First Contact", "Outcome",
         "Client #"],
        ["RF-1", date(2026, 12, 31), "Dr. Ng", "PCP", "Gil Yu", "555-0201", None, None, None],      # planted
        ["RF-2", date(2027, 1, 4), "Website", "Web form", "Hal Zed", "555-0202", None, None, None],  # clean: due today
        ["RF-3", date(2026, 12, 18), "Lakes EAP", "EAP", "Ida Ax", "555-0203", date(2026, 12, 18), None, None],  # 17 d
        ["RF-4", date(2026, 12, 22), "School", "School", "Jo By", "555-0204", date(2026, 12, 22), None, None],  # 14 d
        ["RF-5", date(2026, 12, 10), "Dr. Ng", "PCP", "Ana Ruiz", "555-0205", date(2026, 12, 10), "Booked", "P-1"],
        ["RF-6", date(2026, 12, 11), "Dr. Ng", "PCP", "Kai Co", "555-0206", date(2026, 12, 11), "Booked", "P-99"],
    ],
    "Office Supplies": [["Supply", "Qty", "Reorder Level", "Order Status"],
                        ["Copy paper", 2, 5, "In stock"],          # planted
                        ["Toner", 0, 1, "On order"],               # clean: on order
                        ["Pens", 40, 10, "In stock"],              # clean
                        ["Stamps", 1, None, None]],                # clean: no reorder level
}
TRACKERS = {"clients": "Client List", "providers": "Therapists", "appointments": "Schedule",
            "referrals": "Referral Log", "supplies": "Office Supplies"}
PLANTED = {("scheduling.insurance_reverify", "P-1"), ("scheduling.insurance_reverify", "P-6"),
           ("scheduling.no_next_appointment", "P-3"), ("scheduling.referral_not_contacted", "RF-1"),
           ("scheduling.referral_open", "RF-3"), ("data.unknown_reference", "RF-6"),
           ("operations.supply_low", "Copy paper")}


def write_practice(tmp_path):
    make_workbook(tmp_path / "week.xlsx", SHEETS)
    lines = ['[practice]', 'name = "Week Counseling"', 'timezone = "America/Denver"', '']
    for tracker, sheet in TRACKERS.items():
        lines += [f"[trackers.{tracker}]", 'path = "week.xlsx"', f'sheet = "{sheet}"', ""]
    lines += ['[state]', 'dir = "var"']
    (tmp_path / "week.toml").write_text("\n".join(lines) + "\n")
    return tmp_path / "week.toml"


@pytest.mark.parametrize("source", ["excel", "google sheets"])
def test_each_planted_problem_once_and_nothing_on_the_clean_rows(tmp_path, stand_in, source):
    config = config_module.load(write_practice(tmp_path))
    if source == "google sheets":
        config = as_google_sheets(config, stand_in, tmp_path)
    result = jobs.check(config, TODAY)
    assert result.unavailable == [] and result.data_issues == [], result.data_issues
    found = Counter((f.rule, f.refs.get("referral") or f.refs.get("supply") or f.refs.get("client"))
                    for f in result.findings)
    new_rules = {key for key in found if key[0] in {rule for rule, _ in PLANTED}}
    assert new_rules == PLANTED and all(found[key] == 1 for key in PLANTED), sorted(found)
    referral = next(f for f in result.findings if f.rule == "scheduling.referral_not_contacted")
    assert referral.due == date(2027, 1, 4) and referral.severity == "warning"   # Thu Dec 31 -> Mon: Jan 1 skipped
