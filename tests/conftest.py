"""Shared fixtures: the committed seeds, and ../shared/eval data when present.

Tests that need ../shared/ skip with a clear reason when it is absent, so a
user's fresh clone (without the internal evaluation data) still passes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import orjson
import pytest

from dedup.inputs import Document

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SHARED = ROOT.parent / "shared"
WIRECOPY = SHARED / "eval" / "wirecopy-dev"
NATURAL = SHARED / "eval" / "natural-dev"
ARAPLAGDET = SHARED / "eval" / "araplagdet-dev"

sys.path.insert(0, str(ROOT / "benchmarks"))


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is absent (internal evaluation data in ../shared/, not shipped with the repo)")
    return path


def read_jsonl_docs(path: Path, limit: int | None = None) -> list[Document]:
    docs = []
    with open(path, "rb") as fh:
        for n, line in enumerate(fh, 1):
            if limit is not None and len(docs) >= limit:
                break
            rec = orjson.loads(line)
            docs.append(Document(str(rec["id"]), rec["text"], f"{path.name}:{n}"))
    return docs


@pytest.fixture(scope="session")
def seed_texts() -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]


@pytest.fixture(scope="session")
def seed_paragraphs(seed_texts) -> list[str]:
    """Real Arabic paragraphs from the committed seeds (always available)."""
    return [line for text in seed_texts for line in text.splitlines() if len(line.strip()) > 20]


@pytest.fixture(scope="session")
def wirecopy_docs() -> list[Document]:
    return read_jsonl_docs(need(WIRECOPY / "docs.jsonl"))
