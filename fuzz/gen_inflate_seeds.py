#!/usr/bin/env python3
"""Writes the seed corpus of the `inflate` target: fuzz/corpus/inflate/seed-*.

The fuzzer feeds its own bytes as compressed payloads, which are almost never DEFLATE data.
These seeds are sessions of valid compressed messages (Python's zlib, raw DEFLATE with the
session's window, one sync flush per message, the 00 00 ff ff tail removed: RFC 7692 §7.2.1),
so that mutations start from streams that inflate. Deterministic: rerun after changing the
input format of sockettask::fuzzing::inflate (core/src/fuzzing/inflate.rs), from anywhere:

    python3 fuzz/gen_inflate_seeds.py

Input format (see the harness): a session byte (window bits - 8 | no context takeover << 3 |
extra read-ahead << 4 | growable << 5 | any window << 6 | fragment limit 3 << 7), a size byte
(limit index | read-ahead / 32 << 3), 4 chunk-size bytes, then steps: a kind byte (0
compressed, 1 uncompressed, 2 ping, 3 shrink | text << 2 | cut count << 3 | pings << 6 |
in place << 7), then for a message the cut bytes, a 16-bit little-endian length and the
payload; for a ping or a shrink one argument byte.
"""

import os
import random
import zlib

LIMITS = [0, 1, 7, 125, 300, 1000, 2500, 4096]
TAIL = b"\x00\x00\xff\xff"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "inflate")


class Session:
    def __init__(self, bits=15, nct=False, limit=1000, growable=False, extra=0, any_window=False,
                 few_fragments=False, plan=(255, 255, 255, 255), level=6):
        self.bits, self.nct, self.level = bits, nct, level
        flags = (bits - 8) | nct << 3 | (extra > 0) << 4 | growable << 5 | any_window << 6
        flags |= few_fragments << 7
        self.data = bytearray([flags, LIMITS.index(limit) | (extra // 32) << 3, *plan])
        self.compressor = None

    def deflate(self, message):
        """The payload of one compressed message, as a server compresses it."""
        if self.compressor is None or self.nct:
            # zlib has no 256-byte window: 8 compresses as 9 (as servers do).
            self.compressor = zlib.compressobj(self.level, zlib.DEFLATED, -max(self.bits, 9))
        out = self.compressor.compress(message) + self.compressor.flush(zlib.Z_SYNC_FLUSH)
        return out[:-4] if out.endswith(TAIL) else out

    def step(self, op, payload=b"", text=False, cuts=(), pings=False, in_place=False):
        assert len(cuts) <= 7 and len(payload) <= 6000, (len(cuts), len(payload))
        self.data.append(op | text << 2 | len(cuts) << 3 | pings << 6 | in_place << 7)
        self.data += bytes(cuts)
        self.data += len(payload).to_bytes(2, "little") + payload

    def compressed(self, message, **kw):
        self.step(0, self.deflate(message), **kw)

    def raw(self, payload, **kw):
        """A compressed message whose payload is given as is."""
        self.step(0, payload, **kw)

    def plain(self, message, **kw):
        self.step(1, message, **kw)

    def ping(self, n):
        self.data += bytes([2, n])

    def shrink(self, n):
        self.data += bytes([3, n])


def json(rng, n):
    names = ["alpha", "beta", "gamma", "delta", "epsilon"]
    s = "["
    while len(s) < n:
        s += '{"id":%d,"name":"%s%d","price":%d,"ok":true},' % (
            rng.randrange(10**6), rng.choice(names), rng.randrange(100), rng.randrange(10**5))
    return s[:n].encode()


def noise(rng, n):
    return bytes(rng.randrange(256) for _ in range(n))


def write(name, session):
    with open(os.path.join(OUT, "seed-" + name), "wb") as f:
        f.write(session.data)


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = random.Random(7692)

    # RFC 7692 §7.2.3, verbatim: "Hello", the same again by back-reference (context takeover),
    # a stored block, a final block followed by 0x00, two blocks, the empty message 0x00.
    s = Session(bits=15, limit=1000)
    s.raw(bytes.fromhex("f248cdc9c90700"), text=True)
    s.raw(bytes.fromhex("f200110000"), text=True, cuts=(128,))
    s.raw(bytes.fromhex("000500faff48656c6c6f00"), text=True)
    s.raw(bytes.fromhex("f348cdc9c9070000"), text=True)
    s.raw(bytes.fromhex("f248050000 00ffffcac9c90700".replace(" ", "")), text=True)
    s.raw(b"\x00")
    write("rfc7692-examples", s)

    # Sessions over every window, with and without context takeover, fixed and growable
    # buffers: text that refers back across messages, incompressible binary, empty messages,
    # uncompressed messages in between, fragments with pings, both input paths.
    for bits in (8, 9, 10, 12, 15):
        for nct in (False, True):
            for growable in (False, True):
                limit = 2500 if bits < 12 else 4096
                s = Session(bits=bits, nct=nct, limit=limit, growable=growable,
                            plan=(rng.randrange(256) for _ in range(4)))
                s.compressed(json(rng, 300), text=True)
                s.compressed(json(rng, 300), text=True, cuts=(60, 200), pings=True)
                s.plain(b"uncompressed, between two compressed ones", text=True)
                s.compressed(noise(rng, 700), cuts=(128,), in_place=True)
                s.compressed(b"")
                s.ping(20)
                s.compressed(json(rng, limit), text=True, cuts=(30, 90, 200), pings=True, in_place=True)
                if growable:
                    s.shrink(0)
                s.compressed(json(rng, 40), text=True)
                s.plain(noise(rng, 100), cuts=(100,), pings=True)
                write(f"session-{bits}-{'nct' if nct else 'takeover'}-{'growable' if growable else 'fixed'}", s)

    # The decompression bomb: 1 MiB of one byte, a little over 1 KiB compressed, against small
    # limits, in a fixed and in a growable buffer.
    bomb = Session().deflate(b"A" * (1 << 20))
    for limit, growable in ((125, False), (0, False), (4096, True)):
        s = Session(bits=15, limit=limit, growable=growable, plan=(40, 3, 200, 9))
        s.raw(bomb, text=True, cuts=(10, 100))
        write(f"bomb-limit-{limit}{'-growable' if growable else ''}", s)

    # A message of exactly the limit, then one byte more.
    s = Session(bits=10, limit=1000, plan=(17, 31, 5, 250))
    s.compressed(json(rng, 1000), text=True)
    s.compressed(json(rng, 1001), text=True, cuts=(128,))
    write("limit-exact-then-one-more", s)

    # A final block mid-message: the rest of the message is a new stream, same window.
    first = zlib.compressobj(6, zlib.DEFLATED, -15)
    finished = first.compress(b"the first half, ") + first.flush(zlib.Z_FINISH)
    s = Session(bits=15, limit=1000)
    s.raw(finished + s.deflate(b"and the second half"), text=True, cuts=(100, 128))
    write("final-block-mid-message", s)

    # Invalid data: a truncated stream, a reserved block type, a distance before the stream,
    # invalid UTF-8 in inflated text.
    s = Session(bits=15, limit=4096)
    full = s.deflate(json(rng, 3000))
    s.raw(full[: len(full) // 2], text=True)
    write("invalid-truncated", s)
    s = Session(bits=12, limit=300)
    s.raw(b"\xff\xff\xff")
    write("invalid-reserved-block-type", s)
    s = Session(bits=9, limit=300)
    s.raw(b"\x02\x02")
    write("invalid-distance-too-far", s)
    s = Session(bits=15, limit=4096)
    bad = bytearray(json(rng, 2000))
    bad[1000] = 0xFF
    s.compressed(bytes(bad), text=True, cuts=(170,))
    write("invalid-utf8-inflated", s)

    # Too many fragments (limit 3), compressed.
    s = Session(bits=11, limit=1000, few_fragments=True)
    s.compressed(json(rng, 600), text=True, cuts=(60, 120))
    s.compressed(json(rng, 600), text=True, cuts=(60, 120, 180))
    write("fragment-limit", s)

    # Read-ahead in a larger fixed buffer and in a growable one, many small messages.
    for growable in (False, True):
        s = Session(bits=9, limit=300, extra=992, growable=growable, plan=(1, 2, 7, 100))
        for i in range(12):
            s.compressed(json(rng, 20 + 23 * i), text=True, in_place=i % 2 == 1)
        write(f"read-ahead-{'growable' if growable else 'fixed'}", s)

    # Large messages, so that the fuzzer's inputs may grow past 8 KiB: text of exactly the
    # limit sent uncompressed, incompressible binary compressed (stored blocks), one byte over.
    s = Session(bits=15, limit=4096, growable=True, plan=(90, 200, 13, 255))
    s.plain(json(rng, 4096), text=True, cuts=(64, 128, 192), pings=True, in_place=True)
    s.compressed(noise(rng, 4096), cuts=(100, 200))
    s.shrink(3)
    s.plain(json(rng, 4097), text=True)
    write("large-messages", s)

    # Several windows with the window offered without a value.
    s = Session(bits=13, limit=2500, any_window=True, level=9)
    for i in range(6):
        s.compressed(json(rng, 400 + 300 * i), text=i % 2 == 0)
    write("any-window-level-9", s)


if __name__ == "__main__":
    main()
