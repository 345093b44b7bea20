"""Every option and command of the CLI has a whole sentence of help (issue 15, item 9), checked
by walking the parser: `--wait-timeout` once read "give up waiting after".

The rule, argparse's own style (its `-h` reads "show this help message and exit"): a clause that
starts with a lowercase letter or a quoted name, of at least 3 words, with no final period, and
that does not stop on a word that needs another after it ("after", "of", "the", ...). Options
hidden with `argparse.SUPPRESS` are exempt."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator

from trainops.cli import build_parser

# Words a clause cannot end on. Not "on" or "in": also particles ("the trainings go on").
DANGLING = frozenset(
    {
        *("a", "an", "the", "of", "to", "for", "with", "by", "at", "from", "into", "after"),
        *("before", "than", "and", "or", "but", "if", "when", "whether", "per", "via"),
    }
)


def walk(parser: argparse.ArgumentParser, path: str = "trainops") -> Iterator[tuple[str, str]]:
    """(where, help) for every argument and subcommand under `parser`."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help for a in action._choices_actions}
            for name, sub in action.choices.items():
                yield f"{path} {name}", helps.get(name) or ""
                yield from walk(sub, f"{path} {name}")
            continue
        if action.help == argparse.SUPPRESS:
            continue
        name = "/".join(action.option_strings) or action.metavar or action.dest
        yield f"{path} {name}", action.help or ""


def problem(text: str) -> str | None:
    # What a parenthesis adds (a default, an env variable) is no part of the sentence.
    main = re.sub(r"\s*\([^()]*\)", "", text)
    words = re.findall(r"[\w'-]+", main)
    if len(words) < 3:
        return "fewer than 3 words outside parentheses"
    if not (text[0].islower() or text[0] in "`'\"-"):
        return "starts with a capital (argparse's style is lowercase)"
    if text.endswith("."):
        return "ends with a period"
    if text.rstrip(")").endswith((":", ",", ";")):
        return "ends on punctuation that promises more"
    if words[-1].lower() in DANGLING:
        return f"ends on {words[-1]!r}"
    return None


def test_every_option_and_command_has_a_whole_sentence_of_help() -> None:
    found = list(walk(build_parser()))
    assert len(found) > 80  # the walk reached the subcommands' options
    wrong = [f"{where}: {problem(text)}: {text!r}" for where, text in found if problem(text)]
    assert wrong == []


def test_the_rule_catches_what_it_is_for() -> None:
    assert problem("give up waiting after") == "ends on 'after'"
    assert problem("output format") == "fewer than 3 words outside parentheses"
    assert problem("port (default: 8787)") == "fewer than 3 words outside parentheses"
    assert problem("") == "fewer than 3 words outside parentheses"
    assert problem("Do this thing.") is not None
    assert problem("stop waiting after SECONDS, leaving the trainings running") is None
