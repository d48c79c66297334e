"""Echo server on Python `websockets` for sockettask's interop tests.

Usage: echo_server.py [--cert CERT --key KEY] [--default-subprotocols] [--deflate [DEFLATE OPTIONS]]
Prints `PORT <n>` once listening on 127.0.0.1 (ephemeral port), then serves until stdin closes.
Paths: `/echo` echoes every message; `/close` closes at once with 4001 "server bye";
`/close-after-echo` echoes one message and then closes with 1000 "done"; `/inspect` answers
each message with `compressed <n>` or `plain <n>` (whether the client set RSV1, and the
message's length in bytes); `/repeat` answers a message `<n>` with a text of n letters `a`.
Subprotocols `chat.v1`, `chat.v2` are selected when offered (server preference), and none is
selected otherwise, as the Node and Rust peers do. `--default-subprotocols` keeps websockets'
own rule instead: a client offering no subprotocol, or none in common, gets HTTP 400.

Compression is off unless `--deflate` is given; then permessage-deflate (RFC 7692) is accepted
through websockets' `ServerPerMessageDeflateFactory`, which compresses every message it sends
(no threshold), with these server-side parameters (each needs `--deflate`):
  --deflate-server-no-context-takeover   --deflate-client-no-context-takeover
  --deflate-server-max-window-bits N     (9..15; websockets refuses 8)
  --deflate-client-max-window-bits N     (8..15)
An offer it cannot take (e.g. server_max_window_bits=8) is declined: the connection opens
without the extension.
"""

import argparse
import asyncio
import collections
import ssl
import sys

from websockets.asyncio.server import serve
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory
from websockets.frames import Opcode


async def inspect(ws):
    """`/inspect`: answers each message with `compressed <n>` or `plain <n>`: whether the
    client compressed it (RSV1 on its first frame) and its length in bytes once inflated."""
    # websockets parses frames ahead of the handler: one entry per message, taken in order.
    rsv1 = collections.deque()
    for extension in ws.protocol.extensions:
        decode = extension.decode

        def recording(frame, *, max_size=None, decode=decode):
            if frame.opcode in (Opcode.TEXT, Opcode.BINARY):
                rsv1.append(frame.rsv1)
            return decode(frame, max_size=max_size)

        extension.decode = recording
    async for message in ws:
        size = len(message.encode() if isinstance(message, str) else message)
        compressed = rsv1.popleft() if rsv1 else False
        await ws.send(f"{'compressed' if compressed else 'plain'} {size}")


async def handler(ws):
    path = ws.request.path
    if path == "/inspect":
        await inspect(ws)
        return
    if path == "/repeat":
        async for message in ws:
            await ws.send("a" * int(message))
        return
    if path == "/close":
        await ws.close(4001, "server bye")
        return
    async for message in ws:
        await ws.send(message)
        if path == "/close-after-echo":
            await ws.close(1000, "done")
            return


SUBPROTOCOLS = ["chat.v1", "chat.v2"]


def select_subprotocol(connection, offered):
    """The first of SUBPROTOCOLS the client offered, else none (no 400)."""
    return next((p for p in SUBPROTOCOLS if p in offered), None)


def deflate_extensions(parser, args):
    """The extension factories `--deflate` and its parameters ask for; None without it."""
    given = (
        args.deflate_server_no_context_takeover
        or args.deflate_client_no_context_takeover
        or args.deflate_server_max_window_bits is not None
        or args.deflate_client_max_window_bits is not None
    )
    if not args.deflate:
        if given:
            parser.error("the --deflate-* parameters need --deflate")
        return None
    return [
        ServerPerMessageDeflateFactory(
            server_no_context_takeover=args.deflate_server_no_context_takeover,
            client_no_context_takeover=args.deflate_client_no_context_takeover,
            server_max_window_bits=args.deflate_server_max_window_bits,
            client_max_window_bits=args.deflate_client_max_window_bits,
        )
    ]


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--default-subprotocols", action="store_true")
    parser.add_argument("--deflate", action="store_true")
    parser.add_argument("--deflate-server-no-context-takeover", action="store_true")
    parser.add_argument("--deflate-client-no-context-takeover", action="store_true")
    parser.add_argument("--deflate-server-max-window-bits", type=int)
    parser.add_argument("--deflate-client-max-window-bits", type=int)
    args = parser.parse_args()
    extensions = deflate_extensions(parser, args)
    context = None
    if args.cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.cert, args.key)
    async with serve(
        handler,
        "127.0.0.1",
        0,
        ssl=context,
        subprotocols=SUBPROTOCOLS,
        select_subprotocol=None if args.default_subprotocols else select_subprotocol,
        max_size=None,
        extensions=extensions,
        compression=None,
    ) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"PORT {port}", flush=True)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.read)


asyncio.run(main())
