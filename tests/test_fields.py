"""The shared field types and the Swedish vocabulary (facts/fields.py, facts/vocabulary.py).

Property tests for the parsers every fact type uses — numbers, whole numbers, years, months,
yes/no, case references — including the values that used to crash an import (``1e309``,
``inf``, a huge integer, a number in a text column), and real imports of such files into a
real SQLite store.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import open_db, write_csv, write_xlsx
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import facts
from facts.due_values import parse_due
from facts.fields import (
    check_case_ref,
    parse_months,
    parse_number,
    parse_whole,
    parse_year,
    text_cell,
    yes_no,
)
from facts.schedules import parse_schedule
from facts.store import content_hash, fact_record
from facts.types import FACT_TYPES, FactType, normalise_header
from facts.vocabulary import MONTH_ABBREVIATIONS, MONTH_WORDS, MONTHS, NO_WORDS, YES_WORDS

SPACES = [" ", "\u00a0", "\u202f"]


def _grouped(n: int, space: str) -> str:
    """``12500`` → ``12 500`` (digits in groups of three, as registers print them)."""
    digits = str(abs(n))
    groups = []
    while digits:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    return ("-" if n < 0 else "") + space.join(groups)


# ---- numbers ---------------------------------------------------------------------------


@given(st.integers(-10**12, 10**12), st.integers(0, 99), st.sampled_from(SPACES),
       st.booleans(), st.booleans())
def test_a_swedish_number_reads_as_written(whole: int, cents: int, space: str, decimal: bool,
                                           percent: bool) -> None:
    text = _grouped(whole, space) + (f",{cents:02d}" if decimal else "") + (" %" if percent else "")
    expected = float(f"{whole}.{cents:02d}") if decimal else float(whole)
    assert parse_number(text) == pytest.approx(expected)
    assert parse_number(f"  {text}  ") == pytest.approx(expected)


@given(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**400, 10**400)))
def test_a_number_is_finite_or_rejected_in_swedish(value: float | int) -> None:
    try:
        number = parse_number(value, "belopp i tkr")
    except ValueError as exc:
        assert "är inget belopp i tkr" in str(exc)
        assert isinstance(value, int) or not math.isfinite(value)
        return
    assert number is not None and math.isfinite(number)


@pytest.mark.parametrize("value", ["1e309", "-1e309", "inf", "-inf", "Infinity", "nan", "NaN",
                                   float("inf"), float("-inf"), float("nan"), 10**400, "1_000"])
def test_infinite_and_not_a_number_are_rejected(value: Any) -> None:
    with pytest.raises(ValueError, match="är inget antal"):
        parse_number(value, "antal")
    with pytest.raises(ValueError, match="är inget antal; skriv ett heltal"):
        parse_whole(value, "antal")


@given(st.text(max_size=20))
def test_any_text_is_a_number_or_a_swedish_error(text: str) -> None:
    try:
        number = parse_number(text)
    except ValueError as exc:
        assert "är inget tal" in str(exc)
        return
    assert number is None or math.isfinite(number)


@given(st.integers(-(2**53) + 1, 2**53 - 1), st.sampled_from(SPACES))
def test_a_whole_number_reads_in_every_form(n: int, space: str) -> None:
    for form in (n, float(n), str(n), _grouped(n, space), f"{n}.0", f"{n},0", f"{n}."):
        assert parse_whole(form) == n


@given(st.integers(0, 10**6), st.integers(1, 99))
def test_a_fraction_is_not_a_whole_number(n: int, cents: int) -> None:
    with pytest.raises(ValueError, match="är inget antal; skriv ett heltal"):
        parse_whole(f"{n},{cents:02d}", "antal")


# ---- years -----------------------------------------------------------------------------


@given(st.integers(2000, 2100))
def test_a_year_in_range_reads_in_every_form(year: int) -> None:
    for form in (year, float(year), str(year), f" {year} ", f"{year}.0"):
        assert parse_year(form) == year


@given(st.one_of(st.integers(), st.floats(allow_nan=True, allow_infinity=True),
                 st.text(max_size=8)))
def test_a_year_is_in_range_or_rejected_in_swedish(value: Any) -> None:
    try:
        year = parse_year(value)
    except ValueError as exc:
        assert "är inget årtal (2000–2100)" in str(exc)
        return
    assert year is None or 2000 <= year <= 2100


# ---- months ----------------------------------------------------------------------------

_SEPARATORS = [" och ", ", ", "/", " samt ", " & ", " + ", ";", " ", ", och "]


@st.composite
def _month_word(draw: st.DrawFn, month: int) -> str:
    forms = [MONTHS[month - 1], str(month)]
    forms += [w for w, m in MONTH_ABBREVIATIONS.items() if m == month]
    forms += [f"{w}." for w, m in MONTH_ABBREVIATIONS.items() if m == month]
    word = draw(st.sampled_from(forms))
    return draw(st.sampled_from([word, word.capitalize(), word.upper()]))


@given(st.data(), st.lists(st.integers(1, 12), min_size=1, max_size=6))
def test_a_month_list_reads_in_any_spelling(data: st.DataObject, months: list[int]) -> None:
    words = [data.draw(_month_word(m)) for m in months]
    text = words[0]
    for word in words[1:]:
        text += data.draw(st.sampled_from(_SEPARATORS)) + word
    assert parse_months(text) == sorted(set(months))


@given(st.text(max_size=25))
def test_any_text_is_a_month_list_or_a_swedish_error(text: str) -> None:
    try:
        months = parse_months(text, most=4)
    except ValueError as exc:
        assert "månad" in str(exc)
        return
    assert months == sorted(set(months)) and 1 <= len(months) <= 4
    assert all(1 <= m <= 12 for m in months)


@pytest.mark.parametrize(("word", "month"), sorted(MONTH_WORDS.items()))
def test_every_month_word_means_the_same_month_everywhere(word: str, month: int) -> None:
    """One vocabulary: internal control, the balanslista and the agreement schedules."""
    assert parse_months(word.capitalize()) == [month]
    assert parse_due(f"{word.capitalize()} 2024").month == month
    assert parse_schedule(f"I {word} varje år")["month"] == month
    if month != 2 or word != "februari":
        assert parse_schedule(f"senast den 1 {word} varje år")["month"] == month


# ---- yes/no ----------------------------------------------------------------------------


@given(st.sampled_from(sorted(YES_WORDS)), st.sampled_from(["", " ", "  "]), st.booleans())
def test_yes_words(word: str, pad: str, upper: bool) -> None:
    assert yes_no(pad + (word.upper() if upper else word) + pad) is True


@given(st.sampled_from(sorted(NO_WORDS - {""})), st.sampled_from(["", " "]), st.booleans())
def test_no_words(word: str, pad: str, upper: bool) -> None:
    assert yes_no(pad + (word.upper() if upper else word) + pad) is False


@given(st.one_of(st.text(max_size=10), st.integers(), st.floats(allow_nan=True)))
def test_yes_no_is_a_bool_none_or_a_swedish_error(value: Any) -> None:
    try:
        answer = yes_no(value, "ja/nej-värde")
    except ValueError as exc:
        assert "är inget ja/nej-värde; skriv Ja eller Nej" in str(exc)
        return
    assert answer in (True, False, None)


# ---- case references and text cells ----------------------------------------------------


def _luhn_digit(nine: str) -> str:
    total = 0
    for i, ch in enumerate(nine):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


@given(st.dates(date(1900, 1, 1), date(2024, 12, 31)), st.integers(0, 999), st.booleans(),
       st.sampled_from(["-", "", "+"]), st.booleans())
def test_a_personnummer_or_samordningsnummer_is_never_a_case_ref(
        born: date, serial: int, samordning: bool, sep: str, century: bool) -> None:
    day = born.day + (60 if samordning else 0)
    nine = f"{born:%y%m}{day:02d}{serial:03d}"
    number = nine[:6] + sep + nine[6:] + _luhn_digit(nine)
    if century:
        number = f"{born.year // 100}{number}"
    with pytest.raises(ValueError, match="ser ut som ett personnummer"):
        check_case_ref(number)


@given(st.integers(1, 10**9))
def test_a_spreadsheet_number_is_a_case_ref_as_text(n: int) -> None:
    assert check_case_ref(float(n)) == check_case_ref(n) == str(n)
    assert text_cell(float(n)) == str(n)


def test_an_empty_case_ref_is_missing() -> None:
    for empty in (None, "", "  "):
        with pytest.raises(ValueError, match="ärendenummer saknas"):
            check_case_ref(empty)


# ---- every fact type: headers from the fields, and no crash for any cell ----------------

TYPES = list(FACT_TYPES.values())


@pytest.mark.parametrize("ft", TYPES, ids=[t.name for t in TYPES])
def test_headers_are_declared_on_the_model_fields(ft: FactType) -> None:
    assert ft.headers, f"{ft.name} declares no headers"
    for norm, name in ft.headers.items():
        declared = ft.model.model_fields[name].json_schema_extra
        assert isinstance(declared, dict)
        assert norm in {normalise_header(h) for h in declared["headers"]}  # type: ignore[union-attr]
        assert ft.header_for(name) == declared["headers"][0]  # type: ignore[index]


@settings(max_examples=60)
@given(st.data())
def test_header_variants_find_their_field(data: st.DataObject) -> None:
    ft = data.draw(st.sampled_from(TYPES))
    header, name = data.draw(st.sampled_from(sorted(ft.headers.items())))
    variant = data.draw(st.sampled_from([header.upper(), header.capitalize(), f"  {header} ",
                                         f"{header}.", f"{header}:", header.replace(" ", "   ")]))
    assert ft.field_for(variant) == name
    assert ft.field_for(name) == name  # the English field name always works


_CELLS = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**30), 10**30),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=15),
    st.dates(), st.datetimes(),
    st.sampled_from(["1e309", "inf", "NaN", "12 500", "80 %", "8.0", "Ja", "Mars och september",
                     "VON maj/nov", "Q1 2024", "2024-13-01", "19121212-1212", "ekonom"]),
)


@settings(max_examples=300)
@given(st.data())
def test_any_cell_in_any_column_is_a_fact_or_a_validation_error(data: st.DataObject) -> None:
    ft = data.draw(st.sampled_from(TYPES))
    columns = sorted({*ft.headers.values()})
    row = {name: data.draw(_CELLS) for name in data.draw(st.lists(st.sampled_from(columns),
                                                                   max_size=6, unique=True))}
    try:
        model = ft.model.model_validate(row)
    except ValidationError:
        return
    content_hash(fact_record(model))  # a valid fact can be stored


# ---- remembered parsers ------------------------------------------------------------------


def _remembering_parsers() -> dict[str, Any]:
    """Every field validator of every fact type that remembers results (``.plain`` is the
    parser it wraps), by ``type.field``."""
    found: dict[str, Any] = {}
    for ft in TYPES:
        for name, info in ft.model.model_fields.items():
            for meta in info.metadata:
                parse = getattr(meta, "func", None)
                if hasattr(parse, "plain"):
                    found[f"{ft.name}.{name}"] = parse
    return found


REMEMBERING = _remembering_parsers()
_TEXTS = st.one_of(
    st.text(max_size=12), st.from_regex(r"\s?\d{2,4}-?\d{1,2}-?\d{1,2}\s?", fullmatch=True),
    st.from_regex(r"-?\d{1,6}([.,]\d{0,3})?( ?%)?", fullmatch=True),
    st.sampled_from(["240628", "20240230", "45471", "45471.0", " 2024 ", "1936.0", "Ja", "nej",
                     "X", "Bistand_AO", "a@b.se", "Anna Svensson", "mars, sep", "3,9", "o", ""]),
)


def _outcome(parse: Any, cell: Any) -> tuple[str, type, str]:
    try:
        value = parse(cell)
    except ValueError as exc:
        return "fel", type(exc), str(exc)
    return "ok", type(value), repr(value)


def test_the_shared_types_remember_their_parsers() -> None:
    assert {"decision.decided_on", "decision.executed_on", "decision.officer", "decision.area",
            "decision.birth_year", "control_point.months_measured"} <= set(REMEMBERING)


@settings(max_examples=500)
@given(st.sampled_from(sorted(REMEMBERING)), st.one_of(_TEXTS, _CELLS))
def test_a_remembered_parser_agrees_with_the_plain_one(field: str, cell: Any) -> None:
    parse = REMEMBERING[field]
    expected = _outcome(parse.plain, cell)
    assert _outcome(parse, cell) == expected  # the first time: parsed (and remembered)
    assert _outcome(parse, cell) == expected  # again: remembered, or parsed again after an error


# ---- real files into a real store --------------------------------------------------------

CONTROL_HEADERS = ["Plan", "Nr", "Rutin/System (område)", "Kontrollmoment", "Kontrollansvarig",
                   "Omfattning", "Mätmånader", "Rapportering", "Konsekvens", "Sannolikhet"]


def test_numeric_cells_in_text_columns_of_an_xlsx_plan_are_text(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "plan.xlsx", CONTROL_HEADERS, [
        ["Internkontrollplan 2024 VON", 1, 2024, "Kontroll", "MAS", 5, 3, "VON maj/nov", 4, 3],
        ["Internkontrollplan 2024 VON", 2.0, "Avvikelser", 7.0, "mas", 10.0, 9.0, "VON maj/nov",
         3.0, 2.0],
    ])
    db = open_db(tmp_path / "bevaka.db")
    facts.import_files(db, [path])
    rows = {r["nr"]: r for r in facts.load_facts(db, facts.fact_type("control_point"))}
    assert (rows[1]["area"], rows[1]["scope"], rows[1]["required_sample"]) == ("2024", "5", 5)
    assert (rows[1]["months_measured"], rows[1]["measure_months"]) == ("3", "3")
    assert (rows[2]["control_step"], rows[2]["scope"], rows[2]["required_sample"]) == ("7", "10", 10)
    assert (rows[2]["months_measured"], rows[2]["measure_month_1"]) == ("9", 9)


def test_infinite_and_huge_numbers_reject_the_file_in_swedish(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "kvalitet.csv",
                     ["Register", "Verksamhet", "År", "Täljare", "Nämnare", "Målvärde"],
                     [["HALT", "säbo", 2024, "1e309", 10, 80],
                      ["BPSD", "säbo", "inf", 1, 10, 80],
                      ["SveDem", "säbo", 2024, 1, 10, "NaN"],
                      ["Senior alert", "säbo", 2024, 1, 10**30, 80]])
    db = open_db(tmp_path / "bevaka.db")
    with pytest.raises(facts.FactImportError) as exc:
        facts.import_files(db, [path])
    assert exc.value.problems == [
        "rad 2, kolumn Täljare: '1e309' är inget antal; skriv ett heltal",
        "rad 3, kolumn År: 'inf' är inget årtal (2000–2100)",
        "rad 4, kolumn Målvärde: 'NaN' är inget målvärde i procent",
        "rad 5, kolumn Nämnare: '1000000000000000000000000000000' är inget antal; skriv ett heltal",
    ]
    assert facts.load_facts(db, facts.fact_type("quality_outcome")) == []


def test_infinity_in_yaml_rejects_the_file_in_swedish(tmp_path: Path) -> None:
    path = tmp_path / "investeringar.yaml"
    path.write_text("investments:\n"
                    "  - {id: INV-1, title: Larm, cost_tkr: .inf}\n"
                    "  - {id: INV-2, title: Larm, cost_tkr: 100, year: .nan}\n", encoding="utf-8")
    db = open_db(tmp_path / "bevaka.db")
    with pytest.raises(facts.FactImportError) as exc:
        facts.import_files(db, [path])
    assert exc.value.problems == ["rad 2, kolumn cost_tkr: inf är inget belopp i tkr",
                                  "rad 3, kolumn year: nan är inget årtal (2000–2100)"]


def test_a_datetime_cell_in_a_text_column_is_its_date(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "beslut.xlsx", ["Ärende", "Lag", "Beslutsdatum", "Anteckning"],
                      [["D-1", "SoL", date(2024, 6, 28), datetime(2024, 7, 1)]])
    db = open_db(tmp_path / "bevaka.db")
    facts.import_files(db, [path])
    assert facts.load_facts(db, facts.fact_type("decision"))[0]["note"] == "2024-07-01"
