"""The ``dedup`` command line: a thin shell over the library.

Conventions for every command: JSON on stdout (or ``-o FILE``), progress and
logs on stderr (``--quiet`` silences them), ``-`` reads JSONL from stdin.
Exit codes: 0 ok, 1 duplicates found (commands that check), 2 usage or input
error.
"""

from __future__ import annotations

import os
import sys
import time
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from . import __version__

app = typer.Typer(
    name="dedup",
    help="Find copies and lightly edited copies of the same Arabic news story.\n\n"
    "Exit codes: 0 ok, 1 duplicates found (commands that check), 2 usage or input error.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)

EXIT_OK, EXIT_DUPLICATES, EXIT_ERROR = 0, 1, 2
#: Show a progress bar above this many documents, or once the work has
#: taken this many seconds (slow documents: a check against a big index).
PROGRESS_MIN_DOCS = 300
PROGRESS_MIN_SECONDS = 10.0


class OutputFormat(str, Enum):
    json = "json"
    jsonl = "jsonl"


class ShingleKindOpt(str, Enum):
    char = "char"
    word = "word"


def log(message: str, quiet: bool) -> None:
    if not quiet:
        typer.echo(message, err=True)


def fail(message: str) -> typer.Exit:
    """Print an input/usage error on stderr; return the exit to raise."""
    typer.echo(f"dedup: error: {message}", err=True)
    return typer.Exit(EXIT_ERROR)


def check_output(output: Optional[Path]) -> None:
    """Fail (exit 2) before any work when ``output`` cannot be written: a
    long scan should not end in a lost report."""
    if output is None or str(output) == "-":
        return
    if output.is_dir():
        raise fail(f"{output}: is a directory (-o takes a file)")
    parent = output.parent
    if not parent.is_dir():
        raise fail(f"{output}: no such directory: {parent}")
    if not os.access(parent, os.W_OK) or (output.exists() and not os.access(output, os.W_OK)):
        raise fail(f"{output}: not writable")


def write_output(chunks, output: Optional[Path]) -> None:
    """Write byte chunks to ``output`` (``-`` or None: stdout); an error
    writing the file is exit 2, never 1 (which means duplicates found)."""
    if output is None or str(output) == "-":
        for chunk in chunks:
            sys.stdout.buffer.write(chunk)
        sys.stdout.buffer.flush()
        return
    try:
        with open(output, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
    except OSError as err:
        raise fail(f"{output}: cannot write: {err.strerror}") from None


class Progress:
    """Progress of a stream whose length is unknown until it ends (the scan
    signs while it reads): the documents hashed so far and their rate, on
    stderr, once more than :data:`PROGRESS_MIN_DOCS` have been or the work
    has taken :data:`PROGRESS_MIN_SECONDS`. Redrawn in place on a terminal
    (at most 4 times a second), a line every 10 s in a log; a last line at
    the end when any was shown."""

    def __init__(self, label: str, quiet: bool, clock_from_first: bool = False) -> None:
        """``clock_from_first``: the rate counts from the first update, for
        a stage that starts after others (check screens once the corpus is
        indexed)."""
        self.label, self.quiet, self.clock_from_first = label, quiet, clock_from_first
        self.count = 0
        self.started = self.drawn = time.monotonic()
        self.terminal = sys.stderr.isatty()
        self.shown = False
        self.drawn_count = 0

    def update(self, n: int) -> None:
        now = time.monotonic()
        if self.clock_from_first and not self.count:
            self.started = self.drawn = now
        self.count += n
        due = self.count > PROGRESS_MIN_DOCS or now - self.started >= PROGRESS_MIN_SECONDS
        if not self.quiet and due and now - self.drawn >= (0.25 if self.terminal else 10.0):
            self._draw(now, end="")
            self.drawn, self.shown = now, True

    def _draw(self, now: float, end: str) -> None:
        rate = self.count / max(now - self.started, 1e-9)
        self.drawn_count = self.count
        shown_rate = f"{rate:,.1f}" if rate < 10 else f"{rate:,.0f}"  # slow documents: 0.4/s, not 0/s
        line = f"{self.label}: {self.count:,} documents ({shown_rate}/s)"
        sys.stderr.write(("\r" + line + end) if self.terminal else line + "\n")
        sys.stderr.flush()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        # a last line, unless a log's last line already says the same count
        # (a terminal's in-place line still needs its newline)
        last = self.shown and not self.terminal and self.drawn_count == self.count
        if not self.quiet and (self.shown or self.count > PROGRESS_MIN_DOCS) and not last:
            self._draw(time.monotonic(), end="\n")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"dedup {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    pass


# Options shared by the commands that read documents.
Paths = Annotated[
    list[str],
    typer.Argument(
        help="Text files, directories (every *.txt below, id = path relative to the directory), "
        "JSONL files (*.jsonl, *.ndjson), or - for JSONL on stdin.",
        show_default=False,
    ),
]
IdField = Annotated[str, typer.Option("--id-field", help="JSONL field holding the document id.")]
TextField = Annotated[str, typer.Option("--text-field", help="JSONL field holding the document text.")]
Strict = Annotated[
    bool, typer.Option("--strict", help="Stop with exit 2 at the first unusable document instead of reporting it.")
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or log lines on stderr.")]
Threshold = Annotated[
    float,
    typer.Option(
        "--threshold", "-t", min=0.01, max=1.0, help="Exact Jaccard similarity at or above which two documents are duplicates."
    ),
]
ShingleSize = Annotated[
    int, typer.Option("--shingle-size", "-k", min=1, help="Characters (or words, with --shingle-kind word) per shingle.")
]
ShingleKind = Annotated[ShingleKindOpt, typer.Option("--shingle-kind", help="Shingle characters (default) or words.")]
NumPerm = Annotated[int, typer.Option("--num-perm", min=8, max=4096, help="MinHash permutations (signature length).")]
Seed = Annotated[int, typer.Option("--seed", help="Seed of the MinHash permutations.")]
LshThreshold = Annotated[
    Optional[float],
    typer.Option(
        "--lsh-threshold",
        min=0.01,
        max=1.0,
        help="Jaccard the LSH bands are tuned for (candidates only; every candidate is verified exactly). "
        "Default: 0.8 x --threshold.",
    ),
]
Output = Annotated[Optional[Path], typer.Option("--output", "-o", help="Write the report here instead of stdout.")]


@app.command()
def scan(
    paths: Paths,
    threshold: Threshold = 0.5,
    shingle_size: ShingleSize = 5,
    shingle_kind: ShingleKind = ShingleKindOpt.char,
    num_perm: NumPerm = 128,
    seed: Seed = 1,
    lsh_threshold: LshThreshold = None,
    containment: Annotated[
        float,
        typer.Option(
            "--containment",
            min=0.01,
            max=1.0,
            help="Share of the shorter text's shingles found in the longer one at or above which a pair is a "
            "truncated copy or an update (when nothing in the shared text conflicts).",
        ),
    ] = 0.75,
    containment_windows: Annotated[
        int,
        typer.Option(
            "--containment-windows",
            min=0,
            help="Words per window of the search for short texts inside longer ones (0: off, faster).",
        ),
    ] = 30,
    templates: Annotated[
        bool,
        typer.Option(
            "--templates/--no-templates",
            help="Judge shared wording with conflicting facts (other names, places, figures) as a different story.",
        ),
    ] = True,
    split_chains: Annotated[
        bool,
        typer.Option(
            "--split-chains/--no-split-chains",
            help="Cut chained clusters at their hub (a story and its copies form a star; template reports a chain).",
        ),
    ] = True,
    reworded: Annotated[
        float,
        typer.Option(
            "--reworded",
            min=0.01,
            max=1.0,
            help="Share of --threshold down to which a pair still counts as a copy reworded sentence by sentence, "
            "when no fact conflicts, the longer adds no new lead or paragraphs and each text's lead is told in the "
            "other (1.0: off). Below 0.8 (the LSH bands' share of the threshold) lower --lsh-threshold with it, or "
            "such pairs are compared only when a band or window collides. Example: --reworded 1.0.",
        ),
    ] = 0.9,
    partial_as_duplicate: Annotated[
        bool,
        typer.Option(
            "--partial-as-duplicate", help="Also cluster a short text with the much longer article that contains it."
        ),
    ] = False,
    pairs: Annotated[
        bool,
        typer.Option(
            "--pairs",
            help="Also list every verified pair and every partial pair (a shared passage of about 200+ "
            "characters between otherwise different stories), each with containment both ways and the shared "
            "passages in original-text offsets. Slower: passage search runs only with this option.",
        ),
    ] = False,
    output_format: Annotated[
        OutputFormat,
        typer.Option("--format", help="json: one document; jsonl: one cluster per line, then pairs, then a summary line."),
    ] = OutputFormat.json,
    output: Output = None,
    id_field: IdField = "id",
    text_field: TextField = "text",
    strict: Strict = False,
    timings: Annotated[
        bool, typer.Option("--timings", help="Add stats.seconds (makes the output differ from run to run).")
    ] = False,
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs", "-j", min=1, help="Processes that normalize and sign documents (same output for any value). Example: -j 2."
        ),
    ] = 1,
    quiet: Quiet = False,
) -> None:
    """Cluster near-duplicate documents and print a versioned JSON report.

    Example:

        dedup scan seeds/

        dedup scan corpus.jsonl --threshold 0.3 --pairs -o report.json

        cat wire.jsonl | dedup scan - --text-field body --format jsonl
    """
    from .inputs import InputError, JsonlFields, read_documents
    from .report import json_bytes, jsonl_lines, scan_report
    from .scan import ScanConfig, scan_items

    check_output(output)
    started = time.perf_counter()
    try:
        config = ScanConfig(
            threshold=threshold,
            shingle_size=shingle_size,
            shingle_kind=shingle_kind.value,
            num_perm=num_perm,
            seed=seed,
            lsh_threshold=lsh_threshold,
            containment_windows=containment_windows,
            containment=containment,
            templates=templates,
            partial_is_duplicate=partial_as_duplicate,
            reworded=reworded,
            split_chains=split_chains,
        )
        with Progress("hashing", quiet) as progress:
            result = scan_items(
                read_documents(paths, JsonlFields(id_field, text_field)),
                config,
                strict,
                progress=progress.update,
                jobs=jobs,
                on_problem=lambda problem: log(f"skipped: {problem.message}", quiet),
            )
    except (InputError, ValueError) as err:
        raise fail(str(err)) from None
    for problem in result.problems:  # the others were logged as they were read
        if problem.reason == "too_short":  # known once the texts are shingled
            log(f"skipped: {problem.message}", quiet)
    partials = []
    if pairs:  # passage-level search: adds partial pairs, never changes clusters
        from .passages import scan_partials

        partials = scan_partials(result)
    seconds = time.perf_counter() - started
    report = scan_report(result, include_pairs=pairs, seconds=seconds if timings else None, partials=partials)
    stats = report["stats"]
    log(
        f"dedup: {stats['documents_scanned']} documents, {stats['clusters']} clusters, "
        f"{stats['skipped']} skipped, {seconds:.2f} s",
        quiet,
    )
    write_output(jsonl_lines(report) if output_format is OutputFormat.jsonl else [json_bytes(report)], output)


class SchemaOf(str, Enum):
    scan = "scan"
    screen = "screen"
    check = "check"


@app.command()
def schema(
    command: Annotated[
        SchemaOf,
        typer.Argument(help="Whose output: scan (the report), screen (one output line) or check (the report)."),
    ] = SchemaOf.scan,
) -> None:
    """Print the JSON Schema (draft 2020-12) of a command's JSON output.

    Examples:

        dedup schema > dedup-scan.schema.json

        dedup schema screen > dedup-screen-line.schema.json
    """
    import orjson

    from .report import SCHEMAS

    write_output([orjson.dumps(SCHEMAS[command.value], option=orjson.OPT_INDENT_2) + b"\n"], None)


def main() -> None:
    app()
from . import cli_explain  # noqa: E402,F401  (registers commands)
from . import cli_index  # noqa: E402,F401  (registers commands)
