"""Every name in a rule is checked when it is loaded: look-up fields and fact types,
recipients and roles, with the real file line and column (``bevaka rules validate`` on
broken copies of the shipped packs)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import RULES_DIR, Bevaka
from test_rules_files import _copy_rules, _edit, _position, _validate_fails

from engine.rules.library import load_rules
from engine.rules.loader import RuleLoadError
from facts.errors import UserError

RAPPORT = Path("avtal") / "rapport-fore-sammantrade.yaml"
BOU = Path("internkontroll") / "bou-utredningar.yaml"
EJ = Path("ivo") / "ej-verkstallt.yaml"
LOOKUP = "earliest(s.submitted_on for s in submission where s.obligation_id == id)"


def _problems(bevaka: Bevaka, edits: list[tuple[Path, str, str]]) -> tuple[Path, list[str]]:
    rules = _copy_rules(bevaka.tmp)
    for rel, old, new in edits:
        _edit(rules / rel, old, new)
    return rules, _validate_fails(bevaka, rules)


# ---- look-ups --------------------------------------------------------------------------


def test_a_misspelt_field_in_a_look_up_value(bevaka: Bevaka) -> None:
    rules, problems = _problems(bevaka, [(RAPPORT, "s.submitted_on for", "s.submited_on for")])
    line, col = _position(rules / RAPPORT, "submited_on")
    assert problems == [f"{rules / RAPPORT}:{line}:{col}: okänt fält 'submited_on' i submission; "
                        "menade du 'submitted_on'?"]


def test_a_misspelt_field_in_a_look_up_condition(bevaka: Bevaka) -> None:
    rules, problems = _problems(bevaka, [(RAPPORT, "s.obligation_id == id", "s.obligaton_id == id")])
    line, col = _position(rules / RAPPORT, "obligaton_id")
    assert problems == [f"{rules / RAPPORT}:{line}:{col}: okänt fält 'obligaton_id' i submission; "
                        "menade du 'obligation_id'?"]


def test_a_misspelt_field_in_a_folded_multi_line_look_up(bevaka: Bevaka) -> None:
    """``>-`` folds the lines into one; the position is still the field's own line and column."""
    rules, problems = _problems(bevaka, [(BOU, "r.performed_on >= occurrence",
                                          "r.performd_on >= occurrence")])
    line, col = _position(rules / BOU, "performd_on")
    assert problems == [f"{rules / BOU}:{line}:{col}: okänt fält 'performd_on' i control_result; "
                        "menade du 'performed_on'?"]


def test_an_unknown_fact_type_in_a_look_up(bevaka: Bevaka) -> None:
    rules, problems = _problems(bevaka, [(RAPPORT, "in submission where", "in submision where")])
    line, col = _position(rules / RAPPORT, "submision")
    assert problems == [f"{rules / RAPPORT}:{line}:{col}: okänd faktatyp 'submision'; "
                        "menade du 'submission'?"]


def test_the_old_text_form_says_how_to_write_the_new_one(bevaka: Bevaka) -> None:
    rules, problems = _problems(bevaka, [(RAPPORT, LOOKUP, "earliest('submission', 'submitted_on', "
                                                           "obligation_id=id, where=\\\"submitted_on "
                                                           ">= due_on\\\")")])
    line, col = _position(rules / RAPPORT, "earliest(")
    assert problems == [f"{rules / RAPPORT}:{line}:{col}: look-ups skrivs inte längre med text; skriv "
                        "earliest(s.submitted_on for s in submission where s.obligation_id == id "
                        "and s.submitted_on >= due_on)"]


@pytest.mark.parametrize(("old", "new", "message"), [
    ("for s in submission", "for id in submission",
     "aliaset 'id' skuggar namnet 'id' i regeln; välj ett annat alias"),
    ("s.submitted_on for", "submitted_on for", "okänt fält 'submitted_on'"),
    ("s.submitted_on for", "x.submitted_on for", "okänt alias 'x'; här heter aliaset 's'"),
    ("s.obligation_id == id)", "s.obligation_id == 5)", "kan inte jämföra str med number"),
    ("s.obligation_id == id)", "s)", "'s' är en rad ur submission; läs ett fält: s.fält"),
    ("s.submitted_on for", "id for", "earliest ska läsa ett fält ur s, t.ex. s.obligation_id"),
])
def test_look_up_mistakes(bevaka: Bevaka, old: str, new: str, message: str) -> None:
    rules, problems = _problems(bevaka, [(RAPPORT, old, new)])
    assert len(problems) == 1 and problems[0].endswith(f": {message}"), problems
    line, _ = _position(rules / RAPPORT, "submitted: ")
    assert problems[0].startswith(f"{rules / RAPPORT}:{line}:")


def test_a_look_up_in_a_legal_basis_condition_is_refused(bevaka: Bevaka) -> None:
    rules, problems = _problems(bevaka, [(
        EJ, "when: \"law == 'LSS'\"", "when: \"count(d in decision where d.law == 'LSS') > 0\"")])
    assert len(problems) == 1 and "legal_basis.when kan inte läsa andra fakta" in problems[0]


# ---- recipients ------------------------------------------------------------------------


def test_an_unknown_role(bevaka: Bevaka) -> None:
    rules, problems = _problems(bevaka, [(EJ, "to: [role:enhetschef]", "to: [role:enhetschf]")])
    line, col = _position(rules / EJ, "enhetschf")
    assert problems == [f"{rules / EJ}:{line}:{col}: okänd roll 'enhetschf'; menade du 'enhetschef'?"]


def test_an_unknown_field_among_the_recipients(bevaka: Bevaka) -> None:
    rules, problems = _problems(bevaka, [(EJ, "recipients: [officer]", "recipients: [oficer]")])
    line, col = _position(rules / EJ, "oficer")
    assert problems == [f"{rules / EJ}:{line}:{col}: okänt fält 'oficer'; menade du 'officer'?"]


@pytest.mark.parametrize(("entry", "message"), [
    ("enhetschef", "okänt fält 'enhetschef'; menar du rollen, skriv role:enhetschef"),
    ("enhetschf", "okänt fält 'enhetschf'; menade du 'role:enhetschef'?"),
    ("birth_year", "mottagarfältet 'birth_year' är inte text"),
    ("role:Chef", "okänd roll 'Chef'; en rollnyckel skrivs med små bokstäver, siffror och _"),
    ("role:kurator", "okänd roll 'kurator'; deklarera den under roles: i pack.yaml "
                     "(eller [roles] i config.toml)"),
])
def test_recipient_mistakes(bevaka: Bevaka, entry: str, message: str) -> None:
    _, problems = _problems(bevaka, [(EJ, "recipients: [officer]", f"recipients: [officer, {entry}]")])
    assert len(problems) == 1 and problems[0].endswith(f": {message}"), problems


def test_an_address_is_a_recipient_and_known_roles_come_from_the_caller(tmp_path: Path) -> None:
    rules = _copy_rules(tmp_path)
    _edit(rules / EJ, "recipients: [officer]", "recipients: [officer, registrator@kommun.se, role:kurator]")
    with pytest.raises(RuleLoadError) as exc:
        load_rules(rules)
    assert isinstance(exc.value, UserError)
    assert [p.split(": ", 1)[1] for p in exc.value.problems] == [
        "okänd roll 'kurator'; deklarera den under roles: i pack.yaml (eller [roles] i config.toml)"]
    lr = load_rules(rules, known_roles={"kurator": "kurator@kommun.se"}).by_id("ivo.ej-verkstallt")[0]
    assert [(r.kind, r.value) for r in lr.recipients] == [
        ("field", "officer"), ("address", "registrator@kommun.se"), ("role", "kurator")]


def test_a_parameter_recipient_must_hold_a_known_role(bevaka: Bevaka) -> None:
    path = Path("lex") / "sarah-uppfoljning-september.yaml"
    rules, problems = _problems(bevaka, [(path, "default: divisionschef", "default: divisionchef")])
    line, col = _position(rules / path, "[responsible]")
    assert problems == [f"{rules / path}:{line}:{col + 1}: parametern 'responsible' är 'divisionchef', "
                        "som inte är en känd roll; menade du 'divisionschef'?"]


def test_the_shipped_packs_declare_their_roles() -> None:
    rs = load_rules(RULES_DIR)
    assert rs.packs["ivo"].roles == {
        "enhetschef": "Enhetschef",
        "ivo_rapportor": "IVO-rapportör (nämndens huvudrapportör i IVO:s e-tjänst)"}
    every = {r.value for lr in rs.rules for r in (*lr.recipients, *lr.escalate_to) if r.kind == "role"}
    declared = {k for p in rs.packs.values() for k in p.roles}
    assert every and every <= declared
