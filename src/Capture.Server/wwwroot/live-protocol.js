// Schema v1 packets for the live pages (docs/protocol.md is the layout; Capture.Protocol's
// ProtocolReader is the judge), plus what both pages read from their own address.
// MessagePack itself is @msgpack/msgpack 3.1.3, restored by scripts/setup.sh and served by Capture
// under /vendor: nothing is fetched from anywhere else.
import { Encoder, Decoder } from '/vendor/@msgpack/msgpack/dist.esm/index.mjs';

export const Major = 1;
/** The minor this page speaks: it writes v1.0 frames (v1.4 with hands) and reads v1.2 RenderedFrame messages with v1.5's alpha and v1.6's quality. */
export const Minor = 6;
export const Kind = Object.freeze({ Hello: 1, TrackingFrame: 2, AudioChunk: 3, Stats: 4, Ack: 5, Bye: 6, RenderedFrame: 7 });

export const FaceLandmarkCount = 468;
export const BlendshapeCount = 52;
export const HandLandmarkCount = 21;
/** int16 landmarks: value = q / 16384, saturating at ±2 (docs/protocol.md). */
const LandmarkScale = 16384;

/**
 * Writes the performer's packets. One instance per connection; the arrays and the landmark bin are
 * allocated once and refilled for every frame. The Uint8Array a method returns is a view of the
 * encoder's own buffer: valid until the next call, so hand it to WebSocket.send (which copies) at once.
 */
export class PacketWriter {
  constructor() {
    // float32 for the non-integer numbers (score, pose): what the C# writer sends; integers stay integers.
    this._encoder = new Encoder({ forceFloat32: true, initialBufferSize: 4096 });
    this._landmarks = new Uint8Array(FaceLandmarkCount * 3 * 2);
    this._landmarkView = new DataView(this._landmarks.buffer);
    // The page sends landmarks only (capabilities ["face"]): the server derives blendshapes and head
    // pose from them. The schema still has both fields, so they go as 52 zeros and the identity pose.
    this._blendshapes = new Uint8Array(BlendshapeCount * 4);
    this._pose = [0, 0, 0, 1, 0, 0, 0];
    this._face = [1, this._landmarks, this._blendshapes, this._pose];
    this._frame = [Major, Kind.TrackingFrame, 0, 0, 0, 0, null, null, null];
    // v1.4 hands: [left|nil, right|nil], each [score, handedness, landmarks int16 bin, world float32 bin].
    this._hand = [0, 1].map(() => {
      const landmarks = new Uint8Array(HandLandmarkCount * 3 * 2);
      const world = new Uint8Array(HandLandmarkCount * 3 * 4);
      return {
        landmarks, world, landmarkView: new DataView(landmarks.buffer), worldView: new DataView(world.buffer),
        array: [0, 0, landmarks, world],
      };
    });
    this._hands = [null, null];
  }

  /** `[1, 1, minor, capabilities, performerId, token]` */
  hello(capabilities, performerId, token) {
    return this._encoder.encodeSharedRef([Major, Kind.Hello, Minor, capabilities, performerId, token ?? null]);
  }

  /**
   * `[1, 2, seq, captureUs, w, h, face|nil, nil, hands|nil]`.
   * @param {number} captureUs Unix-epoch microseconds, a whole number.
   * @param {{x:number,y:number,z:number}[]|null} landmarks MediaPipe's 468 normalized points, or null when no face.
   * @param {{left: Hand|null, right: Hand|null}|null} [hands] the performer's own left and right hand (v1.4), where
   *   Hand = {score, handedness (0..1), landmarks: 21 normalized {x,y,z}, world: 21 {x,y,z} in metres or null}. A hand
   *   without 21 points, or with a point or score that is not a finite number, is left out (nil); no hand at all → nil.
   */
  trackingFrame(sequence, captureUs, width, height, landmarks, hands = null) {
    const f = this._frame;
    f[2] = sequence;
    f[3] = captureUs;
    f[4] = width;
    f[5] = height;
    if (landmarks && landmarks.length >= FaceLandmarkCount) {
      const v = this._landmarkView;
      for (let i = 0; i < FaceLandmarkCount; i++) {
        const p = landmarks[i];
        v.setInt16(i * 6, quantize(p.x), true);
        v.setInt16((i * 6) + 2, quantize(p.y), true);
        v.setInt16((i * 6) + 4, quantize(p.z), true);
      }
      f[6] = this._face;
    } else {
      f[6] = null;
    }
    const left = this._fillHand(0, hands?.left);
    const right = this._fillHand(1, hands?.right);
    if (left || right) {
      this._hands[0] = left ? this._hand[0].array : null;
      this._hands[1] = right ? this._hand[1].array : null;
      f[8] = this._hands;
    } else {
      f[8] = null;
    }
    return this._encoder.encodeSharedRef(f);
  }

  /** Fills hand slot `slot` from `hand`; false (the hand goes as nil) when it is not a well-formed hand. */
  _fillHand(slot, hand) {
    if (!hand || !Array.isArray(hand.landmarks) || hand.landmarks.length !== HandLandmarkCount) { return false; }
    const score = Math.min(1, Math.max(0, hand.score));
    const handedness = Math.min(1, Math.max(0, hand.handedness));
    if (!Number.isFinite(score) || !Number.isFinite(handedness)) { return false; }
    const s = this._hand[slot];
    const world = Array.isArray(hand.world) && hand.world.length === HandLandmarkCount ? hand.world : null;
    for (let i = 0; i < HandLandmarkCount; i++) {
      const p = hand.landmarks[i];
      // The reader refuses a non-finite hand point (int16 would turn NaN into 0 silently): such a hand is not sent.
      if (!p || !Number.isFinite(p.x) || !Number.isFinite(p.y) || !Number.isFinite(p.z)) { return false; }
      s.landmarkView.setInt16(i * 6, quantize(p.x), true);
      s.landmarkView.setInt16((i * 6) + 2, quantize(p.y), true);
      s.landmarkView.setInt16((i * 6) + 4, quantize(p.z), true);
      const w = world ? world[i] : null;
      const wx = w?.x ?? 0;
      const wy = w?.y ?? 0;
      const wz = w?.z ?? 0;
      if (!Number.isFinite(wx) || !Number.isFinite(wy) || !Number.isFinite(wz)) { return false; }
      s.worldView.setFloat32(i * 12, wx, true);
      s.worldView.setFloat32((i * 12) + 4, wy, true);
      s.worldView.setFloat32((i * 12) + 8, wz, true);
    }
    s.array[0] = score;
    s.array[1] = handedness;
    return true;
  }

  /** `[1, 6, reason]` */
  bye(reason) {
    return this._encoder.encodeSharedRef([Major, Kind.Bye, reason ?? null]);
  }
}

function quantize(value) {
  if (!Number.isFinite(value)) { return Number.isNaN(value) ? 0 : (value > 0 ? 32767 : -32768); }
  const q = Math.round(value * LandmarkScale);
  return q > 32767 ? 32767 : (q < -32768 ? -32768 : q);
}

/**
 * Reads what the server sends viewers. Untrusted input: the decoder's limits keep a bad packet from
 * allocating much, and anything that is not a well-formed v1 message comes back as null with a reason.
 */
export class PacketReader {
  constructor() {
    this._decoder = new Decoder({ maxStrLength: 65536, maxBinLength: 8 * 1024 * 1024, maxArrayLength: 65536, maxMapLength: 64, maxExtLength: 16 });
  }

  /**
   * @param {ArrayBuffer} data one WebSocket message.
   * @returns {{kind:number, ...}|{error:string}} RenderedFrame: {kind, seq, captureUs, renderedUs, width, height, jpeg (a view of `data`),
   *   alpha (v1.5: a greyscale JPEG of the frame's alpha, a view of `data`, or null), matte ([r, g, b] the RGB was composited over, or null),
   *   quality (v1.6: the JPEG quality of a stepped-down frame, or null at the session's own), bytes (the whole message)};
   *   AudioChunk: {kind, seq, tsUs, rate, channels, pcm}; Bye: {kind, reason}; other kinds: {kind}.
   */
  read(data) {
    let m;
    try {
      m = this._decoder.decode(new Uint8Array(data));
    } catch (e) {
      return { error: `not MessagePack: ${e.message}` };
    }
    if (!Array.isArray(m) || m.length < 2) { return { error: 'not a protocol envelope [major, type, …]' }; }
    if (m[0] !== Major) { return { error: `protocol major ${m[0]}, this page speaks ${Major}.${Minor}` }; }
    const kind = m[1];
    if (kind === Kind.RenderedFrame) {
      if (m.length < 8 || !(m[7] instanceof Uint8Array)) { return { error: 'RenderedFrame without its JPEG bytes' }; }
      const alpha = m.length > 8 && m[8] instanceof Uint8Array ? m[8] : null;
      const matte = m.length > 9 && Array.isArray(m[9]) && m[9].length === 3 && m[9].every((v) => Number.isInteger(v) && v >= 0 && v <= 255) ? m[9] : null;
      // v1.6: the JPEG quality of a frame the server stepped down for this viewer (absent at the session's own quality).
      const quality = m.length > 10 && Number.isInteger(m[10]) && m[10] >= 1 && m[10] <= 100 ? m[10] : null;
      return { kind, seq: m[2], captureUs: m[3], renderedUs: m[4], width: m[5], height: m[6], jpeg: m[7], alpha, matte, quality, bytes: data.byteLength };
    }
    if (kind === Kind.AudioChunk) {
      if (m.length < 7 || !(m[6] instanceof Uint8Array)) { return { error: 'AudioChunk without its samples' }; }
      const [, , seq, tsUs, rate, channels, pcm] = m;
      if (!(rate > 0 && rate <= 768000) || !(channels > 0 && channels <= 32) || pcm.length % (2 * channels) !== 0) {
        return { error: `AudioChunk with ${rate} Hz, ${channels} channels, ${pcm.length} bytes` };
      }
      return { kind, seq, tsUs, rate, channels, pcm };
    }
    if (kind === Kind.Bye) { return { kind, reason: typeof m[2] === 'string' ? m[2] : null }; }
    return { kind };
  }
}

/** Unix-epoch microseconds for a performance.now()-domain time (defaults to now), a whole number. */
export function epochUs(performanceMs) {
  const t = performanceMs ?? performance.now();
  // Anchored to the wall clock at every call, so a monotonic clock that drifts from it over a long
  // session does not skew the latency other processes compute from these stamps.
  return Math.round((Date.now() - performance.now() + t) * 1000);
}

/**
 * What a live page knows from its own address: `/live/{id}/capture?token=…` or `/live/{id}/view?token=…`.
 * @returns {{id:string|null, params:URLSearchParams, wsBase:string}}
 */
export function pageAddress(loc = window.location) {
  const match = /\/live\/([^/]+)\//.exec(loc.pathname);
  const wsScheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  return {
    id: match ? decodeURIComponent(match[1]) : null,
    params: new URLSearchParams(loc.search),
    wsBase: `${wsScheme}//${loc.host}/live/${match ? match[1] : ''}`,
  };
}

/** The frames socket's address for a token. */
export function framesUrl(address, token) {
  return `${address.wsBase}/frames?token=${encodeURIComponent(token)}`;
}

/** The ingest socket's address. The performer token travels in the Hello, not in the address. */
export function ingestUrl(address) {
  return `${address.wsBase}/ingest`;
}

/** A close event in words: the server's reason when it gave one. */
export function describeClose(event) {
  if (event.reason) { return `${event.reason} (code ${event.code})`; }
  switch (event.code) {
    case 1000: return 'closed normally (code 1000)';
    case 1001: return 'the server is going away (code 1001)';
    case 1006: return 'the connection was refused or lost (code 1006)';
    case 1008: return 'refused by the server\'s policy (code 1008)';
    case 1009: return 'a message was too big (code 1009)';
    case 1011: return 'the server hit an error (code 1011)';
    default: return `code ${event.code}`;
  }
}

/**
 * Latest frame wins: JPEG bytes go in, a decoded frame is drawn on `canvas` whenever the decoder is
 * free; frames that arrive while one is being decoded replace each other and count as dropped.
 * With `{ alpha: true }` a frame that carries its alpha (v1.5) is drawn with it: the canvas is transparent
 * around the figure, and where the server composited the RGB over a matte colour, that colour is taken out
 * again ((rgb − matte·(1 − a)) / a), so a soft edge shows the figure's colour, not a grey fringe.
 */
export class FramePainter {
  constructor(canvas, onPainted, { alpha = false } = {}) {
    this._canvas = canvas;
    this._ctx = canvas.getContext('2d', { willReadFrequently: true });
    this._onPainted = onPainted;
    this._useAlpha = alpha;
    this._scratch = null;
    this._pending = null;
    this._busy = false;
    this.dropped = 0;
    this.painted = 0;
    this.withAlpha = 0;
  }

  push(frame) {
    if (this._pending !== null) { this.dropped++; }
    // Copy out of the socket message: the next message must not be held alive by a stale view.
    this._pending = { ...frame, jpeg: frame.jpeg.slice(), alpha: this._useAlpha && frame.alpha ? frame.alpha.slice() : null };
    if (!this._busy) { this._next(); }
  }

  async _next() {
    this._busy = true;
    try {
      while (this._pending !== null) {
        const frame = this._pending;
        this._pending = null;
        let bitmap;
        let alpha = null;
        try {
          bitmap = await createImageBitmap(new Blob([frame.jpeg], { type: 'image/jpeg' }));
          if (frame.alpha) { alpha = await createImageBitmap(new Blob([frame.alpha], { type: 'image/jpeg' })); }
        } catch {
          bitmap?.close();
          this.dropped++;
          continue;
        }
        if (this._canvas.width !== bitmap.width || this._canvas.height !== bitmap.height) {
          this._canvas.width = bitmap.width;
          this._canvas.height = bitmap.height;
        }
        this._ctx.clearRect(0, 0, bitmap.width, bitmap.height);
        this._ctx.drawImage(bitmap, 0, 0);
        bitmap.close();
        if (alpha !== null) {
          this._applyAlpha(alpha, frame.matte);
          alpha.close();
          this.withAlpha++;
        }
        this.painted++;
        this._onPainted(frame);
      }
    } finally {
      this._busy = false;
    }
  }

  _applyAlpha(alphaBitmap, matte) {
    const w = this._canvas.width;
    const h = this._canvas.height;
    if (this._scratch === null || this._scratch.width !== w || this._scratch.height !== h) {
      this._scratch = new OffscreenCanvas(w, h);
    }
    const sctx = this._scratch.getContext('2d', { willReadFrequently: true });
    sctx.drawImage(alphaBitmap, 0, 0, w, h);
    const a = sctx.getImageData(0, 0, w, h).data;
    const image = this._ctx.getImageData(0, 0, w, h);
    const p = image.data;
    for (let i = 0; i < p.length; i += 4) {
      // JPEG rings a few levels around the flat 0 and 255 of an alpha plane: snap them back.
      let v = a[i];
      v = v <= 6 ? 0 : v >= 249 ? 255 : v;
      if (matte !== null && v > 0 && v < 255) {
        const k = 255 / v;
        const rest = (255 - v) / 255;
        p[i] = Math.min(255, Math.max(0, (p[i] - (matte[0] * rest)) * k));
        p[i + 1] = Math.min(255, Math.max(0, (p[i + 1] - (matte[1] * rest)) * k));
        p[i + 2] = Math.min(255, Math.max(0, (p[i + 2] - (matte[2] * rest)) * k));
      }
      p[i + 3] = v;
    }
    this._ctx.putImageData(image, 0, 0);
  }
}

/** Frames per second over a sliding second. */
export class RateMeter {
  constructor() { this._times = []; }
  tick(now = performance.now()) {
    this._times.push(now);
    while (this._times.length > 0 && now - this._times[0] > 1000) { this._times.shift(); }
  }
  get fps() {
    const now = performance.now();
    while (this._times.length > 0 && now - this._times[0] > 1000) { this._times.shift(); }
    return this._times.length;
  }
}
