"""The personnummer scanner: examples, samordningsnummer, and hypothesis properties."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from stdnum import luhn
from stdnum.se import personnummer

from notifications.privacy import (
    PersonalDataError,
    assert_no_personal_data,
    find_personnummer,
    redact,
)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("pnr 19121212-1212 i texten", ["19121212-1212"]),
        ("121212-1212", ["121212-1212"]),
        ("201212121212.", ["201212121212"]),
        ("1212121212", ["1212121212"]),
        ("hundraåring 121212+1212", ["121212+1212"]),
        ("19121212+1212", ["19121212+1212"]),
        ("med mellanslag 19121212 1212", ["19121212 1212"]),
        ("samordningsnummer 701063-2391", ["701063-2391"]),
        ("19121212-1213", []),  # Luhn fails
        ("19121312-1212", []),  # no month 13
        ("701093-2391", []),  # day 33 (93 - 60)
        ("2019121212121", []),  # 13 digits: part of a longer number
        ("x1912121212125", []),
        ("AO-2024-0012, 2024-09-30, 14 dagar", []),
        ("19121212-1212 och 19121212-1212", ["19121212-1212"]),
        ("a:121212-1212,b:201212121212", ["121212-1212", "201212121212"]),
    ],
)
def test_examples(text: str, found: list[str]) -> None:
    assert find_personnummer(text) == found


def test_assert_and_redact() -> None:
    assert_no_personal_data("AO-2024-0012", None, "19121212-1213")
    with pytest.raises(PersonalDataError) as err:
        assert_no_personal_data("ok", "19121212-1212 och 121212-1212")
    assert err.value.count == 2 and "1212" not in str(err.value)
    assert redact("550 anna@ex.se 19121212-1212") == "550 <adress> <personnummer>"


@st.composite
def valid_pnr(draw: st.DrawFn) -> str:
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2023, 12, 31)))
    serial = draw(st.integers(min_value=0, max_value=999))
    samordning = draw(st.booleans())
    day = born.day + 60 if samordning else born.day
    body = f"{born:%y%m}{day:02d}{serial:03d}"
    ten = body + luhn.calc_check_digit(body)
    form = draw(st.sampled_from(["12", "12-", "10", "10-"]))
    if form.startswith("12"):
        pnr = f"{born.year // 100}{ten}"
    else:
        # a 10-digit number must read as the right century: the '+' marks 100 years or more
        pnr = ten
        if born.year < date.today().year - 99:
            form = "10+"
    sep = form[2:]
    out = f"{pnr[:-4]}{sep}{pnr[-4:]}" if sep else pnr
    if not samordning:
        assert personnummer.is_valid(out), out  # the generator itself is right
    return out


# text around a number must not continue its digit run
edge = st.text(max_size=30).filter(lambda s: not s or not s[-1].isdigit())
tail = st.text(max_size=30).filter(lambda s: not s or not s[0].isdigit())


@settings(max_examples=300)
@given(st.text(max_size=300))
def test_never_crashes(text: str) -> None:
    found = find_personnummer(text)
    assert all(f in text for f in found)
    assert len(found) == len(set(found))


@settings(max_examples=300)
@given(edge, valid_pnr(), tail)
def test_finds_every_embedded_pnr(before: str, pnr: str, after: str) -> None:
    # letters on both sides make it part of a word, a hash or a run id (facts.personnummer)
    assume(not (before[-1:].isalpha() and after[:1].isalpha()))
    assert pnr in find_personnummer(before + pnr + after)
    with pytest.raises(PersonalDataError):
        assert_no_personal_data(before + pnr + after)


@settings(max_examples=200)
@given(edge, valid_pnr(), tail)
def test_wrong_check_digit_is_not_a_match(before: str, pnr: str, after: str) -> None:
    wrong = pnr[:-1] + str((int(pnr[-1]) + 1) % 10)
    assert wrong not in find_personnummer(before + wrong + after)
