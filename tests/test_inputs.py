"""JSONL lines: a bad line is a problem that says what is wrong and where."""

from __future__ import annotations

import pytest

from dedup.inputs import Document, JsonlFields, parse_jsonl_line


@pytest.mark.parametrize(
    ("raw", "reason", "offset"),
    [
        ('{"id": "a", "text": "خبر '.encode() + b'\xff"}', "invalid_utf8", None),
        (b'{"id": "a", "text": "\xed\xa0\x80"}', "invalid_utf8", 21),  # an encoded surrogate is not UTF-8
        (b'{"id": "a", "text": "\\ud800"}', "malformed_json", None),  # an escaped lone surrogate is valid UTF-8
        (b'{"id": "a", "text": "x"', "malformed_json", None),
    ],
)
def test_a_bad_line_names_its_problem_and_the_byte_offset(raw, reason, offset):
    problem = parse_jsonl_line(raw, "in.jsonl:3", JsonlFields(), file_offset=1000)
    assert problem.reason == reason and problem.origin == "in.jsonl:3"
    if reason == "invalid_utf8":
        expected = raw.index(b"\xff") if offset is None else offset
        assert problem.message.endswith(f"invalid UTF-8 at byte offset {1000 + expected}")


def test_a_good_line_is_a_document():
    raw = '{"id": 7, "text": "قال الوزير"}'.encode()
    assert parse_jsonl_line(raw, "in.jsonl:1", JsonlFields()) == Document("7", "قال الوزير", "in.jsonl:1")
