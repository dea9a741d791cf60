// Decodes a file of concatenated MessagePack values with @msgpack/msgpack and prints them as one
// JSON array in canonical form (canonical.mjs). With --schema, each Capture v1 TrackingFrame also gets
// its bins unpacked by the layout docs/protocol.md gives (to check the documented byte layout), hands (v1.4) included.
// usage: node msgpack-decode.mjs <file> [--schema]
import { readFileSync } from 'node:fs';
import { decodeMulti, ExtensionCodec, decodeTimestampToTimeSpec } from '@msgpack/msgpack';
import { canonical, TimeSpec } from './canonical.mjs';

const codec = new ExtensionCodec();
codec.register({
  type: -1,
  encode: () => null,
  decode: (data) => { const t = decodeTimestampToTimeSpec(data); return new TimeSpec(t.sec, t.nsec); },
});

const [file, flag] = process.argv.slice(2);
const values = [...decodeMulti(readFileSync(file), { extensionCodec: codec, useBigInt64: true, useMap: true })];

const floats32 = (u8) => { const dv = new DataView(u8.buffer, u8.byteOffset, u8.byteLength); return Array.from({ length: u8.byteLength / 4 }, (_, i) => dv.getFloat32(i * 4, true)); };
const int16s = (u8) => { const dv = new DataView(u8.buffer, u8.byteOffset, u8.byteLength); return Array.from({ length: u8.byteLength / 2 }, (_, i) => dv.getInt16(i * 2, true) / 16384); };

function schema(v) {
  if (!Array.isArray(v) || v[1] !== 2) return null;
  const [, , seq, ts, w, h, face, body, hands] = v;
  const out = { seq: seq.toString(), ts: ts.toString(), w, h, face: null, body: null, hands: null };
  if (face) {
    const lm = face[1];
    out.face = {
      score: face[0],
      landmarks: lm.byteLength === 468 * 3 * 2 ? int16s(lm) : floats32(lm),
      blendshapes: floats32(face[2]),
      pose: face[3],
    };
  }
  if (body) {
    out.body = { score: body[0], landmarks: floats32(body[1]) };
    // v1.3: an optional third field, the 33 world points (x, y, z float32, metres).
    if (body.length > 2 && body[2] instanceof Uint8Array) out.body.world = floats32(body[2]);
  }
  // v1.4: [left|nil, right|nil], each [score, handedness, 21 × xyz (int16 or float32), 21 × xyz float32 metres].
  if (hands) {
    out.hands = hands.slice(0, 2).map((hand) => hand && {
      score: hand[0],
      handedness: hand[1],
      landmarks: hand[2].byteLength === 21 * 3 * 2 ? int16s(hand[2]) : floats32(hand[2]),
      world: floats32(hand[3]),
    });
  }
  return out;
}

const result = flag === '--schema' ? values.map(schema) : values.map(canonical);
process.stdout.write(JSON.stringify(result));
