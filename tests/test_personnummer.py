"""The one personnummer scanner (facts.personnummer): every common written form is found, and
dates, phone numbers, amounts and case references are not (hypothesis, both ways)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pnr_forms import written_numbers

from facts.personnummer import (
    contains_personnummer,
    find_personnummer,
    is_personnummer,
    replace_personnummer,
)


@pytest.mark.parametrize("text", [
    "12 12 12-1212", "121212 - 1212", "121212–1212", "121212—1212", "121212\u22121212",
    "121212\u20111212", "121212\u00a01212", "12\u200912\u200912\u20091212", "121212-\n1212",
    "121212\r\n-1212", "1212 12-1212", "19 12 12 12-1212", "19121212 – 1212", "191212121212",
    "121212+1212", "121272-1219", "19121272 1219", "12 12 12-12 12", "121212\u00ad1212",
])
def test_every_common_written_form_is_found(text: str) -> None:
    assert find_personnummer(f"se {text}, tack") == [text]
    assert find_personnummer(f"pnr{text}") == find_personnummer(f"{text}x") == [text]
    assert is_personnummer(text) and contains_personnummer(text)


@pytest.mark.parametrize("text", [
    "D-2024-0012", "AO-2024-001234", "Dnr 2024/001234", "2024-12-12", "20241212",
    "2024-12-12 – 2025-01-01", "241212-241231", "20241212 - 20241231", "12.12.2024 12:12",
    "070-123 45 67", "070 123 45 67", "08-12 34 56", "+46 70 123 45 67", "0771-12 34 56",
    "12 345 678 kr", "1 234 567,50 kr", "123 456 789 012", "12 123 12 12",
    "121212-1213", "121312-1212",
    "d3ab88f80601a737d15fa5e8bd29071e3996d6bed4f30adc1901666535c66f0b",  # a hash, not a pnr
])
def test_dates_phones_amounts_and_case_refs_are_not(text: str) -> None:
    assert find_personnummer(text) == [] and not contains_personnummer(text)


@settings(max_examples=400)
@given(written_numbers(), st.sampled_from(["", "pnr ", "(", "Ärende: ", "AO", "a"]),
       st.sampled_from(["", ".", " flyttade", ")", "\n"]))
def test_any_written_form_is_found_with_its_digits(form: tuple[str, str], before: str,
                                                   after: str) -> None:
    text, ten = form
    found = find_personnummer(before + text + after)
    assert found == [text]
    assert re.sub(r"\D", "", found[0])[-10:] == ten
    assert replace_personnummer(before + text + after, "X") == before + "X" + after


@settings(max_examples=200)
@given(written_numbers())
def test_a_wrong_check_digit_is_not_a_match(form: tuple[str, str]) -> None:
    text, _ = form
    wrong = text[:-1] + str((int(text[-1]) + 1) % 10)
    assert find_personnummer(wrong) == []


dates = st.dates().map(lambda d: st.sampled_from([
    d.isoformat(), f"{d:%Y%m%d}", f"{d:%d.%m.%Y}", f"{d:%d/%m %Y}", f"{d:%y%m%d}",
    f"{d:%Y-%m-%d} 12:30", f"{d:%-d %B %Y}"])).flatmap(lambda s: s)
date_ranges = st.tuples(st.dates(), st.dates(), st.sampled_from(["-", "–", " - ", " – "])).map(
    lambda t: f"{t[0]:%Y%m%d}{t[2]}{t[1]:%Y%m%d}")
digits = st.text("0123456789", min_size=1, max_size=1)


def _d(n: int) -> st.SearchStrategy[str]:
    return st.text("0123456789", min_size=n, max_size=n)


phones = st.one_of(
    st.tuples(_d(2), _d(3), _d(2), _d(2)).map(lambda t: f"07{t[0][0]}-{t[1]} {t[2]} {t[3]}"),
    st.tuples(_d(3), _d(2), _d(2)).map(lambda t: f"070 {t[0]} {t[1]} {t[2]}"),
    st.tuples(_d(1), _d(3), _d(2), _d(2)).map(lambda t: f"+46 7{t[0]} {t[1]} {t[2]} {t[3]}"),
    st.tuples(_d(2), _d(2), _d(2)).map(lambda t: f"08-{t[0]} {t[1]} {t[2]}"),
    st.tuples(_d(2), _d(3), _d(2), _d(2)).map(lambda t: f"0{t[0]}-{t[1]} {t[2]} {t[3]}"),
)
amounts = st.integers(0, 10**12).map(lambda n: f"{n:,}".replace(",", " ") + " kr")
case_refs = st.tuples(st.text("ABDLOSVÅÄÖ", min_size=1, max_size=4), st.integers(1990, 2030),
                      st.integers(0, 999_999), st.sampled_from(["-", "/", ":"])).map(
    lambda t: f"{t[0]}-{t[1]}{t[3]}{t[2]:0{len(str(t[2]))}d}")


@settings(max_examples=500)
@given(st.lists(st.one_of(dates, date_ranges, phones, amounts, case_refs), min_size=1,
                max_size=4))
def test_no_false_positive_in_dates_phones_amounts_or_case_refs(parts: list[str]) -> None:
    assert find_personnummer(", ".join(parts)) == []


@settings(max_examples=300)
@given(st.text(max_size=300))
def test_never_crashes_and_finds_only_what_is_there(text: str) -> None:
    found = find_personnummer(text)
    assert all(f in text for f in found) and len(found) == len(set(found))
    assert all(is_personnummer(f) for f in found)
    assert not find_personnummer(replace_personnummer(text, "#"))
