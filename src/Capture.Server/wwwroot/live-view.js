// The live character for OBS (Browser Source) or any browser: /live/{id}/view?token=<viewerToken>
//   &stats=1        overlay: frames/s, latency (now − the performer's capture time), drops, the frames' size and JPEG
//                   quality (lower when the server stepped them down for this viewer) and kB/s received
//   &adapt=1|0      frames follow what this viewer's connection drains (quality, then size, down and back up): by
//                   default on unless the page runs on the server's machine; adapt=0 always takes full frames
//   &bg=…           transparent (default), RRGGBB (a chroma-key colour for OBS's filter), original, or a picture's URL
//   &audio=0        do not play the performer's audio
//   &away=hide      while the performer is away or after the session ended, show nothing (transparent) instead
//                   of the last frame
// Reconnects by itself (backoff 0.5 s doubling to 15 s); says so, small, when the session ended or
// the token is wrong. Each painted frame is announced as a `capture:frame` event on window
// (detail: seq, captureUs, renderedUs, width, height, receivedUs) for tools and tests.
import { PacketReader, Kind, FramePainter, RateMeter, pageAddress, framesUrl, describeClose, epochUs } from '/live-protocol.js';

const address = pageAddress();
const token = address.params.get('token') ?? '';
const statsOn = address.params.get('stats') === '1';
const playAudio = address.params.get('audio') !== '0';
const hideWhenAway = address.params.get('away') === 'hide';
const adaptParam = address.params.get('adapt');
const canvas = document.getElementById('character');
const messageEl = document.getElementById('message');
const statsEl = document.getElementById('stats');

// bg: what shows around the character. Frames with alpha (v1.5: the picture's own, or its figure cut out)
// are drawn with it, so by default the page is transparent around the figure (OBS composites the scene there).
//   bg=transparent (default) | bg=RRGGBB or #RRGGBB (a chroma-key colour) | bg=original (the picture's own
//   background, alpha ignored: what the page showed before v1.5) | bg=URL (a picture behind the character)
const bgParam = address.params.get('bg');
const bg = describeBackground(bgParam);
if (bg.error) { say(bg.error); }
if (bg.colour) {
  document.documentElement.style.background = bg.colour;
  document.body.style.background = bg.colour;
}
if (bg.url) {
  document.body.style.background = `center / cover no-repeat url("${bg.url.replace(/["\\]/g, (c) => `\\${c}`)}")`;
}

function describeBackground(value) {
  if (value === null || value === '' || value === 'transparent') { return { alpha: true }; }
  if (value === 'original') { return { alpha: false }; }
  const hex = /^#?([0-9a-fA-F]{6})$/.exec(value);
  if (hex) { return { alpha: true, colour: `#${hex[1]}` }; }
  if (/^(https?:\/\/|\/|data:image\/)/.test(value)) { return { alpha: true, url: value }; }
  return { alpha: true, error: `bg=${value} is not understood: give transparent, original, a colour (six hex digits, e.g. bg=00ff00) or a picture's address (https://…)` };
}

const reader = new PacketReader();
const rate = new RateMeter();
const state = {
  connected: false, frames: 0, badPackets: 0, lastLatencyMs: null, latencies: [],
  reconnects: 0, lastError: null, audioChunks: 0, audioSeconds: 0, audioState: null,
  /** 'here' (frames coming), 'away' (no performer connected), 'stalled' (connected, no frames), 'ended', null at first. */
  performer: null,
};
window.captureView = state;

// What this viewer's connection carries: bytes of the last ~2 s of messages, the last frame's size and quality.
const link = { samples: [], side: null, quality: null, idle: false };
function countBytes(bytes) {
  const now = performance.now();
  link.samples.push([now, bytes]);
  while (link.samples.length && now - link.samples[0][0] > 2000) { link.samples.shift(); }
}
function kilobytesPerSecond() {
  if (link.samples.length < 2) { return 0; }
  const span = (performance.now() - link.samples[0][0]) / 1000;
  return span > 0 ? link.samples.reduce((sum, [, b]) => sum + b, 0) / 1000 / Math.max(span, 1) : 0;
}
Object.defineProperty(state, 'link', { get: () => ({ side: link.side, quality: link.quality, kBps: kilobytesPerSecond(), idle: link.idle }) });

const painter = new FramePainter(canvas, (frame) => {
  canvas.classList.remove('waiting');
  link.side = frame.width;
  link.quality = frame.quality;
  lastFrameMs = performance.now();
  if (state.performer !== 'here') {
    state.performer = 'here';
    say('');
  }
  rate.tick();
  state.frames++;
  const latencyMs = (epochUs() - frame.captureUs) / 1000;
  state.lastLatencyMs = latencyMs;
  state.latencies.push(latencyMs);
  if (state.latencies.length > 120) { state.latencies.shift(); }
  window.dispatchEvent(new CustomEvent('capture:frame', {
    detail: { seq: frame.seq, captureUs: frame.captureUs, renderedUs: frame.renderedUs, width: frame.width, height: frame.height, receivedUs: frame.receivedUs, alpha: frame.alpha !== null, quality: frame.quality },
  }));
}, { alpha: bg.alpha });

function say(text) { messageEl.textContent = text; }

// --- audio: AudioChunks scheduled back to back, 80 ms ahead so network jitter does not click ------
let audio = null;
let audioNext = 0;
function playChunk(chunk) {
  state.audioChunks++;
  if (!playAudio) { return; }
  if (audio === null) {
    audio = new AudioContext();
    // A browser tab may hold audio back until the page is clicked (OBS plays at once).
    const resume = () => audio.resume();
    window.addEventListener('pointerdown', resume, { once: true });
    window.addEventListener('keydown', resume, { once: true });
  }
  state.audioState = audio.state;
  const frames = chunk.pcm.length / (2 * chunk.channels);
  const buffer = audio.createBuffer(chunk.channels, frames, chunk.rate);
  const view = new DataView(chunk.pcm.buffer, chunk.pcm.byteOffset, chunk.pcm.byteLength);
  for (let c = 0; c < chunk.channels; c++) {
    const out = buffer.getChannelData(c);
    for (let i = 0; i < frames; i++) { out[i] = view.getInt16(((i * chunk.channels) + c) * 2, true) / 32768; }
  }
  const source = audio.createBufferSource();
  source.buffer = buffer;
  source.connect(audio.destination);
  const now = audio.currentTime;
  if (audioNext < now + 0.02 || audioNext > now + 0.5) { audioNext = now + 0.08; }
  source.start(audioNext);
  audioNext += buffer.duration;
  state.audioSeconds += buffer.duration;
}

// --- the performer: when frames stop, the server says whether the performer is still connected ------
// A performer sends 15–30 frames a second: a second without one is not network jitter. The server knows
// when the ingest closed (GET /live/{id}/performer), so the page says so within about two seconds.
const QuietMs = 1000;
let lastFrameMs = performance.now();
let ended = false;

function performerAway(performer, text) {
  state.performer = performer;
  // Stale figures would read as a live performer: the overlay shows dashes until frames come again.
  state.latencies = [];
  showStats();
  if (hideWhenAway) { canvas.classList.add('waiting'); }
  say(text);
}

function sessionEnded(text) {
  ended = true;
  state.connected = false;
  performerAway('ended', text);
}

async function checkPerformer() {
  if (ended || !state.connected || performance.now() - lastFrameMs < QuietMs) { return; }
  let r;
  try {
    r = await fetch(`/live/${encodeURIComponent(address.id)}/performer?token=${encodeURIComponent(token)}`, { cache: 'no-store' });
  } catch {
    return;  // the socket's close says what happened to the server
  }
  // 404: the session has just ended; its socket's close, with the reason, follows and says so.
  if (!r.ok || ended || performance.now() - lastFrameMs < QuietMs) { return; }
  const s = await r.json();
  if (s.performerConnected) {
    performerAway('stalled', 'The performer is connected but sends nothing (camera stopped or tracking stalled)');
  } else {
    performerAway('away', 'Waiting for the performer');
  }
}
setInterval(checkPerformer, 1000);

// --- the frames socket, reconnecting with backoff --------------------------------------------------
let backoffMs = 500;
let everOpened = false;

async function explainRefusal() {
  // A refused WebSocket upgrade reaches the page only as code 1006 with no reason; the page's own
  // address (same id and token) tells a refusal (the server answers) from an unreachable server, and
  // says which when the server checks the token there too.
  let r;
  try {
    r = await fetch(window.location.href, { cache: 'no-store' });
  } catch {
    return null;
  }
  if (r.status === 401 || r.status === 403) { return 'Wrong viewer token — check the address'; }
  if (r.status === 404 || r.status === 410) { return 'Session ended or unknown'; }
  return 'The server refused this viewer: wrong token, or the session has ended';
}

function connect() {
  if (!address.id || !token) {
    say('This address has no session or token: open the viewerPage address the server gave');
    return;
  }
  // bg=original shows the RGB as it comes: the alpha plane would be bytes for nothing (alpha=0 leaves it out).
  let url = framesUrl(address, token);
  if (!bg.alpha) { url += '&alpha=0'; }
  if (adaptParam === '0' || adaptParam === '1') { url += `&adapt=${adaptParam}`; }
  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  let opened = false;
  let byeText = null;
  ws.onopen = () => {
    opened = true;
    everOpened = true;
    state.connected = true;
    backoffMs = 500;
    say('');
  };
  ws.onmessage = (event) => {
    if (typeof event.data === 'string') { state.badPackets++; return; }
    const receivedUs = epochUs();
    countBytes(event.data.byteLength);
    const m = reader.read(event.data);
    if (m.error) { state.badPackets++; state.lastError = m.error; return; }
    if (m.kind === Kind.RenderedFrame) {
      m.receivedUs = receivedUs;
      painter.push(m);
    } else if (m.kind === Kind.AudioChunk) {
      playChunk(m);
    } else if (m.kind === Kind.Bye) {
      byeText = `Session ended${m.reason ? `: ${m.reason}` : ''}`;
      say(byeText);
    }
  };
  ws.onclose = async (event) => {
    state.connected = false;
    if (ended) { return; }
    // The server closes every viewer with "session ended: <why>" when the session ends: sessions never come
    // back under the same address, so the page says so and stops trying. A server shutting down may be
    // restarting: the page keeps trying, and says "Session ended or unknown" when it is back without it.
    if (byeText !== null || (/^session ended/i.test(event.reason) && !/shutting down/i.test(event.reason))) {
      sessionEnded(byeText ?? `Session ended: ${event.reason.replace(/^session ended:?\s*/i, '')}`);
      state.lastError = document.getElementById('message').textContent;
      return;
    }
    let text = event.reason ? `Closed by the server: ${describeClose(event)}` : null;
    if (!opened) { text = (await explainRefusal()) ?? text; }
    if (text === 'Session ended or unknown') {
      sessionEnded(text);
      state.lastError = text;
      return;
    }
    if (text === null) { text = everOpened ? `Disconnected — ${describeClose(event)}` : 'Waiting for the Capture server'; }
    state.lastError = text;
    say(`${text}; retrying in ${Math.round(backoffMs / 100) / 10} s`);
    setTimeout(connect, backoffMs);
    state.reconnects++;
    backoffMs = Math.min(backoffMs * 2, 15000);
  };
}

function showStats() {
  if (!statsOn) { return; }
  const sorted = [...state.latencies].sort((a, b) => a - b);
  const p50 = sorted.length ? sorted[Math.floor(sorted.length / 2)].toFixed(0) : '–';
  // The frames' size and quality: "full" is the session's own JPEG quality; a number is a step down for this connection.
  const frames = link.side === null ? '' : `  ${link.side}² ${link.quality === null ? 'full' : `q${link.quality}`}  ${kilobytesPerSecond().toFixed(0)} kB/s`;
  statsEl.textContent = `${rate.fps} fps  latency ${p50} ms  dropped ${painter.dropped}${frames}${link.idle ? '  performer silent: idle' : ''}${state.badPackets ? `  bad ${state.badPackets}` : ''}`;
}

// While the performer is connected but sends nothing, the server keeps the character breathing with idle frames: the
// picture says nothing (it is what a stream should show), the stats overlay says so. Asked only with stats=1.
async function checkIdle() {
  if (!statsOn || ended || !state.connected) { return; }
  try {
    const r = await fetch(`/live/${encodeURIComponent(address.id)}/performer?token=${encodeURIComponent(token)}`, { cache: 'no-store' });
    if (r.ok) { link.idle = (await r.json()).idleFrames === true; }
  } catch {
    // The socket's close says what happened to the server.
  }
}
setInterval(checkIdle, 2000);
setInterval(showStats, 500);
Object.defineProperty(state, 'dropped', { get: () => painter.dropped });
Object.defineProperty(state, 'withAlpha', { get: () => painter.withAlpha });

connect();
