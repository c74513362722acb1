# I/O board protocol tests that run unchanged on CPython (pytest) and
# MicroPython (tests/mpy/run.mjs). Plain functions and bare asserts only.
from firmware.ioboard import protocol
from firmware.ioboard.protocol import BoardProtocolError, BoardState, Decoder, LineReader, decode, encode


def _err(line):
    try:
        decode(line)
    except BoardProtocolError as e:
        return e.reason
    raise AssertionError("no BoardProtocolError for %r" % (line,))


def _reply(state, fields, now=0):
    out = [decode(r) for r in state.handle_line(encode(fields), now)]
    assert len(out) == 1
    return out[0]


def test_checksum_is_xor_of_payload():
    # P ^ I ^ N ^ G = 0x50 ^ 0x49 ^ 0x4E ^ 0x47 = 0x10
    assert protocol.checksum(b"PING") == 0x10
    assert encode(["PING"]) == b"PING *10\n"
    assert encode(["LED", "red", "on"]) == b"LED red on *%02X\n" % protocol.checksum(b"LED red on")


def test_roundtrip():
    for fields in (["PING"], ["LED", "green", "blink"], ["BUZZ", "250"], ["EVT", "TAMPER", "1"],
                   ["STATUS", "tamper=0", "presence=1", "wdt=30", "resets=0"]):
        assert decode(encode(fields)) == fields


def test_decode_accepts_crlf_str_and_lowercase_hex():
    assert decode("PING *10\r\n") == ["PING"]
    assert decode(b"PING *10") == ["PING"]
    line = encode(["BUZZ", "100"])
    assert decode(line.replace(line[-3:-1], line[-3:-1].lower())) == ["BUZZ", "100"]


def test_decode_rejects():
    assert _err(b"") == "empty"
    assert _err(b"\r\n") == "empty"
    assert _err(b"PING") == "no-checksum"
    assert _err(b"PING*10") == "no-checksum"
    assert _err(b"PING *1G") == "no-checksum"
    assert _err(b"PING *11") == "bad-checksum"
    assert _err(b"PINH *10") == "bad-checksum"
    assert _err(b"P\xffNG *10") == "bad-char"
    assert _err(b"X" * 100 + b" *00") == "too-long"
    # two spaces make an empty field
    payload = b"LED  red"
    assert _err(payload + b" *%02X" % protocol.checksum(payload)) == "bad-field"


def test_every_single_bit_flip_is_caught():
    line = encode(["LED", "amber", "blink"])[:-1]
    for i in range(len(line)):
        for bit in range(8):
            b = bytearray(line)
            b[i] ^= 1 << bit
            try:
                decode(bytes(b))
            except BoardProtocolError:
                continue
            raise AssertionError("flip at %d bit %d accepted" % (i, bit))


def test_encode_rejects_bad_fields():
    for bad in ([], [""], ["A B"], ["A*"], ["\xe9"], ["X" * 90]):
        try:
            encode(bad)
        except BoardProtocolError:
            continue
        raise AssertionError("encoded %r" % (bad,))


def test_line_reader_reassembles_arbitrary_splits():
    stream = encode(["PING"]) + encode(["LED", "red", "on"]) + b"STATUS *13\r\n"
    for size in (1, 2, 3, 7, 100):
        r = LineReader()
        got = []
        for i in range(0, len(stream), size):
            got += r.feed(stream[i:i + size])
        assert got == [b"PING *10", b"LED red on *%02X" % protocol.checksum(b"LED red on"), b"STATUS *13"], got
        assert r.dropped == 0


def test_line_reader_resyncs_after_garbage_and_overlong_lines():
    r = LineReader(max_len=20)
    got = r.feed(b"\x00\xff\xfe noise")
    assert got == []
    got = r.feed(b" more\nPING *10\n")
    assert got == [b"PING *10"]
    assert r.dropped == 1
    got = r.feed(b"A" * 15)
    got += r.feed(b"B" * 15)          # now overlong: discarded up to the newline
    got += r.feed(b"CCC\nPING *10\n")
    assert got == [b"PING *10"]
    assert r.dropped == 2
    # blank lines are ignored, not counted
    assert r.feed(b"\n\r\n") == []
    assert r.dropped == 2


def test_line_reader_buffer_stays_bounded():
    r = LineReader(max_len=16)
    for _ in range(200):
        r.feed(b"X" * 50)
        assert len(r._buf) <= 17
    assert r.feed(b"\nPING *10\n") == [b"PING *10"]


def test_board_ping_and_unknown():
    s = BoardState()
    assert _reply(s, ["PING"]) == ["OK"]
    assert _reply(s, ["PING", "x"]) == ["ERR", "bad-args"]
    assert _reply(s, ["FOO"]) == ["ERR", "unknown-command"]


def test_board_answers_bad_lines_with_err():
    s = BoardState()
    assert [decode(x) for x in s.handle_line(b"PING *11", 0)] == [["ERR", "bad-checksum"]]
    assert [decode(x) for x in s.handle_line(b"PING", 0)] == [["ERR", "no-checksum"]]


def test_board_leds():
    s = BoardState()
    assert _reply(s, ["LED", "red", "on"]) == ["OK"]
    assert _reply(s, ["LED", "green", "blink"]) == ["OK"]
    assert _reply(s, ["LED", "blue", "on"]) == ["ERR", "unknown-led"]
    assert _reply(s, ["LED", "red", "dim"]) == ["ERR", "bad-mode"]
    assert _reply(s, ["LED", "red"]) == ["ERR", "bad-args"]
    assert s.leds == {"green": "blink", "amber": "off", "red": "on"}
    assert s.led_on("red", 12345)
    assert not s.led_on("amber", 0)
    assert s.led_on("green", 0) and not s.led_on("green", protocol.BLINK_PERIOD_MS)
    assert s.led_on("green", 2 * protocol.BLINK_PERIOD_MS)


def test_board_buzzer():
    s = BoardState(now_ms=1000)
    assert not s.buzzer_on(1000)
    assert _reply(s, ["BUZZ", "200"], now=1000) == ["OK"]
    assert s.buzzer_on(1000) and s.buzzer_on(1199)
    assert not s.buzzer_on(1200)
    for bad in ("0", "5001", "-5", "+5", "abc", "1e3"):
        assert _reply(s, ["BUZZ", bad]) == ["ERR", "bad-duration"], bad


def test_board_watchdog_resets_pi_once_and_disarms():
    s = BoardState()
    assert _reply(s, ["KICK"]) == ["ERR", "not-armed"]
    assert _reply(s, ["WDT", "3"]) == ["ERR", "bad-timeout"]
    assert _reply(s, ["WDT", "99999"]) == ["ERR", "bad-timeout"]
    assert _reply(s, ["WDT", "10"], now=0) == ["OK"]
    assert not s.tick(9000)
    assert _reply(s, ["KICK"], now=9000) == ["OK"]
    assert not s.tick(18999)
    assert s.tick(19000)
    assert not s.tick(19001)
    assert not s.tick(100000)
    assert s.wdt_s == 0 and s.resets == 1
    assert _reply(s, ["STATUS"]) == ["STATUS", "tamper=0", "presence=0", "wdt=0", "resets=1", "errors=3"]


def test_board_watchdog_disarm():
    s = BoardState()
    assert _reply(s, ["WDT", "5"], now=0) == ["OK"]
    assert _reply(s, ["WDT", "0"], now=1000) == ["OK"]
    assert not s.tick(60000)


def test_board_inputs_are_debounced_and_reported():
    s = BoardState(now_ms=0)
    assert s.set_inputs(0, 0, 0) == []
    # first stable reading is reported so the Pi learns the state
    assert s.set_inputs(0, 0, protocol.DEBOUNCE_MS) == [["EVT", "TAMPER", "0"], ["EVT", "PRESENCE", "0"]]
    assert s.set_inputs(0, 0, 200) == []
    # a bounce shorter than the debounce time is ignored
    assert s.set_inputs(1, 0, 300) == []
    assert s.set_inputs(0, 0, 310) == []
    assert s.set_inputs(0, 0, 400) == []
    assert s.tamper == 0
    # a held change is reported exactly once
    assert s.set_inputs(1, 1, 500) == []
    assert s.set_inputs(1, 1, 500 + protocol.DEBOUNCE_MS) == [["EVT", "TAMPER", "1"], ["EVT", "PRESENCE", "1"]]
    assert s.set_inputs(1, 1, 1000) == []
    assert _reply(s, ["STATUS"]) == ["STATUS", "tamper=1", "presence=1", "wdt=0", "resets=0", "errors=0"]


def test_parse_status():
    st = protocol.parse_status(["STATUS", "tamper=1", "presence=0", "wdt=30", "resets=2"])
    assert st == {"tamper": 1, "presence": 0, "wdt": 30, "resets": 2}
    for bad in (["OK"], ["STATUS", "tamper"], ["STATUS", "=1"], ["STATUS", "wdt=x"]):
        try:
            protocol.parse_status(bad)
        except BoardProtocolError:
            continue
        raise AssertionError(bad)


def test_line_reader_counts_noise_and_overlong_separately():
    r = LineReader(max_len=20)
    r.feed(b"\x00\x01garbage\n" + b"Y" * 40 + b"\n" + b"\xff\n")
    assert (r.noise, r.overlong, r.dropped) == (2, 1, 3)


def test_decoder_survives_noise_and_counts_bad_lines():
    good = [["EVT", "TAMPER", "1"], ["OK"], ["STATUS", "tamper=0", "presence=1", "wdt=30", "resets=0", "errors=0"]]
    bad_crc = bytearray(encode(["EVT", "PRESENCE", "1"]))
    bad_crc[-3] = ord("0") if bad_crc[-3] != ord("0") else ord("1")
    stream = (b"\xfe\xff\x00boot noise\r\n" + encode(good[0]) + bytes(bad_crc) + b"Z" * 200 + b"\n"
              + encode(good[1]) + b"no checksum here\n" + encode(good[2]))
    for size in (1, 5, 64, len(stream)):
        d = Decoder()
        got = []
        for i in range(0, len(stream), size):
            got += d.feed(stream[i:i + size])
        assert got == good, (size, got)
        assert d.errors == {"noise": 1, "too-long": 1, "bad-checksum": 1, "no-checksum": 1}, d.errors
        assert d.error_count == 4


def test_decoder_random_noise_never_raises_and_resyncs():
    # a fixed-seed LCG, identical on CPython and MicroPython
    x = 12345
    d = Decoder()
    for _ in range(300):
        buf = bytearray()
        for _ in range(37):
            x = (x * 1103515245 + 12345) & 0x7FFFFFFF
            buf.append((x >> 16) & 0xFF)
        d.feed(bytes(buf))
    got = d.feed(b"\n" + encode(["PING"]))
    assert got == [["PING"]], got
    assert d.error_count > 0


def test_board_counts_rejected_lines_in_status():
    s = BoardState()
    s.handle_line(b"PING *11", 0)
    _reply(s, ["NOPE"])
    _reply(s, ["LED", "blue", "on"])
    assert _reply(s, ["PING"]) == ["OK"]
    assert _reply(s, ["STATUS"])[-1] == "errors=3"


def test_board_heartbeat():
    s = BoardState(now_ms=1000)
    hb = protocol.HEARTBEAT_MS
    assert s.heartbeat(1000) == []
    assert s.heartbeat(1000 + hb - 1) == []
    assert s.heartbeat(1000 + hb) == [["EVT", "HB", str(hb // 1000)]]
    assert s.heartbeat(1000 + hb + 1) == []
    # after a stall, one beat, not a burst
    assert s.heartbeat(1000 + 10 * hb + 7) == [["EVT", "HB", str(10 * hb // 1000)]]
    assert s.heartbeat(1000 + 10 * hb + 8) == []
    assert decode(encode(s.heartbeat(1000 + 11 * hb)[0])) == ["EVT", "HB", str(11 * hb // 1000)]
