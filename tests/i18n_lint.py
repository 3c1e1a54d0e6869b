"""Finds words a person reads that are not marked for translation.

Templates: every text between tags, and the attributes a person reads or hears (placeholder, title, alt, aria-label),
must be inside {% translate %} or {% blocktranslate %}; a string literal given to a filter or an include must be
`_("...")`. Python: a literal given to messages.*, ValidationError, add_error, or as a label, help text, verbose name
or choice label must go through gettext.

Run on some files while marking them: `python -m tests.i18n_lint templates/coaching coaching/forms.py`.
"""

from __future__ import annotations

import ast
import html
import re
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

from django.template.base import DebugLexer, TokenType

ROOT = Path(__file__).resolve().parent.parent
APPS = ("recovery_program", "staff", "patients", "coaching", "supervision", "referrals", "workspace")

# Words that are the same in every language: names of instruments, file formats, units.
UNTRANSLATED_WORDS = re.compile(
    r"\b(BARC-10|BARC|CSV|XLSX|PDF|SMS|HIPAA|CFR|POSC|CPS|Narcan|htmx|OK|ID|am|pm)\b|&[a-z]+;|&#\d+;"
)
READ_ATTRIBUTE_NAMES = re.compile(
    r"placeholder|title|alt|aria-label|aria-description|aria-roledescription|aria-valuetext|data-confirm|"
    r"hx-confirm|data-say-[a-z-]+"
)
LETTERS = re.compile(r"[A-Za-z]{2,}")
# A literal in a tag or variable that a person would read: a filter's argument, an include's `with x="..."`.
VISIBLE_LITERAL = re.compile(r"""(?:\|(?:default|default_if_none|yesno)\s*:\s*|\bwith\b[^%]*?\w+=)("[^"]*"|'[^']*')""")


def template_problems(path: Path) -> Iterator[str]:
    source = path.read_text()
    # The template with every tag replaced by a space and every variable by #, and every {% blocktranslate %} and
    # {% comment %} by a space, newlines kept: what is left is the HTML a person reads, unmarked.
    pieces: list[str] = []
    skip_until: str | None = None
    for token in DebugLexer(source).tokenize():
        start, end = token.position
        raw = source[start:end]
        contents = token.contents
        if skip_until:
            if token.token_type == TokenType.BLOCK and contents.split()[:1] == [skip_until]:
                skip_until = None
            pieces.append(" " + "\n" * raw.count("\n"))
            continue
        if token.token_type == TokenType.TEXT:
            pieces.append(raw)
            continue
        if token.token_type == TokenType.BLOCK:
            name = contents.split()[0] if contents else ""
            skip_until = SKIPPED_BLOCKS.get(name)
        if token.token_type in (TokenType.BLOCK, TokenType.VAR):
            for literal in VISIBLE_LITERAL.findall(contents):
                if _has_words(literal[1:-1]):
                    yield f"{path}:{token.lineno}: literal {literal} in {raw[:60]}: use _({literal})"
        pieces.append((" " if token.token_type == TokenType.BLOCK else "#") + "\n" * raw.count("\n"))
    text = "".join(pieces)
    if path.suffix == ".txt":
        for lineno, line in enumerate(text.splitlines(), 1):
            if _has_words(line):
                yield f"{path}:{lineno}: text not marked for translation: {line.strip()[:70]!r}"
        return
    reader = _ReadText()
    reader.feed(text)
    reader.close()
    for lineno, what in reader.found:
        yield f"{path}:{lineno}: {what}"


SKIPPED_BLOCKS = {
    "blocktranslate": "endblocktranslate",
    "blocktrans": "endblocktrans",
    "comment": "endcomment",
    "verbatim": "endverbatim",
}


class _ReadText(HTMLParser):
    """Collects the text and the read attributes of an HTML page that hold words."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self.hidden += 1
        for name, value in attrs:
            if value and READ_ATTRIBUTE_NAMES.fullmatch(name) and _has_words(value):
                self.found.append((self.getpos()[0], f"attribute {name}={value[:60]!r} not marked for translation"))
        if tag == "input":
            kinds = dict(attrs)
            if kinds.get("type") in {"submit", "button", "reset"} and _has_words(kinds.get("value") or ""):
                self.found.append((self.getpos()[0], f"button value {kinds['value']!r} not marked for translation"))

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"} and self.hidden:
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden and _has_words(data):
            self.found.append((self.getpos()[0], f"text not marked for translation: {' '.join(data.split())[:70]!r}"))


def _has_words(text: str) -> bool:
    text = html.unescape(UNTRANSLATED_WORDS.sub(" ", text))
    return bool(LETTERS.search(text))


# -- Python ------------------------------------------------------------------------------------------------------------

MESSAGE_CALLS = {"success", "info", "warning", "error", "debug", "add_message"}
TEXT_KEYWORDS = {"label", "help_text", "empty_label", "verbose_name", "verbose_name_plural", "message", "empty_value"}
MESSAGE_DICTS = {"labels", "help_texts", "error_messages"}
CHOICES_BASES = {"TextChoices", "IntegerChoices", "Choices"}


def _is_literal(node: ast.AST | None) -> bool:
    """A string a person reads, written in place: "...", f"...", "..." % x, "...".format(x), "a" + b."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and _has_words(node.value)
    if isinstance(node, ast.JoinedStr):
        return any(_is_literal(part) for part in node.values)
    if isinstance(node, ast.BinOp):
        return _is_literal(node.left) or _is_literal(node.right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return _is_literal(node.func.value)
    return False


def python_problems(path: Path) -> Iterator[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            yield from _call_problems(path, node)
        elif isinstance(node, ast.ClassDef) and any(
            (isinstance(base, ast.Name) and base.id in CHOICES_BASES)
            or (isinstance(base, ast.Attribute) and base.attr in CHOICES_BASES)
            for base in node.bases
        ):
            yield from _choices_problems(path, node)
        elif isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id in MESSAGE_DICTS for target in node.targets
        ):
            yield from _dict_problems(path, node.value)


def _call_problems(path: Path, node: ast.Call) -> Iterator[str]:
    name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
    where = f"{path}:{node.lineno}"
    if name in MESSAGE_CALLS and isinstance(node.func, ast.Attribute):
        owner = node.func.value
        if isinstance(owner, ast.Name) and owner.id == "messages":
            for argument in node.args[1:]:
                if _is_literal(argument):
                    yield f"{where}: messages.{name}() with text not marked for translation"
    if name == "ValidationError" and node.args and _is_literal(node.args[0]):
        yield f"{where}: ValidationError with text not marked for translation"
    if name == "add_error" and len(node.args) > 1 and _is_literal(node.args[1]):
        yield f"{where}: add_error() with text not marked for translation"
    for keyword in node.keywords:
        if keyword.arg in TEXT_KEYWORDS and _is_literal(keyword.value):
            yield f"{where}: {keyword.arg}= not marked for translation"
        if keyword.arg == "choices" and isinstance(keyword.value, (ast.List, ast.Tuple)):
            yield from _choice_list_problems(path, keyword.value)
        if keyword.arg in MESSAGE_DICTS:
            yield from _dict_problems(path, keyword.value)


def _choice_list_problems(path: Path, node: ast.List | ast.Tuple) -> Iterator[str]:
    for item in node.elts:
        if isinstance(item, ast.Tuple) and len(item.elts) == 2:
            label = item.elts[1]
            if _is_literal(label):
                yield f"{path}:{item.lineno}: choice label not marked for translation"
            elif isinstance(label, (ast.List, ast.Tuple)):
                yield from _choice_list_problems(path, label)


def _choices_problems(path: Path, node: ast.ClassDef) -> Iterator[str]:
    for statement in node.body:
        if not isinstance(statement, ast.Assign) or not all(isinstance(t, ast.Name) for t in statement.targets):
            continue
        names = [t.id for t in statement.targets if isinstance(t, ast.Name)]
        if not names[0].isupper():  # members are in capitals; anything else is a helper
            continue
        value = statement.value
        label = value.elts[-1] if isinstance(value, ast.Tuple) and len(value.elts) >= 2 else None
        if label is None:
            yield f"{path}:{statement.lineno}: choice {names[0]} has no label marked for translation"
        elif _is_literal(label):
            yield f"{path}:{statement.lineno}: choice {names[0]} label not marked for translation"


def _dict_problems(path: Path, node: ast.AST) -> Iterator[str]:
    if isinstance(node, ast.Dict):
        for value in node.values:
            if _is_literal(value):
                yield f"{path}:{value.lineno}: text not marked for translation"
            elif isinstance(value, ast.Dict):
                yield from _dict_problems(path, value)


# -- Which files -------------------------------------------------------------------------------------------------------


def templates() -> list[Path]:
    folder = ROOT / "templates"
    return sorted(p for p in folder.rglob("*") if p.suffix in {".html", ".txt"})


def python_modules() -> list[Path]:
    """The modules whose text a person reads: not migrations, commands for operators, settings or the demo's data."""
    modules = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" in relative or "/management/" in relative or path.name.startswith("demo"):
                continue
            if relative in {"recovery_program/settings.py", "recovery_program/fake_twilio.py"}:
                continue
            modules.append(path)
    return modules


def problems(paths: list[Path] | None = None) -> list[str]:
    found: list[str] = []
    for path in paths if paths is not None else templates() + python_modules():
        if path.suffix == ".py":
            found.extend(python_problems(path))
        else:
            found.extend(template_problems(path))
    return found


def _expand(arguments: list[str]) -> list[Path]:
    paths: list[Path] = []
    for argument in arguments:
        path = Path(argument).resolve()
        if path.is_dir():
            paths.extend(p for p in sorted(path.rglob("*")) if p.suffix in {".html", ".txt", ".py"})
        else:
            paths.append(path)
    return [p for p in paths if "/migrations/" not in p.as_posix()]


if __name__ == "__main__":
    found = problems(_expand(sys.argv[1:]) if len(sys.argv) > 1 else None)
    print("\n".join(found))
    print(f"{len(found)} not marked for translation", file=sys.stderr)
    sys.exit(1 if found else 0)
