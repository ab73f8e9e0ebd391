"""The versioned JSON report of a scan, and its JSON Schema.

Other tools read this output, so it is stable and deterministic: the same
input gives the same bytes (keys in a fixed order, similarities rounded to six
decimals, clusters ordered by their representative's input position, nothing
time-dependent unless ``--timings`` asks for it). ``SCHEMA_VERSION`` changes
with any change a reader could notice: minor for additions, major for
removals or changed meaning.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import orjson

from . import __version__
from .evidence import passage_objects
from .normalize import OffsetMap, normalize_with_offsets
from .passages import PartialPair
from .scan import ScanConfig, ScanResult
from .verdict import DUPLICATE_RELATIONS, PAIR_REASONS, overlap
from .verify import estimated_jaccard, intersection_sizes

#: 1.1: pairs carry relation, reason, containment and passages; 1.2: reason
#: ``reworded`` and the verdict rule ``reworded`` in parameters
SCHEMA_VERSION = "1.2"
#: ``dedup check``'s report (1.1: matches carry containment and passages; 1.2:
#: parameters carry the verdict rules; 1.3: as the scan's 1.2)
CHECK_SCHEMA_VERSION = "1.3"
TOOL = {"name": "dedup", "version": __version__}


def _r(x: float) -> float:
    return round(float(x), 6)


def parameters(cfg: ScanConfig) -> dict:
    """A report's ``parameters`` (scan and check): what was hashed, and the
    verdict rules that judged the verified pairs."""
    return {**config_parameters(cfg), "verdict": verdict_parameters(cfg)}


def verdict_parameters(cfg: ScanConfig) -> dict:
    """The verdict rules in force (dedup.verdict): they decide which verified
    pairs are duplicates, not what is hashed, so a store is not checked
    against them (an index judges with the rules it was built with)."""
    return {
        "containment": cfg.containment,
        "containment_windows": cfg.containment_windows,
        "templates": cfg.templates,
        "split_chains": cfg.split_chains,
        "partial_is_duplicate": cfg.partial_is_duplicate,
        "reworded": cfg.reworded,
    }


def config_parameters(cfg: ScanConfig) -> dict:
    """Everything that decides a result, with the derived bands and rows and
    the versions of the hashing and normalization (also what an index stores)."""
    bands, rows = cfg.bands_rows
    return {
        "threshold": cfg.threshold,
        "shingle_kind": cfg.shingle_kind,
        "shingle_size": cfg.shingle_size,
        "num_perm": cfg.num_perm,
        "seed": cfg.seed,
        "lsh_threshold": cfg.candidate_threshold,
        "bands": bands,
        "rows": rows,
        "minhash_scheme": "affine32",
        "shingle_hash": "fnv1a64-fmix64",
        "normalization": "arabic-1",
    }


def clusters(result: ScanResult) -> list[dict]:
    docs = result.documents
    out = []
    for n, scored in enumerate(result.clusters, start=1):
        members = scored.cluster.members
        out.append(
            {
                "id": f"c{n}",
                "size": len(members),
                "representative": docs[members[0]].id,
                "min_similarity": _r(scored.min_similarity),
                "members": [{"id": docs[m].id, "similarity": _r(s)} for m, s in zip(members, scored.similarities)],
            }
        )
    return out


def pairs(result: ScanResult, partials: Sequence[PartialPair] = ()) -> list[dict]:
    """Every verified duplicate pair and every partial pair, in input order,
    each with its evidence (containment both ways, shared passages in the
    original texts' offsets; see :mod:`dedup.evidence`)."""
    docs = result.documents
    hashed = result.hashed
    rows = [
        (a, b, v.relation, v.reason, v.jaccard, e, v.containment)
        for (a, b), v, e in zip(result.pairs.tolist(), result.pair_verdicts, result.pair_estimate.tolist())
    ]
    if partials:
        both = np.array([(p.i, p.j) for p in partials], dtype=np.int64)
        sizes = hashed.set_sizes
        for (a, b), x, e in zip(
            both.tolist(), intersection_sizes(hashed, both).tolist(), estimated_jaccard(hashed.signatures, both).tolist()
        ):
            jac, cont = overlap(x, int(sizes[a]), int(sizes[b]))
            rows.append((a, b, "partial", None, jac, e, cont))
    rows.sort(key=lambda r: (r[0], r[1]))
    maps: dict[int, OffsetMap] = {}

    def offset_map(i: int) -> OffsetMap:
        if i not in maps:
            maps[i] = normalize_with_offsets(docs[i].text)
        return maps[i]

    return [
        {
            "a": docs[a].id,
            "b": docs[b].id,
            "relation": relation,
            "reason": reason,
            "jaccard": _r(jac),
            "estimated_jaccard": _r(est),
            "containment": [_r(cont[0]), _r(cont[1])],
            "passages": passage_objects(docs[a].text, offset_map(a), offset_map(b)),
        }
        for a, b, relation, reason, jac, est, cont in rows
    ]


def scan_report(
    result: ScanResult,
    include_pairs: bool = False,
    seconds: float | None = None,
    partials: Sequence[PartialPair] = (),
) -> dict:
    """The whole report as one JSON-ready dict. ``partials`` (from
    :func:`dedup.passages.scan_partials`) are listed among the pairs."""
    stats = result.stats
    if include_pairs:
        stats["partial_pairs"] = len(partials)
    if seconds is not None:
        stats["seconds"] = round(seconds, 3)
    report = {
        "schema_version": SCHEMA_VERSION,
        "tool": TOOL,
        "parameters": parameters(result.config),
        "stats": stats,
        "skipped": [p.as_dict() for p in result.problems],
        "clusters": clusters(result),
    }
    if include_pairs:
        report["pairs"] = pairs(result, partials)
    return report


def json_bytes(report: dict) -> bytes:
    return orjson.dumps(report, option=orjson.OPT_INDENT_2) + b"\n"


def jsonl_lines(report: dict) -> Iterator[bytes]:
    """``--format jsonl``: one cluster per line (``"type": "cluster"``), then
    one line per pair with ``--pairs`` (``"type": "pair"``), then a summary
    line (``"type": "summary"``) with everything else of the report."""
    for cluster in report["clusters"]:
        yield orjson.dumps({"type": "cluster", **cluster}) + b"\n"
    for pair in report.get("pairs", []):
        yield orjson.dumps({"type": "pair", **pair}) + b"\n"
    summary = {k: v for k, v in report.items() if k not in ("clusters", "pairs")}
    yield orjson.dumps({"type": "summary", **summary}) + b"\n"


_NUM = {"type": "number", "minimum": 0, "maximum": 1}
_MEMBER = {
    "type": "object",
    "required": ["id", "similarity"],
    "additionalProperties": False,
    "properties": {"id": {"type": "string"}, "similarity": _NUM},
}
_CLUSTER = {
    "type": "object",
    "required": ["id", "size", "representative", "min_similarity", "members"],
    "properties": {
        "id": {"type": "string", "description": "c1, c2, ... in order of the representative's input position"},
        "size": {"type": "integer", "minimum": 2},
        "representative": {"type": "string", "description": "the member earliest in input order"},
        "min_similarity": {
            **_NUM,
            "description": "smallest exact Jaccard of a member to the representative; low values reveal chaining",
        },
        "members": {"type": "array", "minItems": 2, "items": _MEMBER},
    },
}
_SPAN = {"type": "array", "items": {"type": "integer", "minimum": 0}, "minItems": 2, "maxItems": 2}
_PASSAGE = {
    "type": "object",
    "required": ["a", "b", "similarity", "text"],
    "additionalProperties": False,
    "properties": {
        "a": {**_SPAN, "description": "[start, end) in a's original text (Python str offsets)"},
        "b": {**_SPAN, "description": "[start, end) in b's original text (Python str offsets)"},
        "similarity": {**_NUM, "description": "share of the passage's words aligned between a and b (1: exact copy)"},
        "text": {"type": "string", "description": "a's original text of the passage"},
    },
}
_PAIR = {
    "type": "object",
    "required": ["a", "b", "relation", "jaccard", "estimated_jaccard", "containment", "passages"],
    "properties": {
        "a": {"type": "string"},
        "b": {"type": "string"},
        "relation": {
            "enum": sorted(DUPLICATE_RELATIONS | {"partial"}),
            "description": "dedup.verdict's relation; partial: the shorter text is a small part of the longer "
            "(a cluster edge only with --partial-as-duplicate), or only a passage is shared (never an edge)",
        },
        "reason": {
            "enum": [None, *PAIR_REASONS],
            "description": "why the verdict chose the relation (README, Verdicts); null for duplicate and for "
            "a passage-only partial pair",
        },
        "jaccard": {**_NUM, "description": "exact Jaccard of the shingle sets"},
        "estimated_jaccard": {**_NUM, "description": "MinHash estimate (share of equal signature slots)"},
        "containment": {
            "type": "array",
            "items": _NUM,
            "minItems": 2,
            "maxItems": 2,
            "description": "[share of a's shingles found in b, share of b's shingles found in a]",
        },
        "passages": {"type": "array", "items": _PASSAGE, "description": "shared passages, merged into maximal runs"},
    },
}
_PROBLEM = {
    "type": "object",
    "required": ["origin", "id", "reason", "message"],
    "properties": {
        "origin": {"type": "string"},
        "id": {"type": ["string", "null"]},
        "reason": {
            "enum": [
                "invalid_utf8",
                "empty",
                "binary",
                "malformed_json",
                "missing_field",
                "not_text",
                "unreadable",
                "too_short",
                "id_conflict",
            ],
            "description": "id_conflict: an index already holds the id with another text (screen --add, check's corpus)",
        },
        "message": {"type": "string"},
    },
}
_INT = {"type": "integer", "minimum": 0}

_TOOL = {
    "type": "object",
    "required": ["name", "version"],
    "properties": {"name": {"const": "dedup"}, "version": {"type": "string"}},
}
_PARAMETERS = {
    "type": "object",
    "required": ["threshold", "shingle_kind", "shingle_size", "num_perm", "seed", "bands", "rows"],
    "properties": {
        "threshold": _NUM,
        "shingle_kind": {"enum": ["char", "word"]},
        "shingle_size": {"type": "integer", "minimum": 1},
        "num_perm": {"type": "integer", "minimum": 1},
        "seed": {"type": "integer"},
        "lsh_threshold": {**_NUM, "description": "Jaccard the LSH bands are tuned for"},
        "bands": {"type": "integer", "minimum": 1},
        "rows": {"type": "integer", "minimum": 1},
        "minhash_scheme": {"const": "affine32"},
        "shingle_hash": {"type": "string"},
        "normalization": {"type": "string"},
        "verdict": {
            "type": "object",
            "description": "the verdict rules in force (README, Verdicts)",
            "properties": {
                "containment": _NUM,
                "containment_windows": {"type": "integer", "minimum": 0},
                "templates": {"type": "boolean"},
                "split_chains": {"type": "boolean"},
                "partial_is_duplicate": {"type": "boolean"},
                "reworded": {**_NUM, "description": "share of threshold down to which a reworded copy counts"},
            },
        },
    },
}

SCAN_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": f"https://dedup.invalid/schema/scan/{SCHEMA_VERSION}",
    "title": "dedup scan report",
    "type": "object",
    "required": ["schema_version", "tool", "parameters", "stats", "skipped", "clusters"],
    "properties": {
        "schema_version": {"const": SCHEMA_VERSION},
        "tool": _TOOL,
        "parameters": _PARAMETERS,
        "stats": {
            "type": "object",
            "required": [
                "documents_read",
                "documents_scanned",
                "skipped",
                "candidate_pairs",
                "verified_pairs",
                "clusters",
                "clustered_documents",
                "singletons",
            ],
            "properties": {
                "documents_read": _INT,
                "documents_scanned": _INT,
                "skipped": _INT,
                "candidate_pairs": _INT,
                "verified_pairs": _INT,
                "clusters": _INT,
                "clustered_documents": _INT,
                "singletons": _INT,
                "seconds": {"type": "number", "minimum": 0, "description": "only with --timings"},
                "partial_pairs": {**_INT, "description": "only with --pairs: pairs listed with relation partial"},
            },
        },
        "skipped": {"type": "array", "items": _PROBLEM},
        "clusters": {"type": "array", "items": _CLUSTER},
        "pairs": {"type": "array", "items": _PAIR, "description": "only with --pairs"},
    },
    "$defs": {"cluster": _CLUSTER, "pair": _PAIR, "passage": _PASSAGE, "problem": _PROBLEM},
}

_RELATION = _PAIR["properties"]["relation"]
_REASON = _PAIR["properties"]["reason"]
_MATCH = {
    "type": "object",
    "required": ["id", "similarity", "relation", "reason", "containment", "passages"],
    "properties": {
        "id": {"type": "string", "description": "the indexed (or, in check, new) document matched"},
        "similarity": {**_NUM, "description": "exact Jaccard of the shingle sets"},
        "relation": _RELATION,
        "reason": _REASON,
        "containment": {
            **_PAIR["properties"]["containment"],
            "description": "[share of the screened document's shingles found in the match, share of the match's "
            "found in the screened document]",
        },
        "passages": {
            "type": "array",
            "items": _PASSAGE,
            "description": "shared passages; a: offsets in the screened document, b: in the match",
        },
        "found_in": {"enum": ["corpus", "new"], "description": "check only: the corpus, or another new document"},
    },
}

SCREEN_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://dedup.invalid/schema/screen-line/1",
    "title": "dedup screen: one output line per non-blank input line",
    "oneOf": [
        {
            "type": "object",
            "required": ["line", "id", "verdict", "matches"],
            "additionalProperties": False,
            "properties": {
                "line": {"type": "integer", "minimum": 1, "description": "the input line number"},
                "id": {"type": "string"},
                "verdict": {
                    "enum": ["new", *_RELATION["enum"]],
                    "description": "new, or the relation of the best match",
                },
                "matches": {"type": "array", "items": _MATCH, "description": "most similar first"},
                "added": {"type": "boolean", "description": "only with --add: whether the line was indexed"},
            },
        },
        {
            "type": "object",
            "required": ["line", "id", "verdict", "reason", "error"],
            "additionalProperties": False,
            "properties": {
                "line": {"type": "integer", "minimum": 1},
                "id": {"type": ["string", "null"], "description": "the id, when the line has one"},
                "verdict": {"const": "error"},
                "reason": _PROBLEM["properties"]["reason"],
                "error": {"type": "string", "description": "the message, naming the line"},
            },
        },
    ],
    "$defs": {"match": _MATCH, "passage": _PASSAGE},
}

CHECK_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": f"https://dedup.invalid/schema/check/{CHECK_SCHEMA_VERSION}",
    "title": "dedup check report",
    "type": "object",
    "required": ["schema_version", "tool", "parameters", "against", "stats", "duplicates", "skipped"],
    "properties": {
        "schema_version": {"const": CHECK_SCHEMA_VERSION},
        "tool": _TOOL,
        "parameters": _PARAMETERS,
        "against": {"type": "string", "description": "the corpus: an index file, a directory or a JSONL file"},
        "stats": {
            "type": "object",
            "required": ["new_documents", "corpus_documents", "duplicates", "skipped"],
            "properties": {
                "new_documents": _INT,
                "corpus_documents": _INT,
                "duplicates": {**_INT, "description": "new documents that duplicate something"},
                "skipped": _INT,
            },
        },
        "duplicates": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "origin", "relation", "matches"],
                "properties": {
                    "id": {"type": "string"},
                    "origin": {"type": "string", "description": "where the new document was read"},
                    "relation": {**_RELATION, "description": "the relation of the best match"},
                    "matches": {"type": "array", "minItems": 1, "items": _MATCH},
                },
            },
        },
        "skipped": {"type": "array", "items": _PROBLEM, "description": "unusable new or corpus documents"},
    },
    "$defs": {"match": _MATCH, "passage": _PASSAGE, "problem": _PROBLEM},
}
#: the schema of each command's JSON output, for ``dedup schema``
SCHEMAS = {"scan": SCAN_SCHEMA, "screen": SCREEN_SCHEMA, "check": CHECK_SCHEMA}
