"""A text fits one segment or is not sent; at most one a day and three a week to a number."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from automations.messages.texts import TextTooLong, fit_text, texts_used_up

ZONE = ZoneInfo("America/New_York")
NOW = datetime(2026, 12, 10, 9, 0, tzinfo=ZONE)


@pytest.mark.parametrize(("length", "fits"), [(159, True), (160, True), (161, False)])
def test_160_plain_characters_fit_and_161_do_not(length, fits):
    body = "x" * length
    if fits:
        assert fit_text(body) == body
    else:
        with pytest.raises(TextTooLong, match="161 characters and one text holds 160"):
            fit_text(body)


@pytest.mark.parametrize(("length", "fits"), [(70, True), (71, False)])
def test_a_character_outside_the_texting_alphabet_halves_the_room(length, fits):
    body = "🙂" + "x" * (length - 1)
    if fits:
        assert fit_text(body) == body
    else:
        with pytest.raises(TextTooLong, match="outside the texting alphabet"):
            fit_text(body)


def test_typographic_quotes_and_dashes_become_what_a_phone_types_and_lines_one_line():
    assert fit_text("Riverbend\u2019s \u201creminder\u201d \u2013 Thu\n  3:00 PM") == "Riverbend's \"reminder\" - Thu 3:00 PM"


def at(delta: timedelta) -> str:
    return (NOW - delta).isoformat()


def test_one_text_a_day_counted_by_the_practices_calendar_day():
    assert texts_used_up([at(timedelta(hours=1))], NOW, ZONE) == "had a text today already (at most one a day)"
    assert texts_used_up([at(timedelta(hours=9, minutes=1))], NOW, ZONE) == ""   # 11:59 PM yesterday


@pytest.mark.parametrize(("ages_in_days", "used_up"), [
    ((1, 2), False), ((1, 2, 3), True), ((1, 2, 7), False), ((1, 2, 6.9), True)])
def test_three_texts_in_seven_days(ages_in_days, used_up):
    sent = [at(timedelta(days=d)) for d in ages_in_days]
    assert bool(texts_used_up(sent, NOW, ZONE)) is used_up
