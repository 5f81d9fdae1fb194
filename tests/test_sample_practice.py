from collections import Counter
from datetime import date

import openpyxl
import pytest

from automations import config as config_module
from automations import jobs, sample_practice
from automations.rules import RULES
from tests.conftest import ROOT

COMMITTED = ROOT / "workbooks" / "sample"


def cells(path):
    book = openpyxl.load_workbook(path, data_only=True)
    return {name: [list(r) for r in book[name].iter_rows(values_only=True)] for name in book.sheetnames}


def test_the_committed_sample_matches_the_generator(tmp_path):
    for path in sample_practice.write(tmp_path):
        assert cells(path) == cells(COMMITTED / path.name), (
            f"{path.name} differs: run `python -m automations.sample_practice workbooks/sample` and commit")


def test_the_generator_is_deterministic():
    assert sample_practice.build() == sample_practice.build()
    assert sample_practice.build(seed=1) != sample_practice.build()


def test_the_sample_has_the_size_of_a_small_group_practice():
    sheets = sample_practice.build()
    assert len(sheets["Providers"]) - 1 == 4
    assert len(sheets["Clients"]) - 1 == 60
    payers = {row[1] for row in sheets["Credentialing"][1:]}
    assert len(payers & {"Aetna", "BlueCross BlueShield", "UnitedHealthcare", "Medicare"}) >= 3
    kinds = Counter(row[3] for row in sheets["Authorizations"][1:])
    assert kinds["EAP"] >= 2 and kinds["Prior Auth"] >= 2


@pytest.fixture(scope="module")
def sample_findings():
    cfg = config_module.load(ROOT / "config" / "practice.toml")
    return jobs.check(cfg, date(2026, 11, 26))


# What the sample holds besides its planted problems, all real states of a practice: clients who
# declined email and are seen within 48 hours, and waitlisted prospects who fit a clinician.
EXPECTED_BESIDES_PLANTED = {"scheduling.reminder_blocked": 4, "scheduling.waitlist_match": 5}


def test_every_planted_problem_is_found_and_nothing_else(sample_findings):
    assert set(sample_practice.PLANTED) <= set(RULES)
    by_rule = Counter(f.rule for f in sample_findings.findings)
    assert set(sample_practice.PLANTED) <= set(by_rule)
    assert set(by_rule) - set(sample_practice.PLANTED) == set(EXPECTED_BESIDES_PLANTED)
    expected = dict.fromkeys(sample_practice.PLANTED, 1)
    expected.update(EXPECTED_BESIDES_PLANTED)
    expected["authorizations.near_limit"] = 2        # a prior authorization and an EAP case
    expected["billing.claim_without_session"] = 2    # CL-5901 (no session that day), CL-5902 (unknown client)
    expected["data.unknown_reference"] = 2           # CL-5902's client C-199, referral R-6's client C-999
    assert dict(by_rule) == expected
