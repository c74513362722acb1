"""The byte framings: every framing round-trips through any split, survives noise,
and turns broken frames into counted rejects without content."""

from __future__ import annotations

import random
from collections.abc import Iterable

from hypothesis import given, settings
from hypothesis import strategies as st

from firmware.core import mrz
from firmware.scanner.framing import (
    ETX,
    FRAMINGS,
    FS,
    GS,
    MAX_FRAME,
    SOH,
    STX,
    FrameDecoder,
    Reject,
    Result,
    ScannerFrame,
    encode,
    encode_accessis,
    encode_plain,
    encode_rte,
)
from host_tools.fake_documents import random_document
from host_tools.scanner_emulator import frames_with_noise, noise
from host_tools.specimens import specimen_lines

TODAY = (2026, 11, 23)
FORMATS = ["TD1", "TD2", "TD3", "MRVA", "MRVB"]


def decode_all(chunks: Iterable[bytes], max_frame: int = MAX_FRAME) -> list[Result]:
    """Feeds every chunk then a timeout (one-shot decoding)."""
    d = FrameDecoder(max_frame)
    out: list[Result] = []
    for c in chunks:
        out.extend(d.feed(c))
    out.extend(d.flush_timeout())
    return out


def split(data: bytes, rng: random.Random, most: int) -> list[bytes]:
    out, i = [], 0
    while i < len(data):
        n = rng.randint(1, most)
        out.append(data[i:i + n])
        i += n
    return out


def frames(results: list) -> list[tuple[str, str]]:
    return [(r.text, r.framing) for r in results if isinstance(r, ScannerFrame)]


def test_every_specimen_in_every_framing() -> None:
    for lines in specimen_lines():
        for framing in FRAMINGS:
            assert frames(decode_all([encode(lines, framing)])) == [("\n".join(lines), framing)]


def test_plain_line_ends_cr_lf_crlf_and_timeout() -> None:
    lines = specimen_lines()[0]
    for eol in (b"\r", b"\n", b"\r\n"):
        assert frames(decode_all([encode_plain(lines, eol)]))[0][0] == "\n".join(lines)
    # No blank line at the end: the inter-byte timeout ends the document.
    d = FrameDecoder()
    assert d.feed("\r\n".join(lines).encode()) == []
    assert frames(d.flush_timeout()) == [("\n".join(lines), "plain")]
    assert d.idle


def test_rte_lines_are_padded_and_upper_lines_empty() -> None:
    lines = specimen_lines()[0]  # a two-line TD3: the first of three lines is sent empty
    data = encode_rte(lines)
    assert data[0] == SOH and data[3:5] == b"OU" and data[5] == STX
    assert data[7] == 0x0D
    n = (data[1] | data[2] << 8) & 0x3FFF
    assert len(data) == n + 4
    assert frames(decode_all([data])) == [("\n".join(lines), "rte")]
    short = [z for z in specimen_lines() if len(z[0]) < 44][0]  # padded to 44 with '_'
    data = encode_rte(short)
    assert b"_" * (44 - len(short[0])) + b"\r" in data
    assert frames(decode_all([data])) == [("\n".join(short), "rte")]


def test_rte_length_top_bits_are_ignored() -> None:
    data = bytearray(encode_rte(specimen_lines()[1]))
    data[2] |= 0xC0
    bcc = 0
    for b in data[1:-1]:
        bcc ^= b
    data[-1] = bcc
    assert len(frames(decode_all([bytes(data)]))) == 1


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**32), st.sampled_from(FORMATS), st.sampled_from(FRAMINGS), st.integers(1, 64))
def test_round_trip_any_split(seed: int, fmt: str, framing: str, most: int) -> None:
    rng = random.Random(seed)
    doc = random_document(rng, today=TODAY, fmt=fmt)
    chunks = split(encode(doc.lines, framing) * 2, rng, most)
    assert frames(decode_all(chunks)) == [(doc.text(), framing)] * 2


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**32), st.sampled_from(["binary", "mrz"]))
def test_valid_frames_are_all_found_in_noise(seed: int, kind: str) -> None:
    rng = random.Random(seed)
    docs = [random_document(rng, today=TODAY, fmt=rng.choice(FORMATS)) for _ in range(8)]
    stream = b"".join(frames_with_noise([d.lines for d in docs], FRAMINGS, rng, 300, kind))
    stream += noise(rng, 200, kind)
    found = [t for t, _ in frames(decode_all(split(stream, rng, 50)))]
    # Every document, in order. Noise made of MRZ characters and line ends can itself
    # look like a zone's lines (a run of exactly 30 characters, say); the framing cannot
    # tell, the check digits do: anything extra must fail to parse as a valid document.
    texts = {d.text() for d in docs}
    assert [d.text() for d in docs] == [t for t in found if t in texts]
    for extra in (t for t in found if t not in texts):
        assert kind == "mrz"
        try:
            assert not mrz.parse(extra, today=TODAY).valid
        except mrz.MRZError:
            pass


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=3000))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    d = FrameDecoder()
    for r in d.feed(data) + d.flush_timeout():
        assert isinstance(r, (ScannerFrame, Reject))
    assert d.idle


def test_bad_bcc_is_a_counted_reject_and_the_next_frame_still_reads() -> None:
    lines = specimen_lines()[0]
    d = FrameDecoder()
    out = d.feed(encode_rte(lines, bcc_xor=0x21) + encode_rte(lines))
    assert out[0] == Reject("bad BCC", "rte")
    assert frames(out) == [("\n".join(lines), "rte")]
    assert d.stats()["rejects"] == {"bad BCC": 1}


def test_reject_reasons_carry_no_content() -> None:
    lines = specimen_lines()[0]
    bad = [encode_rte(lines, bcc_xor=1), encode_rte(lines, length_delta=3), encode_rte(lines, length_delta=-5),
           bytes([SOH, 0xFF, 0x3F]) + b"OU" + bytes([STX])]
    for data in bad:
        for r in decode_all([data]):
            if isinstance(r, Reject):
                assert "ERIKSSON" not in repr(r) and "L898902C" not in repr(r)
                assert r.reason in ("bad BCC", "length mismatch", "overlong", "invalid byte in frame",
                                    "incomplete frame", "malformed frame", "bad length", "empty frame")


def test_overlong_frames_are_rejected_and_the_decoder_resyncs() -> None:
    lines = specimen_lines()[2]
    good = encode_accessis(lines)
    # An Access-IS body longer than any zone (no end marker), then a real frame.
    long_accessis = bytes([FS, STX]) + b"A" * 700
    # An RTE header declaring 4000 bytes.
    long_rte = bytes([SOH, 4000 & 0xFF, 4000 >> 8]) + b"OU" + bytes([STX, 0]) + b"B" * 100
    for junk in (long_accessis, long_rte):
        d = FrameDecoder()
        out = d.feed(junk + good)
        assert [r for r in out if isinstance(r, Reject)][0].reason == "overlong"
        assert frames(out) == [("\n".join(lines), "accessis")]
        assert d.held_bytes <= d.max_frame  # memory stays bounded


def test_plain_line_longer_than_any_zone_keeps_memory_bounded() -> None:
    d = FrameDecoder()
    d.feed(b"A" * 100_000)
    assert d.held_bytes <= 44
    lines = specimen_lines()[0]
    assert frames(d.feed(b"\r\n" + encode_plain(lines))) == [("\n".join(lines), "plain")]


def test_accessis_blank_line_or_stray_byte_is_a_false_start() -> None:
    lines = specimen_lines()[1]
    false_starts = bytes([FS, STX]) + b"ABC\r\r" + bytes([FS, STX]) + b"AB\x07" + bytes([FS, 0x41])
    assert frames(decode_all([false_starts + encode_accessis(lines)])) == [("\n".join(lines), "accessis")]


def test_truncated_frame_then_silence_is_dropped_not_kept() -> None:
    data = encode_rte(specimen_lines()[0])
    d = FrameDecoder()
    assert d.feed(data[:40]) == []
    out = d.flush_timeout()
    assert out == [Reject("incomplete frame", "rte")]
    assert d.idle
    # An Access-IS frame cut before its end markers is re-read as plain lines: the
    # zone's own check digits still guard it, and the traveller need not rescan.
    lines = specimen_lines()[0]
    d = FrameDecoder()
    d.feed(encode_accessis(lines)[:-2])
    assert frames(d.flush_timeout()) == [("\n".join(lines), "plain")]
    assert d.idle
    d.feed(encode_accessis(lines)[:30])
    assert frames(d.flush_timeout()) == []
    assert d.idle


def test_access_is_end_markers_are_required() -> None:
    lines = specimen_lines()[0]
    data = encode_accessis(lines)
    assert data[-2:] == bytes([ETX, GS])
    broken = data[:-1] + b"X"
    assert frames(decode_all([broken])) == [("\n".join(lines), "plain")]  # not as an Access-IS frame
    assert frames(decode_all([data[:5] + b"\x07" + data[5:]])) == []  # a stray byte inside: no zone
