"""Whatever a VA types, a cell is read or reported: never a crash."""

from datetime import timedelta

from hypothesis import example, given, settings
from hypothesis import strategies as st

from automations.trackers import values
from automations.trackers.reader import read_sheet
from automations.trackers.records import TRACKERS, columns_of

CELLS = st.one_of(
    st.none(), st.booleans(), st.integers(-10**12, 10**12), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30), st.dates(), st.datetimes(), st.times(), st.timedeltas(max_value=timedelta(days=3)),
    st.sampled_from(["#DIV/0!", "#REF!", "N/A", "11/31/2026", "0:53", "$1,2,3", "90834+", "Yes?", "  "]))
PARSERS = [values.parse_text, values.parse_date, values.parse_time, values.parse_minutes, values.parse_money,
           values.parse_count, values.parse_yes_no, values.parse_codes,
           lambda v: values.parse_enum(v, ("completed", "no_show"))]


@settings(max_examples=300, deadline=None, derandomize=True)
@given(CELLS)
@example(0.99999)  # once read as 24:00
def test_every_parser_returns_a_value_or_a_reason(cell):
    for parse in PARSERS:
        try:
            parsed = parse(cell)
        except ValueError as why:
            assert str(why).startswith(("is ", "not ")), why     # a reason a VA reads, not Python's
            continue
        if parse is values.parse_money:
            assert parsed.is_finite()


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.sampled_from(sorted(TRACKERS)), st.lists(st.lists(CELLS, min_size=1, max_size=18), max_size=8))
def test_any_rows_under_a_good_header_are_records_or_reported_cells(tracker, rows):
    header = tuple(spec.name for spec in columns_of(tracker))
    sheet = [(1, header)] + [(n, tuple(row)) for n, row in enumerate(rows, start=2)]
    read = read_sheet(tracker, iter(sheet), file="f.xlsx", sheet="S")
    for issue in read.issues:
        assert issue.file == "f.xlsx" and issue.sheet == "S" and issue.row >= 2 and issue.why


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.sampled_from(sorted(TRACKERS)), st.lists(st.lists(CELLS, min_size=1, max_size=18), max_size=12))
def test_a_sheet_reads_the_same_whatever_the_rows_arrive_in(tracker, rows):
    """Rows come from calamine a few thousand at a time and each column keeps a repeated value once:
    how the rows are cut into stretches never changes a record, its types or a reported cell."""
    from automations.trackers import reader

    header = tuple(spec.name for spec in columns_of(tracker))
    sheet = [(1, header)] + [(n, tuple(row)) for n, row in enumerate(rows, start=2)]
    reads = []
    for chunk_rows in (2, 3, reader.CHUNK_ROWS):
        kept, reader.CHUNK_ROWS = reader.CHUNK_ROWS, chunk_rows
        try:
            read = read_sheet(tracker, iter(sheet), file="f.xlsx", sheet="S")
        finally:
            reader.CHUNK_ROWS = kept
        reads.append(([repr(r) for r in read.records], [repr(i) for i in read.issues]))
    assert reads[0] == reads[1] == reads[2]
