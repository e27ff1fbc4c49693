"""The Swedish text helpers of why templates, the sandbox, and why texts that fail to render."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from jinja2.exceptions import SecurityError
from test_each import _run

from engine.rules.templates import TemplateProblem, compile_why, render_why


def _render(source: str, **names: Any) -> str:
    template, _ = compile_why(source)
    return render_why(template, names)


@pytest.mark.parametrize(("n", "text"), [(0, "0 dagar"), (1, "1 dag"), (2, "2 dagar"), (12, "12 dagar")])
def test_dagar(n: int, text: str) -> None:
    assert _render("{{ n|dagar }}", n=n) == text


def test_datum_and_iso_by_default() -> None:
    d = date(2024, 9, 30)
    assert _render("{{ d|datum }} / {{ d }}", d=d) == "30 september 2024 / 2024-09-30"
    assert _render("{{ d|datum }}", d=date(2025, 1, 1)) == "1 januari 2025"


@pytest.mark.parametrize(("late", "text"), [(0, ", i tid"), (None, ", i tid"), (1, ", 1 dag för sent"),
                                            (19, ", 19 dagar för sent")])
def test_i_tid_eller_sent(late: int | None, text: str) -> None:
    assert _render("{{ i_tid_eller_sent() }}", late_days=late) == text


CALL = "{{ frist_status(klar='Den besvarades', saknas='är den inte besvarad') }}"
BASE = {"as_of": date(2024, 2, 29), "done_on": date(2024, 3, 1)}


@pytest.mark.parametrize(("names", "text"), [
    ({"status": "resolved", "late_days": 8}, "Den besvarades 2024-03-01, 8 dagar för sent."),
    ({"status": "resolved", "late_days": 0}, "Den besvarades 2024-03-01, i tid."),
    ({"status": "overdue", "days_overdue": 7}, "Per 2024-02-29 är den inte besvarad, 7 dagar efter fristen."),
    ({"status": "overdue", "days_overdue": 1}, "Per 2024-02-29 är den inte besvarad, 1 dag efter fristen."),
    ({"status": "due"}, "Sista dag är i dag."),
    ({"status": "upcoming", "days_left": 1}, "Det återstår 1 dag."),
    ({"status": "upcoming", "days_left": 12}, "Det återstår 12 dagar."),
])
def test_frist_status(names: dict[str, Any], text: str) -> None:
    assert _render(CALL, **BASE, **names) == text


def test_frist_status_options() -> None:
    source = ("{{ frist_status(klar='De redovisades', saknas='är redovisningen inte registrerad', "
              "efter=none, i_dag='De ska redovisas vid dagens sammanträde.') }}")
    assert _render(source, status="overdue", as_of=date(2024, 2, 1), days_overdue=3) == (
        "Per 2024-02-01 är redovisningen inte registrerad.")
    assert _render(source, status="due") == "De ska redovisas vid dagens sammanträde."
    period = "{{ frist_status(klar='Inlämnad', saknas='är ingen inlämning för ' ~ period ~ ' registrerad') }}"
    assert _render(period, status="overdue", as_of=date(2026, 3, 31), days_overdue=21, period="2026-03") == (
        "Per 2026-03-31 är ingen inlämning för 2026-03 registrerad, 21 dagar efter fristen.")


def test_unknown_filters_and_syntax_errors_are_load_errors() -> None:
    with pytest.raises(TemplateProblem) as exc:
        compile_why("x\n{{ n|dagr }}")
    assert (exc.value.message, exc.value.line) == ("okänt filter 'dagr'; menade du 'dagar'?", 2)
    with pytest.raises(TemplateProblem) as exc:
        compile_why("{% if x %}")
    assert exc.value.message.startswith("mallfel: ")


def test_helpers_are_not_names_and_the_builtins_are_read() -> None:
    _, used = compile_why("{{ frist_status(klar='a', saknas='b') }} {{ n|dagar }} {{ subject }}")
    assert used == {"n", "subject"}


def test_templates_run_in_the_sandbox() -> None:
    with pytest.raises(TemplateProblem, match="får inte läsas"):
        compile_why("{{ x.__class__.__mro__ }}")
    with pytest.raises(TemplateProblem, match="får inte läsas"):
        compile_why("{{ ''.__class__.__mro__[1].__subclasses__()|length }}")
    with pytest.raises(TemplateProblem, match="lipsum"):
        compile_why("{{ lipsum() }}")
    # a name known only when rendering is stopped by the sandbox itself
    with pytest.raises(SecurityError):
        _render("{{ x|attr(n) }}", x=1, n="__class__")
    with pytest.raises(SecurityError):
        _render("{{ s * n }}", s="ab", n=10**8)


RULE = """
id: test.mall
version: 1
title: Mall
applies_to: obligation
legal_basis: [{text: "Kommunallagen (2017:725) 6 kap. 6 §"}]
finding:
  due: due_on
  why: >
    Rapport {{ subject }}:
    {{ '%d' % title }}
examples:
  - name: en rapport
    as_of: 2026-03-31
    facts:
      obligation: [{id: M, title: Statistik, due_on: 2026-03-01}]
    expect:
      - {subject: M, status: overdue}
"""


def test_a_template_that_fails_for_an_examples_data_fails_the_test(tmp_path: Path) -> None:
    code, out = _run(tmp_path, RULE, {}, "rules", "test")
    assert code == 1 and "Traceback" not in out
    assert "FEL  test.mall: en rapport" in out
    assert "regel.yaml:9: why för test.mall/M kunde inte skrivas: värden av fel typ" in out


def test_check_names_a_rule_whose_template_fails_and_goes_on(tmp_path: Path) -> None:
    """Like any rule that fails in a run: left out, named, exit 3 (see engine/materialize.py)."""
    files = {"o.yaml": "obligations:\n  - {id: M, title: Statistik, due_on: 2026-03-01}\n"}
    code, out = _run(tmp_path, RULE, files, "check", "--as-of", "2026-03-31")
    assert code == 3 and "Traceback" not in out
    assert "regel.yaml:9: why för test.mall/M kunde inte skrivas" in out
