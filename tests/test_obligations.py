"""Recurring obligations on any topic are watched by their own schedules
(``skyldighet.aterkommande``): one register with Swedish headers, a topic no rule names
(``trygghet``), every schedule form, the expected dates written out by hand."""

from __future__ import annotations

import json
from datetime import date

import pytest
from conftest import Bevaka, write_csv
from hypothesis import given
from hypothesis import strategies as st

from engine.calendar import month_end, roll_forward
from facts.schedules import parse_schedule
from facts.vocabulary import MONTHS

HEADERS = ["Id", "Rubrik", "Ämne", "Ansvarig", "Avtalsår", "Schema", "Helgflytt", "Eskaleras till"]
ROWS = [
    ["M-1", "Månadsrapport", "trygghet", "enhetschef", 2024, "senast den 15:e varje månad", "", ""],
    ["M-2", "Månadsvis kontroll", "trygghet", "enhetschef", 2024, "Månadsvis", "nej", ""],
    ["Q-1", "Kvartalsrapport", "trygghet", "enhetschef", 2024, "Kvartalsvis", "", ""],
    ["H-1", "Halvårsrapport", "trygghet", "enhetschef", 2024, "Två gånger per år", "", ""],
    ["Y-1", "Årsrapport i maj", "trygghet", "enhetschef", 2024, "I maj varje år", "", ""],
    ["Y-2", "Handlingsplan", "trygghet", "enhetschef", 2024, "senast i februari", "", ""],
    ["Y-3", "Ansökan", "trygghet", "enhetschef", 2024, "senast den 1 mars varje år", "", ""],
    ["B-1", "Underlag före nämnd", "trygghet", "enhetschef", 2024,
     "24 dagar före varje sammanträde i VON", "", "sakkunnig"],
    ["B-2", "Underlag i arbetsdagar", "trygghet", "enhetschef", 2024,
     "10 arbetsdagar före varje sammanträde", "", ""],
    ["A-1", "Rapport vid nämnd", "trygghet", "enhetschef", 2024,
     "vid sammanträdena i maj och november", "", ""],
    ["F-1", "Årets första", "trygghet", "enhetschef", 2024, "vid årets första sammanträde", "", ""],
]
MEETINGS = [["VON", "2024-01-24"], ["VON", "2024-04-25"], ["VON", "2024-05-22"],
            ["VON", "2024-11-20"]]

EXPECTED = {
    # monthly by a day: 2024-06-15 is a Saturday, rolled forward to Monday 2024-06-17
    "M-1/2024-05-01": "2024-05-15", "M-1/2024-06-01": "2024-06-17",
    # monthly without a day, Helgflytt nej: the month's last day, also Sunday 2024-03-31
    "M-2/2024-03-01": "2024-03-31", "M-2/2024-06-01": "2024-06-30",
    # quarterly: 2024-03-31 (Easter Day) and 2024-04-01 (Easter Monday) → 2024-04-02
    "Q-1/2024-01-01": "2024-04-02", "Q-1/2024-04-01": "2024-07-01",
    # twice a year: 30 June (a Sunday) → 2024-07-01
    "H-1/2024-06-01": "2024-07-01",
    "Y-1/2024-05-01": "2024-05-31", "Y-2/2024-02-01": "2024-02-29", "Y-3/2024-03-01": "2024-03-01",
    # 24 days before 2024-04-25 is Easter Monday → 2024-04-02; 10 working days before
    # 2024-05-22, skipping Ascension Day 2024-05-09 → 2024-05-07
    "B-1/2024-04-25": "2024-04-02", "B-1/2024-05-22": "2024-04-29",
    "B-2/2024-05-22": "2024-05-07",
    "A-1/2024-05-22": "2024-05-22", "A-1/2024-11-20": "2024-11-20",
    "F-1/2024-01-01": "2024-01-24",
}


@pytest.fixture
def watched(bevaka: Bevaka) -> Bevaka:
    bevaka.ok("import", str(write_csv(bevaka.tmp / "skyldigheter.csv", HEADERS, ROWS)),
              str(write_csv(bevaka.tmp / "moten.csv", ["Nämnd", "Datum"], MEETINGS)))
    return bevaka


def _due(bevaka: Bevaka, as_of: str) -> dict[str, dict]:
    out = bevaka.ok("check", "--as-of", as_of, "--rule", "skyldighet.aterkommande", "--json").output
    return {f["id"].removeprefix("skyldighet.aterkommande/"): f for f in json.loads(out)}


def test_every_schedule_form_on_a_topic_no_rule_names(watched: Bevaka) -> None:
    seen: dict[str, str] = {}
    for as_of in ("2024-01-24", "2024-03-05", "2024-04-20", "2024-05-22", "2024-07-01",
                  "2024-11-20"):
        seen.update({k: f["due_on"] for k, f in _due(watched, as_of).items()})
    assert {k: seen.get(k) for k in EXPECTED} == EXPECTED
    # at named meetings: only May and November, not January or April
    assert not [k for k in seen if k.startswith("A-1/") and k not in EXPECTED]


def test_a_report_before_a_meeting_escalates_on_the_meeting_day(watched: Bevaka) -> None:
    before = _due(watched, "2024-04-24")["B-1/2024-04-25"]
    assert (before["status"], before["escalated"], before["recipients"]) == (
        "overdue", False, ["enhetschef"])
    on = _due(watched, "2024-04-25")["B-1/2024-04-25"]
    assert (on["escalated"], on["recipients"]) == (True, ["enhetschef", "sakkunnig"])
    assert "inför sammanträdet 2024-04-25 (VON)" in on["why"]


def test_a_submission_for_the_period_meets_the_occurrence(watched: Bevaka) -> None:
    watched.ok("import", str(write_csv(watched.tmp / "inlamnat.csv", ["Rapport", "Inlämnad", "Period"],
                                       [["Y-2", "2024-02-20", "2024"], ["A-1", "2024-05-22", "2024-05-22"],
                                        ["Q-1", "2024-04-10", "2024Q1"]])))
    found = _due(watched, "2024-05-22")
    assert (found["Y-2/2024-02-01"]["status"], found["Y-2/2024-02-01"]["late_days"]) == ("resolved", 0)
    assert found["A-1/2024-05-22"]["status"] == "resolved"
    assert found["Q-1/2024-01-01"]["late_days"] == 8


@given(st.sampled_from(MONTHS), st.integers(2000, 2100), st.booleans())
def test_senast_i_month_parses_to_the_months_last_day(month: str, year: int, upper: bool) -> None:
    text = f"senast i {month.capitalize() if upper else month}"
    parsed = parse_schedule(text)
    m = MONTHS.index(month) + 1
    assert (parsed["frequency"], parsed["months"], parsed["month"]) == ("yearly", str(m), m)
    assert roll_forward(month_end(date(year, m, 1))) >= month_end(date(year, m, 1))


@pytest.mark.parametrize("text", ["varannan vecka", "senast i smörmånad", "0 dagar efter mötet",
                                  "vid sammanträdena i"])
def test_schedules_bevaka_does_not_understand_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="inget schema bevaka förstår"):
        parse_schedule(text)
