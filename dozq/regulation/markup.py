"""The plain markup section texts are written in, and side-by-side differences.

Paragraphs are separated by an empty line; a line starting with «- » (or «– »,
«•») is a list item. Nothing else is special, so no HTML is ever stored: pages
escape the text, documents put it into paragraphs. ``normalise`` gives the one
canonical spelling of a text, so that comparing versions compares words.
"""

import difflib
import re
from dataclasses import dataclass, field

from markupsafe import Markup, escape

ITEM_MARK = re.compile(r"^\s*[-–—•*]\s+")
#: «(не визначено)»: composition marks what the configuration does not define yet.
UNDEFINED = "(не визначено)"
MAX_LENGTH = 60_000


@dataclass(frozen=True)
class Block:
    kind: str  # "p" (paragraph) or "item" (list item)
    text: str


def parse(text: str) -> list[Block]:
    blocks: list[Block] = []
    paragraph: list[str] = []

    def close() -> None:
        if paragraph:
            blocks.append(Block("p", " ".join(paragraph)))
            paragraph.clear()

    for raw in (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = " ".join(raw.split())
        if not line:
            close()
        elif mark := ITEM_MARK.match(raw):
            close()
            item = " ".join(raw[mark.end() :].split())
            if item:
                blocks.append(Block("item", item))
        else:
            paragraph.append(line)
    close()
    return blocks


def serialise(blocks: list[Block]) -> str:
    """Blocks back to markup: a blank line before each paragraph, items line by line
    (a list follows its introducing paragraph directly)."""
    lines: list[str] = []
    for block in blocks:
        if block.kind == "item":
            lines.append(f"- {block.text}")
        else:
            if lines:
                lines.append("")
            lines.append(block.text)
    return "\n".join(lines)


def normalise(text: str) -> str:
    return serialise(parse(text))


@dataclass
class Group:
    """For pages: a paragraph (with its number) or a list of items."""

    kind: str  # "p" or "ul"
    text: str = ""
    number: str = ""
    items: list[str] = field(default_factory=list)


def groups(text: str, section_number: int | None = None) -> list[Group]:
    """Paragraphs numbered «3.1.», «3.2.» as in the document; items grouped in lists."""
    result: list[Group] = []
    count = 0
    for block in parse(text):
        if block.kind == "item":
            if not result or result[-1].kind != "ul":
                result.append(Group("ul"))
            result[-1].items.append(block.text)
        else:
            count += 1
            number = f"{section_number}.{count}." if section_number is not None else ""
            result.append(Group("p", block.text, number))
    return result


def paragraphs(text: str, section_number: int) -> list[dict]:
    """For documents: each block with the prefix it is printed with."""
    result = []
    count = 0
    for block in parse(text):
        if block.kind == "item":
            result.append({"prefix": "– ", "text": block.text, "item": True})
        else:
            count += 1
            result.append(
                {"prefix": f"{section_number}.{count}. ", "text": block.text, "item": False}
            )
    return result


def count_undefined(text: str) -> int:
    return (text or "").count(UNDEFINED)


# Differences.


def _line(block: Block) -> str:
    return f"– {block.text}" if block.kind == "item" else block.text


def lines_of(text: str) -> list[str]:
    return [_line(block) for block in parse(text)]


_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")


def _words_diff(left: str, right: str) -> tuple[Markup, Markup]:
    a, b = _TOKEN.findall(left), _TOKEN.findall(right)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    out_a, out_b = [], []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        old, new = escape("".join(a[i1:i2])), escape("".join(b[j1:j2]))
        if op == "equal":
            out_a.append(old)
            out_b.append(new)
            continue
        if i2 > i1:
            out_a.append(Markup("<del>%s</del>") % Markup(old))
        if j2 > j1:
            out_b.append(Markup("<ins>%s</ins>") % Markup(new))
    return Markup("").join(out_a), Markup("").join(out_b)


@dataclass
class DiffRow:
    """One line of a side-by-side comparison; either side may be absent."""

    op: str  # equal, replace, delete, insert
    left: Markup | None
    right: Markup | None


def diff_lines(old: list[str], new: list[str]) -> list[DiffRow]:
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            rows += [DiffRow("equal", escape(line), escape(line)) for line in old[i1:i2]]
        elif op == "delete":
            rows += [DiffRow("delete", Markup("<del>%s</del>") % line, None) for line in old[i1:i2]]
        elif op == "insert":
            rows += [DiffRow("insert", None, Markup("<ins>%s</ins>") % line) for line in new[j1:j2]]
        else:
            left, right = old[i1:i2], new[j1:j2]
            for index in range(max(len(left), len(right))):
                if index < len(left) and index < len(right):
                    rows.append(DiffRow("replace", *_words_diff(left[index], right[index])))
                elif index < len(left):
                    rows.append(DiffRow("delete", Markup("<del>%s</del>") % left[index], None))
                else:
                    rows.append(DiffRow("insert", None, Markup("<ins>%s</ins>") % right[index]))
    return rows


def diff_texts(old: str, new: str) -> list[DiffRow]:
    return diff_lines(lines_of(old), lines_of(new))


def changed(rows: list[DiffRow]) -> bool:
    return any(row.op != "equal" for row in rows)
