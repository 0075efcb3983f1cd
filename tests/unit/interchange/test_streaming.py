"""Reading a document from a file in two passes: its head, then its commitments one by one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accord.errors import Invalid
from accord.interchange.streaming import read_head
from interchange_documents import example


def test_the_head_and_the_commitments_are_read_apart_whatever_the_order(tmp_path: Path):
    document = example()
    commitments = document.pop("commitments") * 3
    path = tmp_path / "doc.json"
    # the commitments first, the sections they need after them, a byte order mark before all
    text = json.dumps({"commitments": commitments, **document})
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())

    streamed = read_head(path)

    assert streamed.head == {**document, "commitments": []}
    assert streamed.commitments == 3
    assert list(streamed.items()) == list(enumerate(commitments))


def test_commitments_that_are_not_a_list_stay_in_the_head(tmp_path: Path):
    path = tmp_path / "doc.json"
    path.write_text(json.dumps({"format": "accord/1", "commitments": {"item": 1}}))

    streamed = read_head(path)

    assert streamed.head["commitments"] == {"item": 1}
    assert streamed.commitments == 0
    assert list(streamed.items()) == []


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b'{"format": "accord/1", "teams": [', "doc.json is not JSON"),
        (b'{"a": "L\xefma"}', "doc.json is not UTF-8 text"),
        (b"", "doc.json is not JSON"),
    ],
    ids=["cut-short", "latin-1", "empty"],
)
def test_a_file_that_is_not_json_is_refused_before_anything_is_read(
    tmp_path: Path, content: bytes, expected: str
):
    path = tmp_path / "doc.json"
    path.write_bytes(content)

    with pytest.raises(Invalid) as refused:
        read_head(path)

    assert expected in refused.value.message


def test_the_items_are_counted_whatever_they_are_and_only_the_documents_own(tmp_path: Path):
    path = tmp_path / "doc.json"
    document = {
        "format": "accord/1",
        "teams": [{"commitments": [1, 2, 3]}],
        "commitments": [{"history": [[], {}], "commitments": [1]}, [1, [2]], 3, "x", None, True],
        "people": [],
    }
    path.write_text(json.dumps(document))

    streamed = read_head(path)

    assert streamed.commitments == 6
    assert streamed.head == {**document, "commitments": []}
    assert [item for _, item in streamed.items()] == document["commitments"]


def test_the_head_is_read_without_naming_where_each_event_stands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """What makes the first pass quick: the parser's bare events, not those with a prefix
    (`ijson.parse` builds one for each event of every commitment, to be thrown away)."""
    import ijson

    def refused(*_: object, **__: object) -> None:
        raise AssertionError("ijson.parse was used")

    monkeypatch.setattr(ijson, "parse", refused)
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(example()))

    assert read_head(path).commitments == len(example()["commitments"])
