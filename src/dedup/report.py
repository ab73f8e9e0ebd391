"""The versioned JSON report of a scan, and its JSON Schema.

Other tools read this output, so it is stable and deterministic: the same
input gives the same bytes (keys in a fixed order, similarities rounded to six
decimals, clusters ordered by their representative's input position, nothing
time-dependent unless ``--timings`` asks for it). ``SCHEMA_VERSION`` changes
with any change a reader could notice: minor for additions, major for
removals or changed meaning.
"""

from __future__ import annotations

from collections.abc import Iterator

import orjson

from . import __version__
from .scan import ScanResult

SCHEMA_VERSION = "1.0"
TOOL = {"name": "dedup", "version": __version__}


def _r(x: float) -> float:
    return round(float(x), 6)


def parameters(result: ScanResult) -> dict:
    cfg = result.config
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


def pairs(result: ScanResult) -> list[dict]:
    docs = result.documents
    return [
        {"a": docs[a].id, "b": docs[b].id, "jaccard": _r(j), "estimated_jaccard": _r(e)}
        for (a, b), j, e in zip(result.pairs.tolist(), result.pair_jaccard, result.pair_estimate)
    ]


def scan_report(result: ScanResult, include_pairs: bool = False, seconds: float | None = None) -> dict:
    """The whole report as one JSON-ready dict."""
    stats = result.stats
    if seconds is not None:
        stats["seconds"] = round(seconds, 3)
    report = {
        "schema_version": SCHEMA_VERSION,
        "tool": TOOL,
        "parameters": parameters(result),
        "stats": stats,
        "skipped": [p.as_dict() for p in result.problems],
        "clusters": clusters(result),
    }
    if include_pairs:
        report["pairs"] = pairs(result)
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
_PAIR = {
    "type": "object",
    "required": ["a", "b", "jaccard", "estimated_jaccard"],
    "properties": {
        "a": {"type": "string"},
        "b": {"type": "string"},
        "jaccard": {**_NUM, "description": "exact Jaccard of the shingle sets"},
        "estimated_jaccard": {**_NUM, "description": "MinHash estimate (share of equal signature slots)"},
    },
}
_PROBLEM = {
    "type": "object",
    "required": ["origin", "id", "reason", "message"],
    "properties": {
        "origin": {"type": "string"},
        "id": {"type": ["string", "null"]},
        "reason": {
            "enum": ["invalid_utf8", "empty", "binary", "malformed_json", "missing_field", "not_text", "unreadable", "too_short"]
        },
        "message": {"type": "string"},
    },
}
_INT = {"type": "integer", "minimum": 0}

SCAN_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": f"https://dedup.invalid/schema/scan/{SCHEMA_VERSION}",
    "title": "dedup scan report",
    "type": "object",
    "required": ["schema_version", "tool", "parameters", "stats", "skipped", "clusters"],
    "properties": {
        "schema_version": {"const": SCHEMA_VERSION},
        "tool": {
            "type": "object",
            "required": ["name", "version"],
            "properties": {"name": {"const": "dedup"}, "version": {"type": "string"}},
        },
        "parameters": {
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
            },
        },
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
            },
        },
        "skipped": {"type": "array", "items": _PROBLEM},
        "clusters": {"type": "array", "items": _CLUSTER},
        "pairs": {"type": "array", "items": _PAIR, "description": "only with --pairs"},
    },
    "$defs": {"cluster": _CLUSTER, "pair": _PAIR, "problem": _PROBLEM},
}
