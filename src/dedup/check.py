"""``dedup check``: does an addition duplicate what a corpus already has?

A corpus repository runs this in CI or as a pre-commit hook on the files it is
about to add. Every new document is screened against the corpus (an existing
index, opened read-only, or a directory / JSONL indexed into a temporary
store) and against the other new documents (a scan of the new documents: two
copies of one story added together count too). The report lists each new
document that duplicates something, with every match, its similarity and
relation; the exit code says whether there was any.

New files that lie inside a directory corpus are not compared with
themselves: a pre-commit hook passes the staged files, which are already in
the working tree the corpus directory is read from. Likewise a document of
any other corpus (an index, JSONL, a text file) with the same id as a new
one is the same document (already indexed), not a duplicate of it. Not so
in a directory corpus, where an id is a path relative to the directory:
``incoming/x.txt`` and ``corpus/x.txt`` share the id ``x.txt`` and are two
files.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .index import Index, Match, match_object, matched
from .inputs import Document, JsonlFields, Problem, check_paths, printable, read_documents
from .report import CHECK_SCHEMA_VERSION, TOOL, parameters
from .scan import ScanConfig, collect, scan

_SQLITE_HEADER = b"SQLite format 3\x00"


def is_index_file(path: str | Path) -> bool:
    """Whether ``path`` is a SQLite file (so an index), whatever its name."""
    p = Path(path)
    if not p.is_file():
        return False
    with p.open("rb") as handle:
        return handle.read(len(_SQLITE_HEADER)) == _SQLITE_HEADER


@dataclass(frozen=True)
class Flagged:
    """A new document that duplicates corpus or other new documents."""

    document: Document
    #: (match, where: "corpus" or "new"), most similar first
    matches: list[tuple[Match, str]]

    @property
    def relation(self) -> str:
        return self.matches[0][0].verdict.relation


@dataclass
class CheckResult:
    config: ScanConfig
    against: str
    new_documents: int
    corpus_documents: int
    flagged: list[Flagged] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def report(self) -> dict:
        """The JSON report (deterministic: input order, fixed keys)."""
        return {
            "schema_version": CHECK_SCHEMA_VERSION,
            "tool": TOOL,
            "parameters": parameters(self.config),
            "against": self.against,
            "stats": {
                "new_documents": self.new_documents,
                "corpus_documents": self.corpus_documents,
                "duplicates": len(self.flagged),
                "skipped": len(self.problems),
            },
            "duplicates": [
                {
                    "id": f.document.id,
                    "origin": f.document.origin,
                    "relation": f.relation,
                    "matches": [match_object(m, found_in=where) for m, where in f.matches],
                }
                for f in self.flagged
            ],
            "skipped": [p.as_dict() for p in self.problems],
        }


def _files_below(paths: Iterable[str]) -> set[str]:
    """The resolved text files named by (or found below) ``paths``, written
    as a document's origin is (:func:`dedup.inputs.printable`)."""
    files: set[str] = set()
    for arg in paths:
        p = Path(arg)
        if arg == "-" or not p.exists():
            continue
        found = p.rglob("*.txt") if p.is_dir() else [p]
        files.update(printable(str(f.resolve())) for f in found if f.is_file())
    return files


def _without(items: Iterable[Document | Problem], files: set[str]) -> Iterable[Document | Problem]:
    # an origin is a path as text (a file name that is not UTF-8 escaped),
    # so it is resolved as text: no file need exist under that spelling
    for item in items:
        if isinstance(item, Document) and str(Path(item.origin).resolve()) in files:
            continue
        yield item


def check(
    new_paths: list[str],
    against: str,
    config: ScanConfig | Mapping[str, Any] | None = None,
    fields: JsonlFields = JsonlFields(),
    strict: bool = False,
    progress: Callable[[int], None] | None = None,
    screened: Callable[[int], None] | None = None,
) -> CheckResult:
    """Check the documents of ``new_paths`` against the corpus ``against``
    (an index file, a directory or a JSONL file) and against each other.
    ``progress`` is told how many corpus documents each indexing step
    added, ``screened`` each new document screened."""
    check_paths([*new_paths, against])
    if is_index_file(against):
        with Index.open(against, config, readonly=True) as index:
            return _check_with(index, new_paths, against, fields, strict, [], screened, same_id_is_self=True)
    with tempfile.TemporaryDirectory(prefix="dedup-check-") as tmp:
        with Index.open(Path(tmp) / "corpus.db", config, create=True) as index:
            corpus = _without(read_documents([against], fields), _files_below(new_paths))
            added = index.add(corpus, strict=strict, progress=progress)
            directory = against != "-" and Path(against).is_dir()  # - is stdin, whatever is in the cwd
            return _check_with(
                index, new_paths, against, fields, strict, added.problems, screened, same_id_is_self=not directory
            )


def _check_with(
    index: Index,
    new_paths: list[str],
    against: str,
    fields: JsonlFields,
    strict: bool,
    problems: list[Problem],
    screened: Callable[[int], None] | None,
    same_id_is_self: bool,
) -> CheckResult:
    documents, new_problems = collect(read_documents(new_paths, fields), strict)
    among_new = scan(documents, index.config, new_problems, strict)
    found: list[list[tuple[Match, str]]] = [[] for _ in documents]
    for screening, found_here in zip(index.screen_many(documents, exclude_self=same_id_is_self), found):
        if not isinstance(screening, Problem):  # too short: among_new reports it
            found_here.extend((m, "corpus") for m in screening.matches)
        if screened:
            screened(1)
    for (a, b), verdict in zip(among_new.pairs.tolist(), among_new.pair_verdicts):
        found[b].append((matched(documents[a].id, verdict, documents[b].text, documents[a].text), "new"))
    result = CheckResult(index.config, against, len(documents), len(index), problems=[*problems, *among_new.problems])
    for doc, matches in zip(documents, found):
        if matches:
            matches.sort(key=lambda mw: (-mw[0].verdict.jaccard, mw[0].id, mw[1]))
            result.flagged.append(Flagged(doc, matches))
    return result

