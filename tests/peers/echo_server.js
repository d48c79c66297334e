// Echo server on Node `ws` for sockettask's interop tests.
//
// Usage: node echo_server.js [--cert CERT --key KEY] [--deflate [DEFLATE OPTIONS]]
// Prints `PORT <n>` once listening on 127.0.0.1 (ephemeral port), then serves until stdin
// closes. Paths: `/echo` echoes every message; `/close` closes at once with 4001 "server bye";
// `/close-after-echo` echoes one message and then closes with 1000 "done"; `/inspect` answers
// each message with `compressed <n>` or `plain <n>` (whether the client set RSV1, and the
// message's length in bytes); `/repeat` answers a message `<n>` with a text of n letters `a`.
// Subprotocols `chat.v1`, `chat.v2` are selected when offered.
//
// Compression is off unless `--deflate` is given; then permessage-deflate (RFC 7692) is
// accepted with `perMessageDeflate: { threshold: 0 }` (every message compressed, the empty one
// too) and these server-side parameters (each needs `--deflate`; an unset one is left
// undefined, ws' default, never `false`, which would refuse offers that ask for it):
//   --deflate-server-no-context-takeover   --deflate-client-no-context-takeover
//   --deflate-server-max-window-bits N     --deflate-client-max-window-bits N   (8..15)
// An offer ws cannot take (a window below the configured one) gets HTTP 400.
'use strict';
const fs = require('fs');
const http = require('http');
const https = require('https');
// The test harness sets NODE_PATH to the pinned install (scripts/peers.sh).
const { WebSocketServer } = require('ws');

const args = process.argv.slice(2);
const opt = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const cert = opt('--cert');

function deflateOptions() {
  const options = { threshold: 0 };
  let given = false;
  if (args.includes('--deflate-server-no-context-takeover')) {
    options.serverNoContextTakeover = true;
    given = true;
  }
  if (args.includes('--deflate-client-no-context-takeover')) {
    options.clientNoContextTakeover = true;
    given = true;
  }
  for (const [flag, key] of [
    ['--deflate-server-max-window-bits', 'serverMaxWindowBits'],
    ['--deflate-client-max-window-bits', 'clientMaxWindowBits'],
  ]) {
    const value = opt(flag);
    if (value === undefined) continue;
    const bits = Number(value);
    if (!Number.isInteger(bits) || bits < 8 || bits > 15) {
      throw new Error(`${flag} ${value}: not a window size 8..15`);
    }
    options[key] = bits;
    given = true;
  }
  if (!args.includes('--deflate')) {
    if (given) throw new Error('the --deflate-* parameters need --deflate');
    return false;
  }
  return options;
}

const server = cert
  ? https.createServer({ cert: fs.readFileSync(cert), key: fs.readFileSync(opt('--key')) })
  : http.createServer();

const wss = new WebSocketServer({
  server,
  perMessageDeflate: deflateOptions(),
  maxPayload: 64 * 1024 * 1024,
  handleProtocols: (protocols) => ['chat.v1', 'chat.v2'].find((p) => protocols.has(p)) || false,
});

wss.on('connection', (ws, req) => {
  if (req.url === '/close') {
    ws.close(4001, 'server bye');
    return;
  }
  if (req.url === '/inspect') {
    // ws 8.23.0 keeps the RSV1 bit of the message being delivered in its receiver (private,
    // hence the pinned version); `data` is the inflated message.
    ws.on('message', (data) => {
      ws.send(`${ws._receiver._compressed ? 'compressed' : 'plain'} ${data.length}`);
    });
    return;
  }
  if (req.url === '/repeat') {
    ws.on('message', (data) => ws.send('a'.repeat(Number(data.toString()))));
    return;
  }
  ws.on('message', (data, isBinary) => {
    ws.send(data, { binary: isBinary });
    if (req.url === '/close-after-echo') ws.close(1000, 'done');
  });
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`PORT ${server.address().port}\n`);
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
