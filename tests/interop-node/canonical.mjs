// One canonical JSON form for a decoded MessagePack value, so the C# tests can compare what
// @msgpack/msgpack decoded with what they wrote, exactly:
//   null / true / false as is; integers {"i":"<decimal>"}; other numbers {"f":"<float64 bits, hex>"};
//   str {"s":...}; bin {"b":"<hex>"}; array [...]; map {"m":[[k,v],...]} (order kept);
//   timestamp {"t":["<seconds>",<nanoseconds>]}; other extensions {"x":<type>,"d":"<hex>"}.
import { ExtData } from '@msgpack/msgpack';

export class TimeSpec {
  constructor(sec, nsec) { this.sec = sec; this.nsec = nsec; }
}

const hex = (u8) => Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength).toString('hex');

export function canonical(v) {
  if (v === null || v === undefined) return null;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return { i: v.toString() };
  if (typeof v === 'number') {
    if (Number.isSafeInteger(v) && !Object.is(v, -0)) return { i: String(v) };
    const dv = new DataView(new ArrayBuffer(8));
    dv.setFloat64(0, v);
    return { f: hex(new Uint8Array(dv.buffer)) };
  }
  if (typeof v === 'string') return { s: v };
  if (v instanceof Uint8Array) return { b: hex(v) };
  if (Array.isArray(v)) return v.map(canonical);
  if (v instanceof Map) return { m: [...v.entries()].map(([k, x]) => [canonical(k), canonical(x)]) };
  if (v instanceof TimeSpec) return { t: [String(v.sec), v.nsec] };
  if (v instanceof ExtData) return { x: v.type, d: hex(v.data) };
  if (typeof v === 'object') return { m: Object.entries(v).map(([k, x]) => [{ s: k }, canonical(x)]) };
  throw new Error(`cannot canonicalize ${typeof v}`);
}
