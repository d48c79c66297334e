// Echo server on Node `ws` for sockettask's interop tests.
//
// Usage: node echo_server.js [--cert CERT --key KEY]
// Prints `PORT <n>` once listening on 127.0.0.1 (ephemeral port), then serves until stdin
// closes. Paths: `/echo` echoes every message; `/close` closes at once with 4001 "server bye";
// `/close-after-echo` echoes one message and then closes with 1000 "done".
// Subprotocols `chat.v1`, `chat.v2` are selected when offered.
'use strict';
const fs = require('fs');
const http = require('http');
const https = require('https');
// The test harness sets NODE_PATH to the pinned install (scripts/peers.sh).
const { WebSocketServer } = require('ws');

const args = process.argv.slice(2);
const opt = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const cert = opt('--cert');
const server = cert
  ? https.createServer({ cert: fs.readFileSync(cert), key: fs.readFileSync(opt('--key')) })
  : http.createServer();

const wss = new WebSocketServer({
  server,
  perMessageDeflate: false,
  maxPayload: 64 * 1024 * 1024,
  handleProtocols: (protocols) => ['chat.v1', 'chat.v2'].find((p) => protocols.has(p)) || false,
});

wss.on('connection', (ws, req) => {
  if (req.url === '/close') {
    ws.close(4001, 'server bye');
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
