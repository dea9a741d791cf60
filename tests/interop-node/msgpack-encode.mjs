// Encodes, with @msgpack/msgpack, (1) a set of values covering every MessagePack format and (2) one
// Capture v1 message of each type built by hand from docs/protocol.md, concatenated into <file>.
// Prints a JSON object: {"values": [canonical form of every value written, in order], "count": n}.
// The frame uses the same formulas as tests/Capture.Protocol.Tests/TestFrames.cs.
// usage: node msgpack-encode.mjs <file>
import { writeFileSync } from 'node:fs';
import { encode, ExtData } from '@msgpack/msgpack';
import { canonical, TimeSpec } from './canonical.mjs';

const bytes = (n) => Uint8Array.from({ length: n }, (_, i) => (i * 7) & 0xff);
const values = [
  null, true, false,
  0, 1, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296n, 18446744073709551615n,
  -1, -32, -33, -128, -129, -32768, -32769, -2147483648, -2147483649n, -9223372036854775808n,
  0.5, -1.25, 3.141592653589793, 1e300, Number.MAX_VALUE, -Number.MIN_VALUE,
  '', 'a', 'x'.repeat(31), 'x'.repeat(32), 'y'.repeat(255), 'z'.repeat(256), 'w'.repeat(70000), 'héllo ✓ 日本',
  bytes(0), bytes(255), bytes(256), bytes(70000),
  [], Array.from({ length: 15 }, (_, i) => i), Array.from({ length: 16 }, (_, i) => i), Array.from({ length: 70000 }, (_, i) => i % 3),
  // Plain objects (the encoder writes a Map as {}); keys start with a letter so JS keeps their order.
  { a: 1, b: [true, null] }, Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`, i])),
  Object.fromEntries(Array.from({ length: 70000 }, (_, i) => [`k${i}`, i % 2 === 0])),
  new ExtData(7, bytes(1)), new ExtData(7, bytes(2)), new ExtData(7, bytes(4)), new ExtData(7, bytes(8)),
  new ExtData(7, bytes(16)), new ExtData(-5, bytes(3)), new ExtData(100, bytes(300)), new ExtData(1, bytes(70000)),
  new Date(0), new Date(1700000000000), new Date(1700000000123), new Date(Date.UTC(2500, 0, 1)), new Date(-1500),
];

// Capture v1 messages, by the documented layout.
const f32bin = (arr) => { const b = new Uint8Array(arr.length * 4); const dv = new DataView(b.buffer); arr.forEach((v, i) => dv.setFloat32(i * 4, v, true)); return b; };
const i16bin = (arr) => { const b = new Uint8Array(arr.length * 2); const dv = new DataView(b.buffer); arr.forEach((v, i) => dv.setInt16(i * 2, Math.max(-32768, Math.min(32767, Math.round(v * 16384))), true)); return b; };
const f = Math.fround;
const seq = 12;
const face = [];
for (let i = 0; i < 468; i++) {
  face.push(f(0.3 + f(0.4 * i / 468)), f(0.2 + f(0.5 * ((i * 37) % 468) / 468) + f(0.001 * (seq % 10))), f(-0.05 + f(0.1 * ((i * 11) % 97) / 97)));
}
const shapes = Array.from({ length: 52 }, (_, i) => ((i * 7) + seq) % 20 / 20);
const body = [];
for (let i = 0; i < 33; i++) {
  body.push(f(0.2 + f(0.6 * i / 33)), f(0.1 + f(0.8 * ((i * 5) % 33) / 33)), f(-0.3 + f(0.02 * i) + f(0.0001 * seq)), f(0.5 + f(0.5 * (i % 3) / 2)));
}
// v1.3 world points (metres), the same formula as TestFrames.WorldLandmark.
const world = [];
for (let i = 0; i < 33; i++) {
  world.push(f(-0.3 + f(0.6 * ((i * 7) % 33) / 33)), f(-0.8 + f(1.6 * i / 33)), f(-0.2 + f(0.01 * (i % 5)) + f(0.001 * seq)));
}
const pose = [0, 0, 0, 1, 1.5, -2, -45];
// v1.4 hands: a left hand (21 points int16 like the face, 21 world points float32, metres), no right hand.
const hand = [];
const handWorld = [];
for (let i = 0; i < 21; i++) {
  hand.push(f(0.6 + f(0.2 * i / 21)), f(0.3 + f(0.01 * ((i * 3) % 21)) + f(0.001 * (seq % 10))), f(-0.02 + f(0.002 * i)));
  handWorld.push(f(0.001 * (i - 10)), f(-0.004 * i), f(0.0005 * (i % 4)));
}
const messages = [
  [1, 1, 0, ['face', 'body'], 'node-performer', 'tok'],
  [1, 2, seq, 1700000000000000 + seq * 33333, 1280, 720, [0.97, i16bin(face), f32bin(shapes), pose], [0.9, f32bin(body), f32bin(world)], null],
  [1, 2, seq, 1700000000000000 + seq * 33333, 1280, 720, [0.97, f32bin(face), f32bin(shapes), pose], null, null, 'a v1.x field'],
  [1, 3, 5, 123456, 48000, 1, Uint8Array.from([1, 0, 255, 127])],
  [1, 4, 99, 1000, 3, 2, 29.97, 41000],
  [1, 5, 2, 12],
  [1, 6, 'node says bye'],
  [1, 2, seq, 1700000000000000 + seq * 33333, 1280, 720, null, null, [[0.95, 0.875, i16bin(hand), f32bin(handWorld)], null]],
];

const all = [...values, ...messages];
const chunks = all.map((v) => encode(v, { useBigInt64: true }));
writeFileSync(process.argv[2], Buffer.concat(chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength))));
const canonicalDate = (v) => v instanceof Date ? new TimeSpec(Math.floor(v.getTime() / 1000), (((v.getTime() % 1000) + 1000) % 1000) * 1e6) : v;
process.stdout.write(JSON.stringify({ count: all.length, values: all.map((v) => canonical(canonicalDate(v))) }));
