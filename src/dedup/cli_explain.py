"""``dedup explain A B``: why two stories match, readable in a terminal.

``A`` and ``B`` are text files (or ``-``), or with ``--db`` two ids of an
index (:class:`dedup.index.Index`).

A thin shell over :func:`dedup.passages.compare`. ``--json`` prints its
object; the default is a plain-text layout made for Arabic in terminals.
Terminals do not apply the Unicode bidi algorithm reliably (many print every
line left to right, some reorder each line as one paragraph), and a
side-by-side two-column layout puts Latin labels, digits and two Arabic runs on
one line, which no bidi algorithm can lay out as two columns. So every line
holds either only ASCII (labels, offsets, scores) or only passage text, each
passage on its own lines; a passage line starts with RIGHT-TO-LEFT MARK so that
terminals that do bidi lay it out right to left even when it opens with a
digit or a Latin name, and is wrapped on word boundaries so that no terminal
wraps it in the middle of a reordered run.
"""

from __future__ import annotations

import shutil
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import orjson
import typer

from .cli import Quiet, app, fail, log, write_output

if TYPE_CHECKING:
    from .scan import ScanConfig

RLM = "\u200f"


def read_stored(db: Path, ids: tuple[str, str]) -> tuple[list[tuple[str, str]], ScanConfig]:
    """``(id, original text)`` of two documents of an index (``--db``), and
    the index's parameters (it judges with its own rules)."""
    from .index import Index
    from .inputs import InputError

    try:
        with Index.open(db, readonly=True) as index:
            docs, config = [index.get_document(doc_id) for doc_id in ids], index.config
    except InputError as err:
        raise fail(str(err)) from None
    for doc_id, doc in zip(ids, docs):
        if doc is None:
            raise fail(f"{doc_id!r}: not in the index {db}")
    return [(doc.id, doc.text) for doc in docs if doc is not None], config


def read_text(arg: str) -> tuple[str, str]:
    """``(name, text)`` of a text file argument, or of stdin for ``-``."""
    from .inputs import Problem, decode_text, printable

    if arg == "-":
        name, data = "<stdin>", sys.stdin.buffer.read()
    else:
        path, name = Path(arg), printable(arg)
        if path.is_dir():
            raise fail(f"{name}: is a directory (explain compares two files)")
        if not path.is_file():
            raise fail(f"{name}: no such file")
        data = path.read_bytes()
    text = decode_text(data, name)
    if isinstance(text, Problem):
        raise fail(text.message)
    return name, text


def wrap(text: str, width: int) -> list[str]:
    """Lines of at most ``width`` characters, each a right-to-left paragraph."""
    lines = []
    for paragraph in text.splitlines():
        lines.extend(textwrap.wrap(" ".join(paragraph.split()), width, break_long_words=False) or [""])
    return [f"    {RLM}{line}" if line else "" for line in lines]


def render(name_a: str, name_b: str, text_b: str, explained: dict, width: int) -> str:
    """The readable layout of :func:`dedup.passages.compare`'s object."""
    ca, cb = explained["containment"]
    reason = f" ({explained['reason']})" if explained["reason"] else ""
    passages = explained["passages"]
    out = [
        f"a: {name_a}",
        f"b: {name_b}",
        f"relation: {explained['relation']}{reason}",
        f"jaccard {explained['jaccard']:.3f}   a in b {ca:.3f}   b in a {cb:.3f}",
        f"{len(passages)} shared passage{'s' if len(passages) != 1 else ''}",
    ]
    for n, p in enumerate(passages, 1):
        (sa, ea), (sb, eb) = p["a"], p["b"]
        out += ["", f"[{n}] a {sa}-{ea}   b {sb}-{eb}   similarity {p['similarity']:.3f}   {ea - sa} characters"]
        if p["similarity"] == 1.0:
            out += wrap(p["text"], width)
        else:
            out += ["  a:", *wrap(p["text"], width), "  b:", *wrap(text_b[sb:eb], width)]
    return "\n".join(out) + "\n"


@app.command()
def explain(
    first: Annotated[
        str, typer.Argument(help="The first story: a text file, - for text on stdin, or an id with --db.", show_default=False)
    ],
    second: Annotated[
        str, typer.Argument(help="The second story: a text file, - for text on stdin, or an id with --db.", show_default=False)
    ],
    db: Annotated[
        Optional[Path],
        typer.Option("--db", help="Read the two stories by id from this index (dedup index add), e.g. desk.db."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the evidence as JSON (relation, jaccard, containment, passages).")
    ] = False,
    threshold: Annotated[
        Optional[float],
        typer.Option(
            "--threshold",
            "-t",
            min=0.01,
            max=1.0,
            help="Exact Jaccard similarity at or above which two documents are duplicates (default 0.5; with --db, "
            "the index's own).",
        ),
    ] = None,
    reworded: Annotated[
        Optional[float],
        typer.Option(
            "--reworded",
            min=0.01,
            max=1.0,
            help="Share of --threshold down to which a reworded copy counts, as in dedup scan (default 0.9; with "
            "--db, the index's own). Example: --reworded 1.0.",
        ),
    ] = None,
    width: Annotated[
        Optional[int], typer.Option("--width", min=20, help="Wrap passage text at this many characters (default: terminal width - 6).")
    ] = None,
    quiet: Quiet = False,
) -> None:
    """Show why two stories match: relation, containment both ways and every
    shared passage with its offsets in both original texts.

    Passages are printed one under the other (not side by side, which
    terminals cannot lay out for Arabic); a passage edited between the two
    stories is printed as it reads in each. Offsets are Python character
    offsets into each file's text, as in `dedup scan --pairs`.

    Example:

        dedup explain wire.txt local.txt

        dedup explain wire.txt local.txt --json

        cat local.txt | dedup explain wire.txt -

        dedup explain --db desk.db wire-0042 local-0917
    """
    from .passages import compare
    from .scan import ScanConfig

    if db is not None:
        if threshold is not None or reworded is not None:
            raise fail("with --db the index's own rules judge the pair: leave out --threshold and --reworded")
        ((name_a, text_a), (name_b, text_b)), config = read_stored(db, (first, second))
    elif first == "-" and second == "-":
        raise fail("only one of the two stories can come from stdin")
    else:
        (name_a, text_a), (name_b, text_b) = read_text(first), read_text(second)
        asked = {"threshold": threshold, "reworded": reworded}
        config = ScanConfig(**{k: v for k, v in asked.items() if v is not None})
    explained = compare(text_a, text_b, config.verdict, config.shingle_size)
    log(f"dedup: {name_a} / {name_b}: {explained['relation']}, {len(explained['passages'])} passages", quiet)
    if as_json:
        write_output([orjson.dumps({"a": name_a, "b": name_b, **explained}, option=orjson.OPT_INDENT_2) + b"\n"], None)
        return
    columns = width or max(20, shutil.get_terminal_size((86, 24)).columns - 6)
    write_output([render(name_a, name_b, text_b, explained, columns).encode("utf-8")], None)
