"""Frame sets: parser, canonical text, chunking; property tests against a plain-Python model."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moks_graph.errors import MoksError
from moks_graph.hosts.farm.framesets import FrameSet, as_frameset, chunks, parse_frameset

# one item: (start, length, step) -> text and the frames it names (a plain-Python model)
items = st.tuples(st.integers(-60, 60), st.integers(0, 25), st.integers(1, 6),
                  st.sampled_from(["x", ":"]), st.sampled_from(["", " ", "  "]))


def item_text(item: tuple[int, int, int, str, str]) -> tuple[str, set[int]]:
    start, length, step, sep, pad = item
    end = start + length
    frames = set(range(start, end + 1, step))
    if length == 0:
        return f"{pad}{start}{pad}", frames
    if step == 1:
        return f"{pad}{start}{pad}-{pad}{end}{pad}", frames
    return f"{pad}{start}-{end}{pad}{sep}{pad}{step}{pad}", frames


@given(st.lists(items, min_size=1, max_size=8))
@settings(max_examples=300, deadline=None)
def test_parse_matches_model_and_round_trips(parts):
    texts, expected = [], set()
    for item in parts:
        text, frames = item_text(item)
        texts.append(text)
        expected |= frames
    fs = parse_frameset(",".join(texts))
    assert list(fs) == sorted(expected)
    canonical = str(fs)
    again = parse_frameset(canonical)
    assert again == fs and list(again) == sorted(expected)
    assert str(again) == canonical  # canonical text is a fixed point
    assert " " not in canonical


@given(st.sets(st.integers(-500, 500), min_size=1, max_size=120))
@settings(max_examples=300, deadline=None)
def test_any_set_round_trips_through_text(frames):
    fs = FrameSet(frames)
    assert set(parse_frameset(str(fs))) == frames
    assert len(fs) == len(frames)
    assert all(f in fs for f in frames)
    assert min(frames) - 1 not in fs


@given(st.sets(st.integers(-300, 300), min_size=1, max_size=150), st.integers(1, 40))
@settings(max_examples=300, deadline=None)
def test_chunks_cover_exactly_without_overlap(frames, size):
    pieces = chunks(FrameSet(frames), size)
    covered = [f for a, b in pieces for f in range(a, b + 1)]
    assert sorted(covered) == sorted(frames)          # exactly the set ...
    assert len(covered) == len(set(covered))          # ... no frame twice
    assert covered == sorted(covered)                 # in frame order
    assert all(1 <= b - a + 1 <= size for a, b in pieces)


@given(st.text(alphabet="0123456789-,x: \tab", max_size=20))
@settings(max_examples=400, deadline=None)
def test_garbage_gives_moks_error_or_a_set(text):
    try:
        fs = parse_frameset(text)
    except MoksError as exc:
        assert exc.code == "MG131"
        assert repr(text) in str(exc)
    else:
        assert len(fs) >= 1


@pytest.mark.parametrize(("text", "canonical", "count"), [
    ("1-240", "1-240", 240),
    ("1-240x2", "1-239x2", 120),
    ("1,5,10-20", "1,5,10-20", 13),
    (" 1 - 10 : 3 ", "1-10x3", 4),
    ("-10--5", "-10--5", 6),
    ("-3-3", "-3-3", 7),
    ("5,4,3,2,1", "1-5", 5),
    ("1,3,5,6,7", "1-5x2,6-7", 5),
    ("1,10", "1,10", 2),
    ("7", "7", 1),
    ("1-100,50-150", "1-150", 150),
])
def test_known_sets(text, canonical, count):
    fs = parse_frameset(text)
    assert str(fs) == canonical
    assert len(fs) == count


@pytest.mark.parametrize(("text", "position", "what"), [
    ("1-", None, "end frame"),
    ("a", "position 1", "frame number"),
    ("1-5x0", "position 5", "step"),
    ("5-1", "position 3", "ends before it starts"),
    ("1,,2", "position 3", "frame number"),
    ("1 2", "position 3", "unexpected"),
    ("1-5y2", "position 4", "unexpected"),
])
def test_errors_name_text_and_position(text, position, what):
    with pytest.raises(MoksError) as info:
        parse_frameset(text)
    message = str(info.value)
    assert info.value.code == "MG131"
    assert repr(text) in message and what in message
    if position:
        assert position in message


def test_empty_and_huge_sets_are_refused():
    for text in ("", "   "):
        with pytest.raises(MoksError, match="empty"):
            parse_frameset(text)
    with pytest.raises(MoksError, match="more than"):
        parse_frameset("1-999999999")
    with pytest.raises(MoksError, match="beyond"):
        parse_frameset("1-99999999999")


def test_chunks_examples_and_bad_size():
    assert chunks("1-240", 100) == [(1, 100), (101, 200), (201, 240)]
    assert chunks("1-10,20-25", 4) == [(1, 4), (5, 8), (9, 10), (20, 23), (24, 25)]
    assert chunks("-5-5", 5) == [(-5, -1), (0, 4), (5, 5)]
    assert chunks("1-9x2", 10) == [(1, 1), (3, 3), (5, 5), (7, 7), (9, 9)]
    with pytest.raises(ValueError, match="size"):
        chunks("1-10", 0)
    with pytest.raises(TypeError, match="size"):
        chunks("1-10", 2.5)  # type: ignore[arg-type]


def test_constructors_and_views():
    fs = as_frameset((3, 7))
    assert str(fs) == "3-7" and fs.is_contiguous and (fs.first, fs.last) == (3, 7)
    assert as_frameset(range(1, 10, 4)) == parse_frameset("1,5,9")
    assert as_frameset(fs) is fs
    assert not parse_frameset("1,3").is_contiguous
    assert parse_frameset("1-3,7-8").contiguous_runs() == [(1, 3), (7, 8)]
    assert np.array_equal(parse_frameset("2,1").frames, [1, 2])
    assert hash(parse_frameset("1-3")) == hash(FrameSet([3, 2, 1]))
    with pytest.raises(ValueError, match="frames"):
        FrameSet([])
    with pytest.raises(TypeError, match="integers"):
        FrameSet([1.5])
    with pytest.raises(TypeError, match="frames"):
        as_frameset(3.0)
    with pytest.raises(TypeError, match="str"):
        FrameSet.parse(12)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="end"):
        FrameSet.range(5, 1)
