"""The README and docs/ give only ``evface`` commands and options that exist.

Options are renamed and commands regrouped as the command line grows; a page that still gives the
old spelling leaves a reader with a usage error. Checked: every ``evface ...`` command line in a
fenced shell block (lines ending in ``\\`` joined; comments, prompts, pipes and redirections left
out; ``evface`` where a command starts, or ``-m evface.cli``) and in an inline code span: its
subcommand is looked up in the click command tree of :data:`evface.cli.app` (``train
classify/reconstruct`` names both) and each ``--option`` (or ``--option=value``) given is one of
that command's. Nothing is run. History in ``(was: ...)`` names what has been renamed and is not
checked, nor what a page gives wrong on purpose (:data:`WRONG_ON_PURPOSE`).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer

import evface
from evface.cli import app

ROOT = Path(evface.__file__).parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^( *)```(\w*)\n(.*?)^\1```", re.M | re.S)
SHELL = {"", "bash", "sh", "shell", "console"}
"""Fenced blocks of these languages are read line by line (a bare fence also holds output and
layouts; only lines where a command starts count)."""
INDENTED = re.compile(r"^(?: {4}|\t)(.*)$", re.M)
"""A line of an indented code block (or of a list item's second paragraph: only lines where a
command starts count)."""
SPAN = re.compile(r"(?<!`)`((?:[^`\n]|\n(?![\n|]))+)`(?!`)")
"""An inline code span, within one paragraph or table row."""
WRAPPER = r"(?:/usr/bin/)?time(?:\s+-v)?|nohup|exec|timeout\s+\S+|timed\s+\S+|taskset\s+-c\s+\S+"
PREFIX = rf"\s*(?:\$\s+)?(?:\w+=\S*\s+)*(?:(?:{WRAPPER})\s+)*evface"
"""``evface`` after a prompt, variables and wrappers (``timeout 60``, ``/usr/bin/time -v``,
``taskset -c 0,1``, the ``timed NAME`` function of scale-out.md)."""
IN_BLOCK = re.compile(rf"(?:(?:^|[;&|(\"'])(?:{PREFIX})|(?<!\S)-m\s+evface\.cli)(?=\s|$)")
"""Where a command line starts in a code block: first on a line, after ``;``, ``&&``, ``|``, ``(``
or a quote (``sbatch --wrap "evface ..."``), or as ``-m evface.cli`` (``torchrun ... -m evface.cli``)."""
IN_SPAN = re.compile(rf"(?:(?:^|\s(?:&&|\|\|?)\s)(?:{PREFIX})|(?<!\S)-m\s+evface\.cli)(?=\s|$)")
"""Where one starts in a code span: first, or after `` && `` or a pipe (a quoted message's
``; evface reads ...`` is prose)."""
END = re.compile(r"\s(?:\|\|?|&&?|;)\s|;|\s#")
"""Where it ends: a pipe, ``&&``, ``;`` or a comment (``a|b`` without spaces is a choice of values)."""
HISTORY_END = re.compile(r"\n(?=\n|\|)")
"""A ``(was: ...)`` ends at the latest with its paragraph or table row."""
REDIRECT = re.compile(r"^(?:\d*>>?(&\d+)?(\S*)|<())$")
TOKEN_ENDS = "[]{}\"'"
ROOT_COMMAND = typer.main.get_command(app)
WRONG_ON_PURPOSE = {("reliability.md", "bogus")}
"""Command lines a page gives as bad input: reliability.md's row of usage errors (``evface bogus``)."""


def _without_history(text: str) -> str:
    """``text`` less every ``(was: ...)``, nested parentheses included."""
    out, at = [], 0
    while (start := text.find("(was:", at)) >= 0:
        out.append(text[at:start])
        limit = (m.start() if (m := HISTORY_END.search(text, start)) else len(text))
        depth, at = 0, start
        while at < limit:
            depth += {"(": 1, ")": -1}.get(text[at], 0)
            at += 1
            if depth == 0:
                break
    return "".join(out) + text[at:]


def command_lines(text: str) -> list[str]:
    """The ``evface`` command lines of a page's Markdown ``text``, each from its subcommand on."""
    text = _without_history(text).replace("\\\n", " ")
    found = [c for indent, language, block in FENCE.findall(text) if language in SHELL
             for line in block.splitlines() for c in _calls(line, IN_BLOCK)]
    prose = FENCE.sub(lambda block: block[0] if block[2] == "" else "", text)  # a bare block's spans count
    found += [c for line in INDENTED.findall(FENCE.sub("", text)) for c in _calls(line, IN_BLOCK)]
    spans = (" ".join(span.replace("\\|", "|").split()) for span in SPAN.findall(prose))  # \| in a table
    found += [c for span in spans for c in _calls(span, IN_SPAN)]
    return [c for c in found if c]  # `evface` alone names the program


def _calls(line: str, call: re.Pattern) -> list[str]:
    """Each command line that starts in ``line`` where ``call`` finds one, up to where it ends."""
    return [" ".join(END.split(line[m.end():], 1)[0].split()) for m in call.finditer(line)]


def _tokens(line: str) -> list[str]:
    """The words of a command line: redirections left out (``> out.json``, ``2>&1``), brackets and
    quotes around a word stripped (``[--out DIR]``), ``...`` dropped."""
    words, target = [], False
    for word in line.split():
        redirect = REDIRECT.match(word)
        if target or redirect:
            target = bool(redirect) and not redirect[1] and not redirect[2]
            continue
        word = word.strip(TOKEN_ENDS)
        if word and word != "...":
            words.append(word)
    return words


def _is_option(word: str) -> bool:
    """Whether ``word`` names an option (``-5`` and ``-0.5,3`` are values, ``-`` is standard input)."""
    return word.startswith("-") and len(word) > 1 and not re.match(r"-[\d.]", word) and word != "--"


def _spellings(word: str) -> list[str]:
    """The options an option word names: ``--seed=3`` names ``--seed``, ``--noise/--seed`` both,
    ``--sensor,`` in a list ``--sensor``."""
    parts = word.split("/") if word.startswith("--") and "/--" in word else [word]
    return [part.split("=", 1)[0].rstrip(",;:.") for part in parts]


def _options(command, context) -> set[str]:
    """Every spelling of ``command``'s options, ``--help`` and ``-h`` among them."""
    return {name for param in command.get_params(context) if param.param_type_name == "option"
            for name in (*param.opts, *param.secondary_opts)}


def problems(line: str) -> list[str]:
    """What in one command line (from the subcommand on, as :func:`command_lines` gives it) the
    ``evface`` command does not have: a subcommand, or an option of the command it reaches."""
    return _problems(ROOT_COMMAND, ROOT_COMMAND.context_class(ROOT_COMMAND, info_name="evface",
                                                                **ROOT_COMMAND.context_settings), _tokens(line))


def _problems(command, context, words: list[str]) -> list[str]:
    """The problems of ``words`` given to ``command`` (a group takes a subcommand, then hands it the rest)."""
    known, found = _options(command, context), []
    for at, word in enumerate(words):
        if _is_option(word):
            found += [f"'{context.command_path}' has no option {name}" for name in _spellings(word)
                      if name not in known]
        elif hasattr(command, "commands"):
            for name in word.split("/"):
                sub = command.commands.get(name)
                if sub is None:
                    found.append(f"'{context.command_path}' has no command {name!r}")
                    continue
                found += _problems(sub, sub.context_class(sub, info_name=name, parent=context, **sub.context_settings),
                                   words[at + 1:])
            return found
    return found


def _page_problems(page: Path) -> dict[str, list[str]]:
    return {line: found for line in command_lines(page.read_text(encoding="utf-8"))
            if (page.name, line) not in WRONG_ON_PURPOSE and (found := problems(line))}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_command_and_option_a_page_gives_exists(page):
    wrong = _page_problems(page)
    assert wrong == {}, f"{page.name} gives what the evface command does not have: {wrong}"


def test_the_pages_give_command_lines():
    counts = {page.name: len(command_lines(page.read_text())) for page in PAGES}
    assert counts["README.md"] >= 30 and counts["classification.md"] >= 40, counts


def test_command_lines_are_found_in_blocks_and_spans():
    page = ("Run `evface run --seeds 5` (was: `evface run --repeats 5`), not `from evface import x`, or\n"
            "```bash\n$ OMP_NUM_THREADS=1 evface synth OUT \\\n  --preset tiny | head > log 2>&1  # --x\n"
            "timeout 60 evface info F && evface bench io\n"
            "torchrun --nproc_per_node 2 -m evface.cli train classify\n```\n"
            "```\nRUN/  written while evface run trains\n```\n"
            "```python\nevface = 1\n```\n")
    assert command_lines(page) == ["synth OUT --preset tiny", "info F", "bench io", "train classify", "run --seeds 5"]


def test_the_check_tells_what_exists_from_what_does_not():
    assert problems("train classify/reconstruct --folds 3 --data=D [--out DIR] --seed -5 -h") == []
    assert problems("--debug bench io sim --quick --out FILE.json > bench.json") == []
    assert problems("train classify --nothing 1") == ["'evface train classify' has no option --nothing"]
    assert problems("train classify/bogus --folds 3") == ["'evface train' has no command 'bogus'"]
    assert problems("synth/run --seeds 3") == ["'evface synth' has no option --seeds"]
    assert problems("simulate --sensor, --roi or --nothing.") == ["'evface simulate' has no option --nothing"]
    assert problems("train --data D") == ["'evface train' has no option --data", "'evface train' has no command 'D'"]
    assert problems("import sesion --rgb R") == ["'evface import' has no command 'sesion'"]
