// A WebSocket client we did not write (npm `ws`) talking schema v1 to a Capture server:
// connects to <url>, sends a Hello and <n> TrackingFrames encoded with @msgpack/msgpack (the layout
// from docs/protocol.md), prints every packet it receives as canonical JSON lines, and closes after
// receiving <n> packets (exit 0) or after 15 s (exit 3).
// usage: node ws-client.mjs <url> <n>
import WebSocket from 'ws';
import { encode, decode } from '@msgpack/msgpack';
import { canonical } from './canonical.mjs';

const [url, nText] = process.argv.slice(2);
const n = Number(nText);
const ws = new WebSocket(url);
ws.binaryType = 'nodebuffer';
let received = 0;
ws.on('open', () => {
  ws.send(encode([1, 1, 0, ['face'], 'ws-node', null]));
  const landmarks = new Uint8Array(468 * 3 * 2);
  const dv = new DataView(landmarks.buffer);
  for (let i = 0; i < 468 * 3; i++) dv.setInt16(i * 2, i, true);
  const shapes = new Uint8Array(52 * 4);
  new DataView(shapes.buffer).setFloat32(17 * 4, 0.5, true);
  for (let s = 0; s < n; s++) {
    ws.send(encode([1, 2, s, 1700000000000000 + s * 33333, 640, 480, [0.9, landmarks, shapes, [0, 0, 0, 1, 0, 0, -50]], null, null]));
  }
});
ws.on('message', (data) => {
  process.stdout.write(JSON.stringify(canonical(decode(data, { useBigInt64: true }))) + '\n');
  if (++received >= n) ws.close(1000, 'done');
});
ws.on('close', () => process.exit(received >= n ? 0 : 2));
ws.on('error', (e) => { process.stderr.write(`ws error: ${e.message}\n`); process.exit(1); });
setTimeout(() => { process.stderr.write('timed out\n'); process.exit(3); }, 15000);
