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

import re
from datetime import date
from typing import Any

import jinja2
import jinja2.meta
from jinja2 import nodes
from jinja2.exceptions import SecurityError
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


class HelperError(ValueError):
    """A helper called wrongly; the message is Swedish and is shown as it is."""


class LimitError(SecurityError):
    """A result the sandbox bounds (``'x' * 10**9``); the message is Swedish."""


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
            raise HelperError("frist_status: klar='…' saknas för en åtgärdad bevakning")
        return f"{klar} {ctx.get('done_on')}{i_tid_eller_sent(ctx)}."
    if status == "overdue":
        if saknas is None:
            raise HelperError("frist_status: saknas='…' saknas för en försenad bevakning")
        days = f", {dagar(ctx.get('days_overdue'))} efter {efter}" if efter else ""
        return f"Per {ctx.get('as_of')} {saknas}{days}."
    if status == "due":
        return i_dag
    return f"Det återstår {dagar(ctx.get('days_left'))}."


FILTERS = {"dagar": dagar, "datum": datum}
GLOBALS = {"i_tid_eller_sent": i_tid_eller_sent, "frist_status": frist_status}
HELPERS = frozenset(GLOBALS)


MAX_REPEAT = 10_000  # the longest text or list ``*`` may make in a why
MAX_POWER = 64  # the largest exponent of ``**``


class WhyEnvironment(SandboxedEnvironment):
    """The sandbox, also bounding ``*`` and ``**`` (``'x' * 10**9`` would fill the memory; the
    operators are intercepted, so neither is folded at compile time either)."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: Any,
                   right: Any) -> Any:
        if operator == "**" and isinstance(right, int | float) and abs(right) > MAX_POWER:
            raise LimitError(f"exponenten {right} är för stor (högst {MAX_POWER})")
        if operator == "*":
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(n, int) and \
                        len(seq) * n > MAX_REPEAT:
                    raise LimitError(f"texten eller listan blir för lång (högst {MAX_REPEAT})")
        return super().call_binop(context, operator, left, right)


def environment() -> SandboxedEnvironment:
    env = WhyEnvironment(undefined=jinja2.StrictUndefined, autoescape=False,
                         keep_trailing_newline=False)
    env.filters.update(FILTERS)
    env.globals.update(GLOBALS)
    return env


_ENV = environment()
# Statements a why has no use for: they read other templates (there are none to read).
_REFUSED = {nodes.Include: "include", nodes.Import: "import", nodes.FromImport: "from … import",
            nodes.Extends: "extends"}


class TemplateProblem(ValueError):
    def __init__(self, message: str, line: int | None = None):
        self.message = message
        self.line = line  # 1-based line in the template, if known
        super().__init__(message)


def compile_why(source: str) -> tuple[jinja2.Template, frozenset[str]]:
    """The compiled template and the names it reads. Raises TemplateProblem.

    Besides the syntax, an unknown filter, test or helper, a statement a why has no use for
    (include, import, extends) and any attribute or key that begins with ``_`` (the
    way out of a sandbox: ``''.__class__``) are refused here."""
    try:
        ast = _ENV.parse(source)
        used = jinja2.meta.find_undeclared_variables(ast)
        _check_ast(ast)
        template = _ENV.from_string(ast)
    except jinja2.TemplateSyntaxError as exc:  # TemplateAssertionError too: an unknown filter
        raise TemplateProblem(_syntax_sv(exc.message or ""), exc.lineno) from None
    except RecursionError:
        raise TemplateProblem("mallen är för djupt nästlad") from None
    return template, frozenset(used - HELPERS)


def _check_ast(ast: nodes.Template) -> None:
    for node in ast.find_all((nodes.Getattr, nodes.Getitem, nodes.Name, nodes.Stmt)):
        line = getattr(node, "lineno", None)
        for kind, word in _REFUSED.items():
            if isinstance(node, kind):
                raise TemplateProblem(f"{{% {word} %}} används inte i en why-text", line)
        name = None
        if isinstance(node, nodes.Getattr):
            name = node.attr
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            name = node.arg.value
        elif isinstance(node, nodes.Name):
            name = node.name
        if isinstance(name, str) and name.startswith("_"):
            raise TemplateProblem(f"{name!r} får inte läsas i en why-text (namn som börjar med "
                                  "_ är stängda i sandlådan)", line)
    for node in ast.find_all(nodes.Filter):
        if node.name in ("attr", "map") and any(
                isinstance(a, nodes.Const) and str(a.value).startswith("_")
                for a in [*node.args, *(k.value for k in node.kwargs)]):
            raise TemplateProblem("attribut som börjar med _ är stängda i sandlådan",
                                  getattr(node, "lineno", None))
    for node in ast.find_all(nodes.Call):
        if isinstance(node.node, nodes.Name) and node.node.name not in GLOBALS \
                and node.node.name in _ENV.globals:
            raise TemplateProblem(f"{node.node.name}() används inte i en why-text; "
                                  f"hjälpfunktionerna är {', '.join(sorted(GLOBALS))}",
                                  getattr(node, "lineno", None))


def _syntax_sv(message: str) -> str:
    quoted = message.split("'")[1] if message.count("'") >= 2 else message
    if message.startswith("No filter named"):
        return f"okänt filter {quoted!r}{suggest(quoted, _ENV.filters)}"
    if message.startswith("No test named"):
        return f"okänt test {quoted!r}{suggest(quoted, _ENV.tests)}"
    if message.startswith("unexpected end of template"):
        return "mallen tar slut mitt i en {% … %} eller {{ … }} (stängs den?)"
    if message.startswith("unexpected") or message.startswith("expected token"):
        return f"mallfel: oväntat tecken ({message})"
    if message.startswith("Encountered unknown tag"):
        return f"okänd tagg {quoted!r} (taggarna är if, for, set)"
    return f"mallfel: {message}"


SAMPLES: dict[str, Any] = {"str": "X-1", "date": date(2024, 9, 30), "number": 3, "bool": True,
                           "list": [], "any": None, "null": None}
STATUSES = {"deadline": ("upcoming", "due", "overdue", "resolved"), "check": ("passed", "failed"),
            "measure": ("met", "not_met", "measured")}
# Failures of a why that no data can avoid: a load error, not a rule failing in a run.
_ALWAYS = (ZeroDivisionError, OverflowError, SecurityError, RecursionError, MemoryError)


def try_render(template: jinja2.Template, used: frozenset[str], scope: dict[str, str],
               kind: str) -> str | None:
    """The problem of rendering ``template`` with a typed sample of its names in each status
    of ``kind``, if it fails whatever the data (``{{ 1/0 }}``); None when it renders (or fails
    only because of the sample's values: then the data decides, and a run fails that rule)."""
    sample = {n: SAMPLES.get(scope.get(n, "any")) for n in used}
    sample.update(as_of=date(2024, 9, 30), due_on=date(2024, 9, 30), done_on=date(2024, 9, 1),
                  start_on=date(2024, 6, 1), end_on=None, late_days=0, days_overdue=0,
                  days_left=0, subject="X-1", rule_id="x", rule_title="x", value=None,
                  target=None, band=None)
    for status in STATUSES.get(kind, ("upcoming",)):
        try:
            render_why(template, {**sample, "status": status, "status_sv": status})
        except _ALWAYS as exc:
            return f"why kan inte skrivas: {render_problem_sv(exc)}"
        except TypeError as exc:
            if _ARITY.search(str(exc)):  # a filter or helper called wrongly, whatever the data
                return f"why kan inte skrivas: {render_problem_sv(exc)}"
        except Exception:  # noqa: BLE001, S112 - depends on the data; a run decides
            continue
    return None


_ARITY = re.compile(r"positional argument|keyword argument|required argument")


def render_problem_sv(exc: BaseException) -> str:
    """Why rendering failed, in Swedish (the exception's English stays in the debug log)."""
    if isinstance(exc, ZeroDivisionError):
        return "division med noll"
    if isinstance(exc, SecurityError):
        return f"stoppad av sandlådan ({exc})" if isinstance(exc, LimitError) else "stoppad av sandlådan"
    if isinstance(exc, OverflowError):
        return "ett tal eller datum blir för stort"
    if isinstance(exc, RecursionError | MemoryError):
        return "mallen är för djupt nästlad eller för stor"
    if isinstance(exc, jinja2.UndefinedError):
        return "ett värde saknas, eller har inte det fält eller element mallen läser"
    if isinstance(exc, TypeError):
        if _ARITY.search(str(exc)):
            return "fel antal argument till ett filter eller en hjälpfunktion"
        return "värden av fel typ (t.ex. text + tal, eller ett tomt värde i en räkning)"
    if isinstance(exc, HelperError):  # frist_status: klar='…' saknas …
        return str(exc)
    return f"ett fel i mallen ({type(exc).__name__})"


def render_why(template: jinja2.Template, names: dict[str, Any]) -> str:
    """The why text: the template rendered, every whitespace run collapsed to one space."""
    return " ".join(template.render(names).split())
