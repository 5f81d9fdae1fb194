from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest

from automations.trackers import values


@pytest.mark.parametrize("raw, expected", [
    (date(2026, 11, 26), date(2026, 11, 26)),
    (datetime(2026, 11, 26, 0, 0), date(2026, 11, 26)),
    (46352, date(2026, 11, 26)),            # Excel serial
    (46352.0, date(2026, 11, 26)),
    ("2026-11-26", date(2026, 11, 26)),
    ("11/26/2026", date(2026, 11, 26)),
    ("11/26/26", date(2026, 11, 26)),
    ("11-26-2026", date(2026, 11, 26)),
    ("Nov 26, 2026", date(2026, 11, 26)),
    ("November 26th, 2026", date(2026, 11, 26)),
    ("26 Nov 2026", date(2026, 11, 26)),
    ("2026-11-26 00:00:00", date(2026, 11, 26)),
    (" 3/4/2026 ", date(2026, 3, 4)),       # US order: month first
])
def test_dates_in_every_common_form(raw, expected):
    assert values.parse_date(raw) == expected


@pytest.mark.parametrize("raw", ["13/45/2026", "11/31/2026", "tomorrow", "", "2026-02-30", True, -5])
def test_impossible_dates_are_refused(raw):
    with pytest.raises(ValueError, match="not a date"):
        values.parse_date(raw)


@pytest.mark.parametrize("raw, expected", [
    (time(9, 30), time(9, 30)), ("9:30", time(9, 30)), ("09:30", time(9, 30)), ("9:30 AM", time(9, 30)),
    ("9:30am", time(9, 30)), ("2:15 PM", time(14, 15)), ("2 pm", time(14)), ("14:00:00", time(14)),
    (0.5, time(12)), (0.99999, time(23, 59)), (datetime(1899, 12, 30, 16, 45), time(16, 45)),
])
def test_times(raw, expected):
    assert values.parse_time(raw) == expected


@pytest.mark.parametrize("raw", ["25:00", "noonish", 1.5])
def test_bad_times(raw):
    with pytest.raises(ValueError):
        values.parse_time(raw)


@pytest.mark.parametrize("raw, expected", [
    (53, 53), (53.0, 53), ("53", 53), ("53 min", 53), ("53 mins", 53), ("53min", 53), ("0:53", 53),
    ("1:15", 75), (time(0, 53), 53), (timedelta(minutes=45), 45), ("1 h 15 min", 75), ("45 minutes", 45),
])
def test_minutes(raw, expected):
    assert values.parse_minutes(raw) == expected


@pytest.mark.parametrize("raw", ["about an hour", -3, "53 sec"])
def test_bad_minutes(raw):
    with pytest.raises(ValueError):
        values.parse_minutes(raw)


@pytest.mark.parametrize("raw, expected", [
    ("$1,250.00", Decimal("1250.00")), (1250, Decimal(1250)), (99.5, Decimal("99.5")), ("170", Decimal(170)),
    ("$1,000,000.00", Decimal(1_000_000)), (0, Decimal(0)),
])
def test_money(raw, expected):
    assert values.parse_money(raw) == expected


@pytest.mark.parametrize("raw", [-0.0, "-0", "(0)", "$-0.00", -0.001])
def test_a_negative_zero_is_nothing_owed_without_a_sign(raw):
    amount = values.parse_money(raw)
    assert amount == 0 and not amount.is_signed()


@pytest.mark.parametrize("raw", ["$12,3x", "n/a", "NaN", "(12.50)", "-$5", -0.01, "$1,000,000.01", 1e12])
def test_bad_money(raw):
    with pytest.raises(ValueError):
        values.parse_money(raw)


@pytest.mark.parametrize("raw, expected", [
    ("Y", True), ("n", False), ("Yes", True), ("No", False), ("TRUE", True), ("false", False), (1, True),
    (0, False), ("x", True), (True, True),
])
def test_yes_no(raw, expected):
    assert values.parse_yes_no(raw) is expected


@pytest.mark.parametrize("raw", [date(2026, 11, 20), "11/20/2026", datetime(2026, 11, 20, 9, 0)])
def test_a_date_in_a_yes_no_column_means_yes(raw):
    assert values.parse_yes_no(raw) is True


@pytest.mark.parametrize("raw, expected", [("11/20/2026", date(2026, 11, 20)), ("Y", True), ("no", False),
                                           (date(2026, 1, 2), date(2026, 1, 2))])
def test_on_file_reads_a_date_or_a_tick(raw, expected):
    assert values.parse_on_file(raw) == expected


def test_yes_no_refuses_maybe():
    with pytest.raises(ValueError, match="yes or no"):
        values.parse_yes_no("maybe")


@pytest.mark.parametrize("raw", ["No Show", "no-show", "no_show", "NO SHOW", "noshow"])
def test_enums_ignore_case_spaces_hyphens_underscores(raw):
    assert values.parse_enum(raw, ("completed", "no_show")) == "no_show"


def test_enum_names_the_choices_when_it_cannot_match():
    with pytest.raises(ValueError, match="one of: completed, no_show"):
        values.parse_enum("attended?", ("completed", "no_show"))


@pytest.mark.parametrize("raw, expected", [
    ("90834, 90785", ("90834", "90785")), ("90834+90785", ("90834", "90785")), (90834, ("90834",)),
    (90834.0, ("90834",)), ("95, GT", ("95", "GT")), ("95 gt", ("95", "GT")),
])
def test_code_lists(raw, expected):
    assert values.parse_codes(raw) == expected


@pytest.mark.parametrize("payer, expected", [
    ("Self-pay", True), ("Self pay", True), ("Private pay", True), ("Cash", True), ("Aetna", False), (None, False),
])
def test_self_pay(payer, expected):
    assert values.is_self_pay(payer) is expected


@pytest.mark.parametrize("raw", ["#DIV/0!", "#REF!", "#N/A", "#VALUE!", " #name? "])
def test_excel_errors_are_recognised(raw):
    assert values.is_excel_error(raw)


@pytest.mark.parametrize("raw", ["N/A", "n/a", "NA", "Not applicable"])
def test_na_in_a_yes_no_cell_is_not_applicable_not_a_bad_value(raw):
    assert values.parse_yes_no(raw) is values.NOT_APPLICABLE
    assert bool(values.NOT_APPLICABLE) is True


@pytest.mark.parametrize("raw", [2, 7, 2.0, -1, "2", "7", "45000"])
def test_any_other_number_in_a_yes_no_cell_is_a_bad_value(raw):
    with pytest.raises(ValueError):
        values.parse_yes_no(raw)


@pytest.mark.parametrize("payer", ["Sliding scale", "Superbill", "Out of network", "OON", "OOP", "Uninsured",
                                   "Out-of-network (superbill)", "self-pay"])
def test_the_wider_self_pay_vocabulary(payer):
    assert values.is_self_pay(payer)


@pytest.mark.parametrize("raw", ["a@x.example, b@y.example", '"Rosa" <rosa@mail.example>', "rosa@mail.example\r\nBcc: x@evil.example",
                                 "rosa@mail.example\nx@evil.example", "a@x.example; b@y.example", "rosa", "rosa@", ""])
def test_an_email_cell_holds_one_address_or_is_a_bad_value(raw):
    with pytest.raises(ValueError):
        values.parse_email(raw)


def test_an_email_cell_with_one_address():
    assert values.parse_email("  Rosa.Q@Mail.example ") == "Rosa.Q@mail.example"


@pytest.mark.parametrize("raw", ["0001-01-01", "12/31/1899", "01/01/2200", "3000-01-01", 0, -5, float("nan")])
def test_implausible_dates_are_bad_values(raw):
    with pytest.raises(ValueError):
        values.parse_date(raw)


@pytest.mark.parametrize("raw", ["9999-12-31", "12/31/9999", 2958465, datetime(9999, 12, 31)])
def test_9999_12_31_reads_as_open_ended(raw):
    assert values.parse_date(raw) == values.OPEN_ENDED


@pytest.mark.parametrize("serial, day", [(1, date(1900, 1, 1)), (59, date(1900, 2, 28)), (61, date(1900, 3, 1)),
                                         (45000, date(2023, 3, 15))])
def test_excel_serials_read_right_across_the_1900_leap_year_bug(serial, day):
    assert values.parse_date(serial) == day


def test_excel_serial_60_is_the_day_that_never_was():
    with pytest.raises(ValueError):
        values.parse_date(60)


@pytest.mark.parametrize("raw", ["2000", 2000, "1:75", "13:00", 721, -1, "99 hours"])
def test_absurd_minutes_are_bad_values(raw):
    with pytest.raises(ValueError):
        values.parse_minutes(raw)


@pytest.mark.parametrize("raw", [1001, "5000", -1])
def test_absurd_counts_are_bad_values(raw):
    with pytest.raises(ValueError):
        values.parse_count(raw)


def test_control_characters_are_cleaned_from_text():
    assert values.parse_text("Aet\x00na\x1b") == "Aetna"


@pytest.mark.parametrize("raw, expected", [
    ("8/28/49", date(1949, 8, 28)),      # a Medicare client's birth date, never 2049
    ("8/28/29", date(2029, 8, 28)), ("8/28/30", date(1930, 8, 28)),  # Excel's window turns at 30
    ("1/5/00", date(2000, 1, 5)), ("12/31/99", date(1999, 12, 31)), ("08-28-49", date(1949, 8, 28)),
    ("2/29/48", date(1948, 2, 29)), ("8/28/2049", date(2049, 8, 28)),  # four digits are as written
])
def test_two_digit_years_follow_excels_window(raw, expected):
    assert values.parse_date(raw) == expected


def test_a_day_first_two_digit_year_follows_the_same_window():
    assert values.parse_date("28/08/49", day_first=True) == date(1949, 8, 28)


@pytest.mark.parametrize(("raw", "count"), [(0, 0), (1000, 1000), (1000.0, 1000), ("1000", 1000), ("7.0", 7)])
def test_a_count_up_to_the_plausible_limit_is_read(raw, count):
    """The boundary itself is a count (a mutant reading `>=` for `>` refused 1000)."""
    assert values.parse_count(raw) == count


@pytest.mark.parametrize(("phone", "number"), [
    ("(555) 210-0199", "+15552100199"), ("555.210.0199", "+15552100199"), ("1-555-210-0199", "+15552100199"),
    ("+1 555 210 0199", "+15552100199"), ("+44 20 7946 0958", "+442079460958"), ("5552100199", "+15552100199"),
    ("210-0199", None), ("(555) 210-0199 x12", None), ("555-210-0199 ext. 4", None), ("", None), (None, None),
    ("055-210-0199", None), ("+0 555", None), ("555-210-01999", None)])
def test_the_number_a_text_can_go_to(phone, number):
    from automations.trackers.values import text_number

    assert text_number(phone) == number
