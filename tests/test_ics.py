"""Calendar feeds: parsed back with icalendar, one event per open deadline, stable UIDs across
runs, SEQUENCE and STATUS:CANCELLED when a finding changes or is met."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import icalendar
from conftest import SV_HEADERS, Bevaka, write_csv

from facts.personnummer import find_personnummer


def _events(path: Path) -> dict[str, icalendar.Event]:
    text = path.read_text(encoding="utf-8")
    assert not find_personnummer(text)
    cal = icalendar.Calendar.from_ical(text)
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def _register(path: Path, executed: str = "") -> Path:
    rows = [["AO-1", "SoL", "ÄO", "Hemtjänst", "2024-06-10", executed, "", "", "Kvinna", "1931",
             "bistand_ao"],
            ["AO-2", "LSS", "LSS", "Boende", "2024-07-01", "", "", "", "Man", "1990", "bistand_ao"],
            ["AO-3", "SoL", "ÄO", "SÄBO", "2024-01-15", "2024-03-01", "", "", "", "", "enhetschef"]]
    return write_csv(path, SV_HEADERS, rows)


def test_a_roles_feed_across_runs(bevaka: Bevaka, tmp_path: Path) -> None:
    bevaka.ok("import", str(_register(tmp_path / "beslut.csv")))
    bevaka.ok("check", "--as-of", "2024-09-01")
    out = tmp_path / "a.ics"
    result = bevaka.ok("ics", "--role", "bistand_ao", "--out", str(out))
    assert "2 öppna frister, 0 inställda" in result.output
    first = _events(out)
    assert set(first) == {"ivo.ej-verkstallt/AO-1", "ivo.ej-verkstallt/AO-2"}
    ev = first["ivo.ej-verkstallt/AO-1"]
    assert ev["STATUS"] == "CONFIRMED" and ev.decoded("DTSTART") == date(2024, 9, 10)
    assert int(ev["SEQUENCE"]) == 0 and "AO-1" in str(ev["SUMMARY"])
    assert "1931" not in out.read_text(encoding="utf-8") and "Kvinna" not in out.read_text(encoding="utf-8")
    (alarm,) = ev.walk("VALARM")
    assert alarm.decoded("TRIGGER") == timedelta(days=-14)  # config warn_days (default 14)
    # the address of the role gives the same feed
    bevaka.ok("ics", "--role", "bistand.ao@kommun.example", "--out", str(tmp_path / "adr.ics"))
    assert set(_events(tmp_path / "adr.ics")) == set(first)

    # a later run: AO-1 is now overdue (changed), then executed (met): same UIDs, new SEQUENCE
    bevaka.ok("check", "--as-of", "2024-09-20")
    bevaka.ok("ics", "--role", "bistand_ao", "--out", str(out))
    second = _events(out)
    assert set(second) == set(first)
    assert second["ivo.ej-verkstallt/AO-1"]["STATUS"] == "CONFIRMED"
    assert int(second["ivo.ej-verkstallt/AO-1"]["SEQUENCE"]) == 1
    bevaka.ok("import", str(_register(tmp_path / "beslut.csv", executed="2024-09-25")))
    bevaka.ok("check", "--as-of", "2024-09-30")
    result = bevaka.ok("ics", "--role", "bistand_ao", "--out", str(out))
    assert "1 öppen frist, 1 inställd" in result.output
    third = _events(out)
    met = third["ivo.ej-verkstallt/AO-1"]
    assert met["STATUS"] == "CANCELLED"
    assert int(met["SEQUENCE"]) > int(second["ivo.ej-verkstallt/AO-1"]["SEQUENCE"])
    assert third["ivo.ej-verkstallt/AO-2"]["STATUS"] == "CONFIRMED"
    assert not met.walk("VALARM")


def test_an_unknown_role_and_a_database_without_runs_are_one_line(bevaka: Bevaka, tmp_path: Path) -> None:
    bevaka.ok("import", str(_register(tmp_path / "beslut.csv")))
    result = bevaka.run("ics", "--role", "bistand_ao", "--out", str(tmp_path / "x.ics"))
    assert result.exit_code == 1 and "ingen loggad körning" in result.output
    result = bevaka.run("ics", "--role", "okand_roll", "--out", str(tmp_path / "x.ics"))
    assert result.exit_code == 1 and "ingen roll med det namnet" in result.output
