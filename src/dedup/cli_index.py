"""``dedup index add/remove/stats``, ``dedup screen`` and ``dedup check``: the
command-line shell over :mod:`dedup.index` and :mod:`dedup.check`.

Parameter options (``--threshold``, ``--shingle-size``, ...) default to
"whatever the index was built with" (or the scan defaults for a new index),
so day-to-day commands name only the store; given explicitly, they must match
the store's, and a mismatch is refused saying what differs.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from .cli import (
    EXIT_DUPLICATES,
    EXIT_ERROR,
    EXIT_OK,
    IdField,
    LshThreshold,
    NumPerm,
    Output,
    Paths,
    Progress,
    Quiet,
    Seed,
    ShingleKind,
    ShingleSize,
    Strict,
    TextField,
    Threshold,
    app,
    check_output,
    fail,
    log,
    write_output,
)

index_app = typer.Typer(
    name="index",
    help="Build and maintain a persistent index (one SQLite file) for screen and check.\n\n"
    "Example:\n\n    dedup index add --db desk.db archive/ wire-2024.jsonl",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(index_app, name="index")

Db = Annotated[Path, typer.Option("--db", help="The index file (SQLite), e.g. desk.db.", show_default=False)]


def _params(
    threshold: Optional[float],
    shingle_size: Optional[int],
    shingle_kind: Optional[Any],
    num_perm: Optional[int],
    seed: Optional[int],
    lsh_threshold: Optional[float],
) -> dict[str, Any]:
    """The parameters given on the command line (the rest come from the store)."""
    given = {
        "threshold": threshold,
        "shingle_size": shingle_size,
        "shingle_kind": shingle_kind.value if shingle_kind is not None else None,
        "num_perm": num_perm,
        "seed": seed,
        "lsh_threshold": lsh_threshold,
    }
    return {k: v for k, v in given.items() if v is not None}


def _json(obj: dict, output: Optional[Path] = None) -> None:
    import orjson

    write_output([orjson.dumps(obj, option=orjson.OPT_INDENT_2) + b"\n"], output)


@index_app.command("add")
def index_add(
    db: Db,
    paths: Paths,
    replace: Annotated[bool, typer.Option("--replace", help="Replace a document whose id is indexed with another text.")] = False,
    batch_size: Annotated[
        Optional[int],
        typer.Option(
            "--batch-size",
            min=1,
            help="Lines (JSONL) or documents per transaction: a killed run loses at most the batch in progress. "
            "Bigger batches write faster but leave bigger recent segments for screening to search. "
            "[default: 1000, 10000 with --bulk]",
            show_default=False,
        ),
    ] = None,
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs",
            "-j",
            min=1,
            help="Processes that parse (JSONL), normalize, sign and pack documents while this one writes (same index "
            "for any value). Example: -j 2.",
        ),
    ] = 1,
    bulk: Annotated[
        bool,
        typer.Option(
            "--bulk",
            help="Loading an archive: 10,000 documents a transaction, the index's postings not merged while adding "
            "(up to 128 transactions; a posting is written twice in all, ~10 times without --bulk) and compacted "
            "when done (README, \"Measured\"). Screens running meanwhile are slower (~7 ms a story against ~0.8 "
            "near the end of a million-story load). Example: --bulk -j 2.",
        ),
    ] = False,
    threshold: Threshold = None,
    shingle_size: ShingleSize = None,
    shingle_kind: ShingleKind = None,
    num_perm: NumPerm = None,
    seed: Seed = None,
    lsh_threshold: LshThreshold = None,
    id_field: IdField = "id",
    text_field: TextField = "text",
    strict: Strict = False,
    quiet: Quiet = False,
) -> None:
    """Add documents to the index (created if absent), --batch-size per transaction.

    Re-adding an id with the same text does nothing; with another text it is
    reported (exit 2, the other documents are added) unless --replace. A run
    that is killed keeps every batch it committed. Parameter options apply to
    a new index; for an existing one they must match it (leave them out).
    Prints a JSON summary.

    Example:

        dedup index add --db desk.db archive/ wire-2024.jsonl

        dedup index add --db desk.db -j 2 --bulk archive-2010-2024.jsonl

        cat today.jsonl | dedup index add --db desk.db - --text-field body
    """
    from .index import Index
    from .inputs import JSONL_BLOCK, InputError, JsonlFields, check_paths, read_documents

    started = time.perf_counter()
    try:
        check_paths(paths)
        with Index.open(db, _params(threshold, shingle_size, shingle_kind, num_perm, seed, lsh_threshold), create=True) as index:
            items = read_documents(paths, JsonlFields(id_field, text_field), blocks=JSONL_BLOCK)
            with Progress("indexed", quiet) as progress:
                result = index.add(
                    items,
                    replace=replace,
                    strict=strict,
                    batch_size=batch_size,
                    progress=progress.update,
                    jobs=jobs,
                    bulk=bulk,
                )
            total = len(index)
    except (InputError, ValueError) as err:
        raise fail(str(err)) from None
    for problem in result.problems:
        log(f"skipped: {problem.message}", quiet)
    summary = {**result.as_dict(), "documents": total}
    log(
        f"dedup: {result.added} added, {result.replaced} replaced, {result.unchanged} unchanged, "
        f"{len(result.problems)} skipped ({result.conflicts} id conflicts); {total} in {db}; "
        f"{time.perf_counter() - started:.2f} s",
        quiet,
    )
    _json(summary)
    if result.conflicts:
        raise typer.Exit(EXIT_ERROR)


@index_app.command("remove")
def index_remove(
    db: Db,
    ids: Annotated[list[str], typer.Argument(help="Ids of the documents to remove.", show_default=False)],
    quiet: Quiet = False,
) -> None:
    """Remove documents by id (one transaction). Ids not in the index are
    listed under not_found; removing is idempotent, so that is not an error.

    Example:

        dedup index remove --db desk.db wire-0042 wire-0043
    """
    from .index import Index
    from .inputs import InputError

    try:
        with Index.open(db) as index:
            removed, missing = index.remove(ids)
            total = len(index)
    except InputError as err:
        raise fail(str(err)) from None
    for doc_id in missing:
        log(f"not in the index: {doc_id}", quiet)
    _json({"removed": removed, "not_found": missing, "documents": total})


@index_app.command("stats")
def index_stats(db: Db) -> None:
    """Print the index's document count, parameters (whole-document and
    containment-window bands), schema version and size.

    Example:

        dedup index stats --db desk.db
    """
    from .index import Index
    from .inputs import InputError

    try:
        with Index.open(db, readonly=True) as index:
            stats = index.stats()
    except InputError as err:
        raise fail(str(err)) from None
    _json(stats)


@app.command()
def screen(
    db: Db,
    add: Annotated[
        bool, typer.Option("--add", help="Add every new document to the index as it arrives (committed at once).")
    ] = False,
    threshold: Threshold = None,
    shingle_size: ShingleSize = None,
    shingle_kind: ShingleKind = None,
    num_perm: NumPerm = None,
    seed: Seed = None,
    lsh_threshold: LshThreshold = None,
    id_field: IdField = "id",
    text_field: TextField = "text",
    quiet: Quiet = False,
) -> None:
    """Screen incoming JSONL documents on stdin against the index.

    Writes one JSON verdict per non-blank input line to stdout as soon as it
    is decided: {"line", "id", "verdict": "new" | "duplicate" | "near_duplicate"
    | ..., "matches": [{"id", "similarity", "relation", "reason",
    "containment", "passages"}, ...]}; with --add also "added" (dedup schema
    screen prints the JSON Schema of a line). A line that is not a usable
    document gives {"line", "id", "verdict": "error", "reason", "error"} and
    the stream goes on. Counts go to stderr at the end. Without --add the
    index must exist. Exit 0 once the stream has ended, whatever the
    verdicts (read them from the lines); 2 on a usage error (no index,
    parameters that differ from the index's).
    Candidates are the indexed documents sharing a whole-document band or a
    30-word window band (not boilerplate) with the line, as in a scan, so a
    trimmed re-send of an indexed story is found too.

    Example:

        tail -f wire.jsonl | dedup screen --db desk.db --add

        dedup screen --db desk.db < incoming.jsonl | jq 'select(.verdict != "new")'
    """
    import orjson

    from .index import Index, screen_stream
    from .inputs import InputError, JsonlFields

    started = time.perf_counter()
    counts: dict[str, int] = {}
    added = 0
    try:
        with Index.open(db, _params(threshold, shingle_size, shingle_kind, num_perm, seed, lsh_threshold), create=add) as index:
            out = sys.stdout.buffer
            for verdict in screen_stream(index, sys.stdin.buffer, JsonlFields(id_field, text_field), add=add):
                out.write(orjson.dumps(verdict) + b"\n")
                out.flush()
                counts[verdict["verdict"]] = counts.get(verdict["verdict"], 0) + 1
                added += bool(verdict.get("added"))
    except (InputError, ValueError) as err:
        raise fail(str(err)) from None
    summary = ", ".join(f"{n} {v}" for v, n in sorted(counts.items())) or "no documents"
    log(
        f"dedup screen: {sum(counts.values())} lines: {summary}"
        + (f"; {added} added" if add else "")
        + f"; {time.perf_counter() - started:.2f} s",
        quiet,
    )


@app.command()
def check(
    paths: Paths,
    against: Annotated[
        str,
        typer.Option(
            "--against",
            help="The corpus: an index file (opened read-only), a directory of *.txt, or a JSONL file.",
            show_default=False,
        ),
    ],
    threshold: Threshold = None,
    shingle_size: ShingleSize = None,
    shingle_kind: ShingleKind = None,
    num_perm: NumPerm = None,
    seed: Seed = None,
    lsh_threshold: LshThreshold = None,
    output: Output = None,
    id_field: IdField = "id",
    text_field: TextField = "text",
    strict: Strict = False,
    quiet: Quiet = False,
) -> None:
    """Check new documents against a corpus and against each other.

    Exit 1 when any new document duplicates a corpus document or another new
    one, 0 when none does, 2 on usage or input errors. The JSON report on
    stdout lists each duplicating document with its matches (id, similarity,
    relation, found_in: corpus or new). New files inside a directory corpus
    are not compared with themselves (as in a pre-commit hook). Parameter
    options default to the index's own (an index corpus) or the scan defaults.

    Example:

        dedup check --against corpus/ incoming/*.txt

        dedup check --against desk.db new-batch.jsonl -o check.json
    """
    from .check import check as run_check
    from .inputs import InputError, JsonlFields

    check_output(output)
    started = time.perf_counter()
    try:
        screened = Progress("screened new", quiet, clock_from_first=True)
        with screened, Progress("indexed corpus", quiet) as progress:  # the inner one's last line first
            result = run_check(
                paths,
                against,
                _params(threshold, shingle_size, shingle_kind, num_perm, seed, lsh_threshold),
                JsonlFields(id_field, text_field),
                strict,
                progress=progress.update,
                screened=screened.update,
            )
    except (InputError, ValueError) as err:
        raise fail(str(err)) from None
    report = result.report()
    for problem in result.problems:
        log(f"skipped: {problem.message}", quiet)
    log(
        f"dedup check: {result.new_documents} new documents against {result.corpus_documents}: "
        f"{len(result.flagged)} duplicate(s), {len(result.problems)} skipped; {time.perf_counter() - started:.2f} s",
        quiet,
    )
    _json(report, output)
    raise typer.Exit(EXIT_DUPLICATES if result.flagged else EXIT_OK)
