"""Echo server on Python `websockets` for sockettask's interop tests.

Usage: echo_server.py [--cert CERT --key KEY] [--default-subprotocols]
Prints `PORT <n>` once listening on 127.0.0.1 (ephemeral port), then serves until stdin closes.
Paths: `/echo` echoes every message; `/close` closes at once with 4001 "server bye";
`/close-after-echo` echoes one message and then closes with 1000 "done".
Subprotocols `chat.v1`, `chat.v2` are selected when offered (server preference), and none is
selected otherwise, as the Node and Rust peers do. `--default-subprotocols` keeps websockets'
own rule instead: a client offering no subprotocol, or none in common, gets HTTP 400.
"""

import argparse
import asyncio
import ssl
import sys

from websockets.asyncio.server import serve


async def handler(ws):
    path = ws.request.path
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


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--default-subprotocols", action="store_true")
    args = parser.parse_args()
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
        compression=None,
    ) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"PORT {port}", flush=True)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.read)


asyncio.run(main())
