"""The ``why`` templates: a sandboxed Jinja2 environment with Swedish text helpers.

Every why template can use, besides the rule's names and the built-in finding names:

* ``{{ n|dagar }}``: "1 dag", "12 dagar";
* ``{{ d|datum }}``: "30 september 2024" (a date printed without it stays ISO, 2024-09-30);
* ``{{ i_tid_eller_sent() }}``: ", i tid" or ", 19 dagar för sent" (from ``late_days``);
* ``{{ frist_status(klar=…, saknas=…, efter='fristen', i_dag='Sista dag är i dag.') }}``:
  the sentence for the finding's status: "<klar> <done_on>, i tid." when resolved,
  "Per <as_of> <saknas>, N dagar efter <efter>." when overdue (without the days when
  ``efter`` is none), ``i_dag`` when due, and "Det återstår N dagar." when upcoming.

Templates are compiled in :class:`jinja2.sandbox.SandboxedEnvironment`; an undefined name
is an error when the rule is loaded, and so is an unknown filter.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import jinja2
import jinja2.meta
from jinja2.sandbox import SandboxedEnvironment

from engine.rules.valuetypes import suggest

# Names a "why" template may use besides fact fields, derived values and parameters.
WHY_NAMES = frozenset({"status", "status_sv", "as_of", "due_on", "done_on", "start_on",
                       "late_days", "days_overdue", "days_left", "subject", "rule_id",
                       "rule_title", "end_on", "value", "target", "band"})

MONTHS_SV = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
             "september", "oktober", "november", "december")


def dagar(n: Any) -> str:
    """``1`` → "1 dag", ``12`` → "12 dagar"."""
    return f"{n} {'dag' if n == 1 else 'dagar'}"


def datum(d: Any) -> str:
    """A date in words: 2024-09-30 → "30 september 2024"."""
    if not isinstance(d, date):
        return str(d)
    return f"{d.day} {MONTHS_SV[d.month - 1]} {d.year}"


@jinja2.pass_context
def i_tid_eller_sent(ctx: jinja2.runtime.Context) -> str:
    """", i tid" when met on time, ", 19 dagar för sent" when met late."""
    late = ctx.get("late_days")
    return f", {dagar(late)} för sent" if late else ", i tid"


@jinja2.pass_context
def frist_status(ctx: jinja2.runtime.Context, klar: str | None = None, saknas: str | None = None,
                 efter: str | None = "fristen", i_dag: str = "Sista dag är i dag.") -> str:
    """The status sentence most rules end with (see the module docstring)."""
    status = ctx.get("status")
    if status == "resolved":
        if klar is None:
            raise ValueError("frist_status: klar='…' saknas för en åtgärdad bevakning")
        return f"{klar} {ctx.get('done_on')}{i_tid_eller_sent(ctx)}."
    if status == "overdue":
        if saknas is None:
            raise ValueError("frist_status: saknas='…' saknas för en försenad bevakning")
        days = f", {dagar(ctx.get('days_overdue'))} efter {efter}" if efter else ""
        return f"Per {ctx.get('as_of')} {saknas}{days}."
    if status == "due":
        return i_dag
    return f"Det återstår {dagar(ctx.get('days_left'))}."


FILTERS = {"dagar": dagar, "datum": datum}
GLOBALS = {"i_tid_eller_sent": i_tid_eller_sent, "frist_status": frist_status}
HELPERS = frozenset(GLOBALS)


def environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False,
                               keep_trailing_newline=False)
    env.filters.update(FILTERS)
    env.globals.update(GLOBALS)
    return env


_ENV = environment()


class TemplateProblem(ValueError):
    def __init__(self, message: str, line: int | None = None):
        self.message = message
        self.line = line  # 1-based line in the template, if known
        super().__init__(message)


def compile_why(source: str) -> tuple[jinja2.Template, frozenset[str]]:
    """The compiled template and the names it reads. Raises TemplateProblem."""
    try:
        ast = _ENV.parse(source)
        used = jinja2.meta.find_undeclared_variables(ast)
    except jinja2.TemplateSyntaxError as exc:
        message = exc.message or ""
        if message.startswith("No filter named"):
            name = message.split("'")[1] if "'" in message else message
            message = f"okänt filter {name!r}{suggest(name, _ENV.filters)}"
        raise TemplateProblem(message if message.startswith("okänt") else f"mallfel: {message}",
                              exc.lineno) from None
    return _ENV.from_string(source), frozenset(used - HELPERS)


def render_why(template: jinja2.Template, names: dict[str, Any]) -> str:
    """The why text: the template rendered, every whitespace run collapsed to one space."""
    return " ".join(template.render(names).split())
