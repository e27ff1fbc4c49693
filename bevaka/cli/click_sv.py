"""click's own words in Swedish: usage lines, help headings, and the messages for a mistyped
command line (an unknown option, a missing argument, a bad value).

click looks each message up through :func:`gettext.gettext` and :func:`gettext.ngettext`,
imported into each of its modules as ``_`` and ``ngettext``. :func:`install` gives those
modules lookups in the table below instead, so the texts do not depend on a locale being
installed on the machine; a message the table does not have stays as click wrote it (a test
runs every mistake it knows of and looks for English).
"""

from __future__ import annotations

import importlib

import click

#: click's message ids (click 8.x), as Swedish
SV: dict[str, str] = {
    "Usage:": "Användning:",
    "Options": "Flaggor",
    "Commands": "Kommandon",
    "Positional arguments": "Argument",
    "Show this message and exit.": "Visa den här hjälpen och avsluta.",
    "Show the version and exit.": "Visa versionen och avsluta.",
    "%(prog)s, version %(version)s": "%(prog)s, version %(version)s",
    "Try '{command} {option}' for help.": "Skriv '{command} {option}' för hjälp.",
    "Error: {message}": "Fel: {message}",
    "No such option {name!r}.": "Flaggan {name!r} finns inte.",
    "No such command {name!r}.": "Kommandot {name!r} finns inte.",
    "Missing command.": "Ange ett kommando.",
    "Missing {param_type}": "Saknar {param_type}",
    "Missing parameter: {param_name}": "Saknar parametern {param_name}",
    "Missing argument": "Saknar argumentet",
    "Missing option": "Saknar flaggan",
    "Missing parameter": "Saknar parametern",
    "Option {name!r} does not take a value.": "Flaggan {name!r} tar inget värde.",
    "Invalid value for {param_hint}: {message}": "Ogiltigt värde för {param_hint}: {message}",
    "Invalid value: {message}": "Ogiltigt värde: {message}",
    "{value!r} is not a valid {number_type}.": "{value!r} är inget {number_type}.",
    "{value} is not in the range {range}.": "{value} ligger inte i intervallet {range}.",
    "{value!r} is not a valid UUID.": "{value!r} är inget giltigt UUID.",
    "{value!r} is not a valid boolean. Recognized values: {states}":
        "{value!r} är inget ja/nej-värde; skriv ett av {states}",
    "{name} {filename!r} does not exist.": "{name} {filename!r} finns inte.",
    "{name} {filename!r} is a file.": "{name} {filename!r} är en fil.",
    "{name} {filename!r} is a directory.": "{name} {filename!r} är en katalog.",
    "{name} {filename!r} is not readable.": "{name} {filename!r} kan inte läsas.",
    "{name} {filename!r} is not writable.": "{name} {filename!r} kan inte skrivas.",
    "{name} {filename!r} is not executable.": "{name} {filename!r} kan inte köras.",
    "file": "filen",
    "directory": "katalogen",
    "path": "sökvägen",
    "Could not open file {filename!r}: {message}": "Kunde inte öppna filen {filename!r}: {message}",
    "default: {default}": "standard: {default}",
    "env var: {var}": "miljövariabel: {var}",
    "required": "krävs",
    "deprecated": "föråldrad",
    "(dynamic)": "(beräknas)",
    "Aborted!": "Avbrutet!",
    "Do you want to continue?": "Vill du fortsätta?",
    "Confirm the action without prompting.": "Bekräfta utan att fråga.",
    "Value must be an iterable.": "Värdet måste vara en lista.",
    "Choose from:\n\t{choices}": "Välj bland:\n\t{choices}",
    "unknown error": "okänt fel",
    "Argument {name!r} takes {nargs} values.": "Argumentet {name!r} tar {nargs} värden.",
}

#: (singular, plural) → (Swedish singular, Swedish plural)
SV_PLURAL: dict[tuple[str, str], tuple[str, str]] = {
    ("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})"):
        ("Oväntat extra argument ({args})", "Oväntade extra argument ({args})"),
    ("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)"):
        ("Menade du {possibility}?", "(Menade du något av: {possibilities}?)"),
    ("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments."):
        ("Flaggan {name!r} behöver ett värde.", "Flaggan {name!r} behöver {nargs} värden."),
    ("{value!r} is not {choice}.", "{value!r} is not one of {choices}."):
        ("{value!r} är inte {choice}.", "{value!r} är inget av {choices}."),
    ("{value!r} does not match the format {format}.",
     "{value!r} does not match the formats {formats}."):
        ("{value!r} har inte formen {format}.", "{value!r} har ingen av formerna {formats}."),
    ("Takes {nargs} values but 1 was given.", "Takes {nargs} values but {len} were given."):
        ("Tar {nargs} värden men fick 1.", "Tar {nargs} värden men fick {len}."),
    ("{len_type} values are required, but {len_value} was given.",
     "{len_type} values are required, but {len_value} were given."):
        ("{len_type} värden krävs, men {len_value} gavs.",
         "{len_type} värden krävs, men {len_value} gavs."),
}

#: click's modules that look messages up
MODULES = ("core", "exceptions", "formatting", "decorators", "parser", "types", "utils", "termui")

OPTIONS_METAVAR = "[FLAGGOR]"
SUBCOMMAND_METAVAR = "KOMMANDO [ARGUMENT]..."


def gettext_sv(message: str) -> str:
    return SV.get(message, message)


def ngettext_sv(singular: str, plural: str, n: int) -> str:
    one, many = SV_PLURAL.get((singular, plural), (singular, plural))
    return one if n == 1 else many


def install(root: click.Command) -> None:
    """Swedish lookups in click's modules, Swedish names for its number types (they are the
    metavar in help, ``--port HELTAL``, and the word in "'x' är inget heltal"), and Swedish
    metavars on ``root`` and every command under it."""
    click.types.IntParamType.name = "heltal"
    click.types.FloatParamType.name = "decimaltal"
    for name in MODULES:
        module = importlib.import_module(f"click.{name}")
        if hasattr(module, "_"):
            module._ = gettext_sv  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext_sv  # type: ignore[attr-defined]
    _metavars(root)


def _metavars(command: click.Command) -> None:
    if command.options_metavar == "[OPTIONS]":
        command.options_metavar = OPTIONS_METAVAR
    if isinstance(command, click.Group):
        if command.subcommand_metavar in ("COMMAND [ARGS]...", None):
            command.subcommand_metavar = SUBCOMMAND_METAVAR
        for sub in command.commands.values():
            _metavars(sub)
