from datetime import date, time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from automations.errors import TrackerUnavailable
from automations.trackers.reader import read_sheet


def rows(*lines):
    return list(enumerate(lines, start=1))


def test_own_headers_title_row_text_dates_note_row_and_div0():
    """The acceptance sheet of issue 2: nothing but the bad cells is lost."""
    sheet = rows(
        ("Lakeside Therapy: claims log", None, None),
        (),
        ("Claim No.", "Pt Code", "Seen By", "Service Day", "Proc", "Ins. Co", "Billed $"),
        ("K-1", "P-1", "Ann Lee", "11/02/2026", "90834", "Aetna", "$130.00"),
        ("K-2", "P-2", "Ann Lee", "2026-11-03", "90837", "Cigna", "#DIV/0!"),
        (None, None, None, None, None, None, None),
        ("K-3", "P-3", "Bo Diaz", "13/45/2026", "90832", "Aetna", "90"),
        ("K-4", "P-4", "Bo Diaz", "Nov 5, 2026", "90834, 90785", "Aetna", "1,250"),
        ("Note: Cigna claims go out on Fridays only.",),
    )
    read = read_sheet("claims", iter(sheet), file="claims.xlsx", sheet="Log", overrides={
        "claim_id": "Claim No.", "client_id": "Pt Code", "provider": "Seen By", "date_of_service": "Service Day",
        "cpt": "Proc", "payer": "Ins. Co", "billed_amount": "Billed $"})
    assert read.header_row == 3
    assert [c.claim_id for c in read.records] == ["K-1", "K-2", "K-4"]
    assert read.records[0].date_of_service == date(2026, 11, 2)
    assert read.records[1].billed_amount is None and read.records[1].date_of_service == date(2026, 11, 3)
    assert read.records[2].cpt == ("90834", "90785") and str(read.records[2].billed_amount) == "1250"
    messages = [str(issue) for issue in read.issues]
    assert messages == [
        "claims.xlsx:Log: row 5: Billed $: '#DIV/0!' is a formula error: fix the formula or type the value",
        "claims.xlsx:Log: row 7: Service Day: '13/45/2026' is not a date",
    ]
    assert [i.rule for i in read.issues] == ["data.formula_error", "data.bad_value"]


def test_builtin_aliases_ignore_case_spacing_and_punctuation():
    sheet = rows(("APPT #", "client no.", "Clinician", "session date", "START TIME", "Status"),
                 ("A-1", "C-1", "Ann", date(2026, 11, 2), time(9), "No Show"))
    read = read_sheet("appointments", iter(sheet), file="t.xlsx", sheet="S")
    assert read.records[0].appointment_id == "A-1" and read.records[0].status == "no_show"
    assert read.columns["date"] == "session date"


def test_header_row_override_is_used():
    sheet = rows(("Appointment ID", "Client ID", "Provider", "Date", "Time"),
                 ("old", "header", "copy", "x", "y"),
                 ("Appointment ID", "Client ID", "Provider", "Date", "Time"),
                 ("A-9", "C-9", "Ann", "11/02/2026", "9:00 AM"))
    read = read_sheet("appointments", iter(sheet), file="t.xlsx", sheet="S", header_row=3)
    assert [a.appointment_id for a in read.records] == ["A-9"]


def test_missing_required_cell_is_reported_and_the_row_skipped_but_others_kept():
    sheet = rows(("Appointment ID", "Client ID", "Provider", "Date", "Time"),
                 ("A-1", None, "Ann", "11/02/2026", "9:00"),
                 ("A-2", "C-2", "Ann", "11/02/2026", "10:00"))
    read = read_sheet("appointments", iter(sheet), file="t.xlsx", sheet="S")
    assert [a.appointment_id for a in read.records] == ["A-2"]
    assert str(read.issues[0]) == "t.xlsx:S: row 2: Client ID: is empty but required"
    assert read.issues[0].rule == "data.missing_required"


def test_a_bad_optional_cell_costs_only_that_cell():
    sheet = rows(("Appointment ID", "Client ID", "Provider", "Date", "Time", "Actual Min", "Modality"),
                 ("A-1", "C-1", "Ann", "11/02/2026", "9:00", "fifty", "Zoom"))
    read = read_sheet("appointments", iter(sheet), file="t.xlsx", sheet="S")
    assert read.records[0].actual_min is None and read.records[0].modality == "video"
    assert [i.column for i in read.issues] == ["Actual Min"]


def test_single_required_column_rows_are_records_not_notes():
    sheet = rows(("Provider", "Email"), ("Maya Chen", None), ("Bo Diaz", "bo@example.org"),
                 ("Totals", None), ("* one provider is on leave until January",))
    read = read_sheet("providers", iter(sheet), file="t.xlsx", sheet="P")
    assert [p.provider for p in read.records] == ["Maya Chen", "Bo Diaz"]
    assert read.issues == []


def test_no_header_row_names_the_missing_columns_and_the_fix():
    sheet = rows(("Claim", "Who", "When"), ("K-1", "P-1", "11/02/2026"))
    with pytest.raises(TrackerUnavailable) as caught:
        read_sheet("claims", iter(sheet), file="c.xlsx", sheet="Log")
    text = str(caught.value)
    assert text.startswith("c.xlsx:Log: no header row in the first 10 rows has the required column(s) ")
    assert "client_id" in text and "[trackers.claims.columns]" in text


def test_header_beyond_the_tenth_row_is_not_found_without_header_row():
    sheet = rows(*([("title",)] * 10), ("Provider",), ("Ann",))
    with pytest.raises(TrackerUnavailable):
        read_sheet("providers", iter(sheet), file="t.xlsx", sheet="P")
    assert read_sheet("providers", iter(sheet), file="t.xlsx", sheet="P", header_row=11).records[0].provider == "Ann"


def _bad_cell_findings(sheet, file):
    from automations.rules.data import cell_findings

    read = read_sheet("appointments", iter(sheet), file=file, sheet="Appointments")
    return cell_findings(read.issues, date(2026, 11, 26))


def test_a_bad_cell_finding_names_its_record_and_keeps_its_id_when_rows_move():
    header = ("Appointment ID", "Client ID", "Provider", "Date", "Time", "Actual Min")
    before = rows(header, ("A-1", "C-1", "Ann", "11/02/2026", "9:00", "50"),
                  ("A-3037", "C-2", "Ann", "11/02/2026", "10:00", "fifty"))
    after = rows(("Sessions, sorted by client",), header, ("A-0", "C-0", "Ann", "11/01/2026", "9:00", "50"),
                 ("A-3037", "C-2", "Ann", "11/02/2026", "10:00", "fifty"), ("A-1", "C-1", "Ann", "11/02/2026", "9:00", "50"))
    first, = _bad_cell_findings(before, "tracker.xlsx")
    moved, = _bad_cell_findings(after, "Google Sheets 1AbC")
    assert first.refs == {"appointment": "A-3037", "sheet_row": "tracker.xlsx:Appointments:3"}
    assert moved.refs["sheet_row"] == "Google Sheets 1AbC:Appointments:4"
    assert first.id == moved.id


def test_a_bad_cell_in_a_row_without_an_id_is_found_by_its_row():
    sheet = rows(("Appointment ID", "Client ID", "Provider", "Date", "Time"),
                 (None, "C-2", "Ann", "11/02/2026", "10:00"), ("A-2", "C-2", "Ann", "11/02/2026", "10:00"))
    finding, = _bad_cell_findings(sheet, "t.xlsx")
    assert finding.refs == {"sheet_row": "t.xlsx:Appointments:2"}


@pytest.mark.parametrize("word, status", [("Late Cx", "late_cancel"), ("LC", "late_cancel"),
                                          ("Late cancel", "late_cancel"), ("NCNS", "no_show"), ("DNA", "no_show"),
                                          ("Kept", "completed"), ("Cxl", "cancelled")])
def test_the_words_vas_use_for_statuses(word, status):
    sheet = rows(("Appointment ID", "Client ID", "Provider", "Date", "Time", "Status"),
                 ("A-1", "C-1", "Ann", "11/02/2026", "9:00", word))
    assert read_sheet("appointments", iter(sheet), file="t.xlsx", sheet="S").records[0].status == status


def test_new_client_columns_are_found_by_the_headers_vas_use():
    sheet = rows(("Client #", "DOB", "Guardian Consent", "Consent Signed", "Telehealth Consent"),
                 ("C-1", "04/05/2012", "N/A", "Y", "x"))
    client = read_sheet("clients", iter(sheet), file="t.xlsx", sheet="C").records[0]
    assert client.date_of_birth == date(2012, 4, 5)
    assert repr(client.guardian_consent) == "N/A" and client.consent_to_treat is True
    assert client.telehealth_consent is True


def test_an_open_ended_end_date_reads_as_blank_and_a_9999_visit_is_a_bad_value():
    auths = rows(("Authorization ID", "Client ID", "Payer", "Sessions Authorized", "End Date"),
                 ("AU-1", "C-1", "Aetna", 10, "12/31/9999"))
    read = read_sheet("authorizations", iter(auths), file="t.xlsx", sheet="A")
    assert read.records[0].end_date is None and read.issues == []
    visits = rows(("Appointment ID", "Client ID", "Provider", "Date", "Time"), ("A-1", "C-1", "Ann", "9999-12-31", "9:00"))
    read = read_sheet("appointments", iter(visits), file="t.xlsx", sheet="S")
    assert read.records == [] and "no end" in read.issues[0].why


@pytest.mark.parametrize("cell", ["a@x.example, b@evil.example", '"Rosa" <rosa@mail.example>',
                                  "rosa@mail.example\r\nBcc: x@evil.example"])
def test_a_smuggled_address_is_a_bad_value_and_the_client_has_no_address(cell):
    sheet = rows(("Client ID", "Email"), ("C-1", cell))
    read = read_sheet("clients", iter(sheet), file="t.xlsx", sheet="C")
    assert read.records[0].email is None
    assert read.issues[0].rule == "data.bad_value" and read.issues[0].record == ("client", "C-1")


def test_text_a_column_repeats_is_kept_once_per_value_and_ids_as_they_are():
    """A spreadsheet reader gives a new string for every cell: a clinician's name on 200,000 rows
    would be 200,000 strings in each process. Repeated clean text is kept once per value."""
    names = ["Ann Lee", "Bo Diaz"]
    sheet = rows(("Appointment ID", "Client ID", "Provider", "Date", "Time"),
                 *((f"A-{n}", "".join("C-1"), "".join(names[n % 2]), "2026-11-02", "09:00") for n in range(6)))
    read = read_sheet("appointments", iter(sheet), file="t.xlsx", sheet="Appointments")
    assert [a.provider for a in read.records] == names * 3
    assert len({id(a.provider) for a in read.records}) == 2
    assert len({id(a.client_id) for a in read.records}) == 1
    assert [a.appointment_id for a in read.records] == [f"A-{n}" for n in range(6)]


@pytest.mark.parametrize("chunk_rows", [2, 3, 4096])
def test_a_sheet_is_taken_in_a_column_at_a_time_keeping_a_repeated_value_once(monkeypatch, chunk_rows):
    """Rows arrive a few thousand at a time: repeated text, dates, times and decimals are kept as
    one object per value; a stretch mixing 1, 1.0 and TRUE keeps each as it is; a short row is
    filled out with blanks, and a longer row further down widens every column before it."""
    from datetime import datetime

    from automations.trackers import reader

    monkeypatch.setattr(reader, "CHUNK_ROWS", chunk_rows)
    day = [date(2026, 11, 2), datetime(2026, 11, 2, 0, 0)]
    lines = [(7, ["".join("Ann"), date(2026, 11, 2), float("50"), 1.0]),
             (8, ["".join("Ann"), date(2026, 11, 2), float("50"), True]),
             (10, ["".join("Bo"), day[1]]),
             (11, ["".join("Ann"), date(2026, 11, 2), float("50"), 1, time(9), "x"])]
    numbers, columns = reader._columns(iter(lines), 2)
    assert numbers == [7, 8, 10, 11]
    assert columns[0] == ["Ann", "Ann", "Bo", "Ann"] and len({id(v) for v in columns[0]}) == 2
    assert [type(v) for v in columns[1]] == [date, date, datetime, date]
    assert columns[1][0] is columns[1][1] is columns[1][3]
    assert columns[2] == [50.0, 50.0, None, 50.0] and columns[2][0] is columns[2][1] is columns[2][3]
    assert [(type(v), v) for v in columns[3]] == [(float, 1.0), (bool, True), (type(None), None), (int, 1)]
    assert columns[4] == [None, None, None, time(9)] and columns[5] == [None, None, None, "x"]


@pytest.mark.parametrize("keys", [
    ["A-1", "A-2"], ["A-1", ""], ["#REF!", "A-2"], [" A-1"], ["A-1 "], ["A\t1"], ["A\n1"], ["A-1\u00a0"],
    ["\u00a0A-1"], ["A#1", "mid dle"], ["A-1", 5], [None], ["e\u0301"], ["A-1", "A-1 ", "A-2"]])
def test_a_column_is_clean_text_at_once_exactly_when_each_key_is(keys):
    """The whole column is asked at once; the answer is the one each key would give."""
    from automations.trackers.reader import _all_clean_text, _clean_text

    assert _all_clean_text(dict.fromkeys(keys)) is all(k.__class__ is str and _clean_text(k) for k in keys)


@pytest.mark.parametrize("cells, typed", [
    (["a", "b", "a"], False), ([date(2026, 1, 1), "x", None], False), ([1, 2, 1], False), ([1, 1.0], True),
    ([True, 1], True), (["x", 1.5, 2], True), ([1.0, 2.5, None], False)])
def test_only_a_column_mixing_kinds_of_number_keys_cells_by_type(cells, typed):
    from automations.trackers.reader import _keys, _Typed

    keys, distinct = _keys(cells)
    assert any(isinstance(key, _Typed) for key in keys) is typed
    assert list(distinct) == list(dict.fromkeys(keys))


@pytest.mark.parametrize("first_id", ["EXAMPLE", "example-1", "  Example row", "\u00a0EXAMPLE"])
def test_a_blank_trackers_example_row_is_passed_over_however_it_is_written(first_id):
    sheet = rows(("Client ID", "Payer"), (first_id, "Aetna"), ("C-1", "Aetna"), ("C-2", "Cigna"))
    read = read_sheet("clients", iter(sheet), file="t.xlsx", sheet="Clients")
    assert [c.client_id for c in read.records] == ["C-1", "C-2"]


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.text(max_size=8), max_size=6))
def test_asking_a_whole_column_at_once_agrees_with_asking_each_key(keys):
    """Any text at all: the clean-text and EXAMPLE-row answers for a column are those of its keys."""
    from automations.trackers.reader import _all_clean_text, _clean_text, _perhaps_examples

    distinct = dict.fromkeys(keys)
    assert _all_clean_text(distinct) is all(_clean_text(k) for k in keys)

    def is_example(key: str) -> bool:
        return key.strip().upper().startswith("EXAMPLE")

    assert {k for k in _perhaps_examples(distinct) if is_example(k)} == {k for k in keys if is_example(k)}


@pytest.mark.parametrize("chunk_rows", [2, 4096])
def test_zero_and_a_negative_zero_read_the_same_however_the_rows_are_cut(monkeypatch, chunk_rows):
    """0.0 and -0.0 are equal, so a column keeping a value once, and the parse of each distinct
    value, may keep either for both: whichever is kept, the amount is nothing owed, with no sign."""
    from automations.trackers import reader

    monkeypatch.setattr(reader, "CHUNK_ROWS", chunk_rows)
    header = ("Claim ID", "Client ID", "Provider", "Date of Service", "CPT", "Billed Amount", "Payer", "Status")
    rows = [(1, header)] + [(n, (f"CL-{n}", "C-1", "Ann Lee", date(2026, 11, 2), "90834", amount, "Aetna", "paid"))
                            for n, amount in ((2, -0.0), (3, 0.0), (4, 1), (5, 130.0))]
    read = read_sheet("claims", iter(rows), file="f.xlsx", sheet="Claims")
    assert [str(c.billed_amount) for c in read.records] == ["0.0", "0.0", "1", "130.0"]
    assert not read.issues
