// The browser capture page: /live/{id}/capture?token=<performerToken>[&viewer=<viewerToken>]
// camera (getUserMedia) → MediaPipe face mesh in this page → schema-v1 TrackingFrames over the ingest
// WebSocket; the character comes back over the frames socket and is drawn beside the performer.
//   &viewer=<token>  the token for the character preview (without it the performer token is offered)
//   &width=&height=  the camera size asked for (640×480 by default)
//   &inference=auto|cpu|gpu|measure  where MediaPipe's models run (auto by default): cpu is TFLite with
//                    XNNPACK in WebAssembly, gpu is WebGL. auto takes cpu when the browser's WebGL is a
//                    software renderer (SwiftShader, llvmpipe: a machine without a usable GPU, where WebGL
//                    tracks at 1–5 fps) and otherwise times both on the first frames and keeps the faster;
//                    measure times both whatever the renderer. The performer can switch on the page.
//   &hands=1         track the hands too (MediaPipe Hands in this page, protocol v1.4); the "Track hands" box
//                    turns it on and off while performing. Off by default: it about halves the frame rate on a
//                    slow machine (the page shows what it costs here, in ms a frame).
//   &body=1          track the body too (MediaPipe Pose, the full model, in this page; protocol v1.3: image and
//                    world points): a session whose character moves its body asks for it (the server's capturePage
//                    address carries it). The "Track body" box turns it on and off; the page shows what it costs.
// window.captureLive holds the counters (and the last few sent frames with their mouth opening) for
// tools and tests.
import {
  PacketWriter, PacketReader, Kind, FramePainter, RateMeter, FaceLandmarkCount, HandLandmarkCount, BodyLandmarkCount,
  pageAddress, ingestUrl, framesUrl, describeClose, epochUs,
} from '/live-protocol.js';

const address = pageAddress();
const performerToken = address.params.get('token') ?? '';
const viewerToken = address.params.get('viewer');
const wantWidth = Number(address.params.get('width') ?? 640);
const wantHeight = Number(address.params.get('height') ?? 480);
const Inference = Object.freeze({ auto: 'auto', cpu: 'cpu', gpu: 'gpu', measure: 'measure' });
const askedInference = Inference[address.params.get('inference') ?? 'auto'] ?? 'auto';
const handsAsked = ['1', 'true', 'on'].includes(address.params.get('hands') ?? '');
const bodyAsked = ['1', 'true', 'on'].includes(address.params.get('body') ?? '');

const video = document.getElementById('camera');
const performerCanvas = document.getElementById('performer');
const performerCtx = performerCanvas.getContext('2d');
const characterCanvas = document.getElementById('character');
const statsEl = document.getElementById('stats');
const messagesEl = document.getElementById('messages');
const inferenceSelect = document.getElementById('inference');
const trackerNowEl = document.getElementById('tracker-now');
const handsBox = document.getElementById('hands');
const handsCostEl = document.getElementById('hands-cost');
const handsHelp = handsCostEl.textContent;
const bodyBox = document.getElementById('body');
const bodyCostEl = document.getElementById('body-cost');
const bodyHelp = bodyCostEl.textContent;
// The trackers a box turns on beside the face (setTracker): the box, its cost line and that line's help text,
// the loader, the state flag the frame loop reads, and the word the page's messages use.
const optionalTrackers = {
  hands: { box: handsBox, costEl: handsCostEl, help: handsHelp, load: loadHands, flag: 'handsOn', noun: 'hand' },
  body: { box: bodyBox, costEl: bodyCostEl, help: bodyHelp, load: loadPose, flag: 'bodyOn', noun: 'body' },
};

// Keep at most ~6 frames (3 KB each) in the socket's send buffer: beyond that the link is behind, and
// the newest frame waits in one slot that the next frame replaces (the older one counts as dropped).
const MaxBufferedBytes = 6 * 3200;
const RecentFrames = 900;

const state = {
  cameraFrames: 0, tracked: 0, trackerBusySkips: 0, faces: 0, sent: 0, dropped: 0,
  characterFrames: 0, latencyMs: null, ingestOpen: false, framesOpen: false, lastMouth: null,
  /** Where the models run now ('cpu' | 'gpu', null before the tracker starts), why, and the renderer seen. */
  inference: null, inferenceWhy: '', renderer: null,
  /** Milliseconds a tracked frame took (send to results), smoothed; and each path's measured median when timed. */
  trackMs: null, measuredMs: {},
  /** The last sent frames: {seq, captureUs, mouth}; mouth = inner-lip gap / face height, null without a face. */
  /** Hands: whether the hand model runs, frames sent with a hand, and what it costs (ms a frame, mean of the last 30). */
  handsOn: false, handsFrames: 0, handsMs: null, faceMs: null,
  /** Body: whether the pose model runs, frames sent with a body, and what it costs (ms a frame, mean of the last 30). */
  bodyOn: false, bodyFrames: 0, bodyMs: null,
  /** The last sent frames: {seq, captureUs, mouth, left, right}; mouth = inner-lip gap / face height, null without a
   *  face; left/right = the performer's own hand's wrist x (0..1 of the picture), null when not sent. */
  recent: [],
  messages: {},
};
window.captureLive = state;

// --- messages, one per topic, most important first ---------------------------------------------------
const topicOrder = ['camera', 'tracker', 'hands', 'body', 'ingest', 'face', 'character'];
function setMessage(topic, text, info = false) {
  if (text) { state.messages[topic] = { text, info }; } else { delete state.messages[topic]; }
  messagesEl.replaceChildren(...topicOrder.filter((t) => state.messages[t]).map((t) => {
    const li = document.createElement('li');
    li.textContent = state.messages[t].text;
    li.dataset.topic = t;
    if (state.messages[t].info) { li.className = 'info'; }
    return li;
  }));
}

if (!address.id || !performerToken) {
  setMessage('ingest', 'This address has no session or token: open the whole performer address you were given (it ends in /capture?token=…)');
}

// --- ingest socket --------------------------------------------------------------------------------
const writer = new PacketWriter();
const reader = new PacketReader();
let ingest = null;
let ingestBackoffMs = 500;
let pending = null;  // a copy of the newest packet that did not fit in the send buffer
let sequence = 0;

function openIngest() {
  const ws = new WebSocket(ingestUrl(address));
  ws.binaryType = 'arraybuffer';
  ingest = ws;
  let opened = false;
  ws.onopen = () => {
    opened = true;
    state.ingestOpen = true;
    ingestBackoffMs = 500;
    const capabilities = ['face'];
    if (state.handsOn || handsAsked) { capabilities.push('hands'); }
    if (state.bodyOn || bodyAsked) { capabilities.push('body'); }
    ws.send(writer.hello(capabilities, 'browser', performerToken));
    setMessage('ingest', null);
  };
  ws.onmessage = (event) => {
    // The server may say goodbye before it closes; the close reason says the rest.
    if (typeof event.data === 'string') { return; }
    const m = reader.read(event.data);
    if (!m.error && m.kind === Kind.Bye) { setMessage('ingest', `The server ended the session${m.reason ? `: ${m.reason}` : ''}`); }
  };
  ws.onclose = (event) => {
    state.ingestOpen = false;
    ingest = null;
    pending = null;
    // The server closes with a reason when it refuses us (wrong token, ended session, bad packet):
    // trying again would not help, so the page says why and stops. A lost link is retried.
    const refused = event.reason !== '' || event.code === 1000 || event.code === 1008 || (event.code >= 4000 && event.code < 5000);
    if (refused) {
      setMessage('ingest', `The server closed the link: ${describeClose(event)}`);
      return;
    }
    setMessage('ingest', `${opened ? 'Lost the link to the Capture server' : 'Cannot reach the Capture server'} (${describeClose(event)}); retrying in ${ingestBackoffMs / 1000} s`);
    setTimeout(openIngest, ingestBackoffMs);
    ingestBackoffMs = Math.min(ingestBackoffMs * 2, 15000);
  };
}

let flushTimer = 0;
function flushPending() {
  flushTimer = 0;
  if (pending === null || ingest === null || ingest.readyState !== WebSocket.OPEN) { return; }
  if (ingest.bufferedAmount <= MaxBufferedBytes) {
    ingest.send(pending);
    pending = null;
    state.sent++;
  } else {
    // WebSocket has no "drained" event: look again shortly.
    flushTimer = setTimeout(flushPending, 5);
  }
}

function sendFrame(packet) {
  if (ingest === null || ingest.readyState !== WebSocket.OPEN) { return false; }
  if (pending !== null || ingest.bufferedAmount > MaxBufferedBytes) {
    if (pending !== null) { state.dropped++; }
    pending = packet.slice();
    if (flushTimer === 0) { flushPending(); }
    return true;
  }
  ingest.send(packet);
  state.sent++;
  return true;
}

// --- character preview (frames socket) ------------------------------------------------------------
const characterRate = new RateMeter();
const painter = new FramePainter(characterCanvas, (frame) => {
  state.characterFrames++;
  characterRate.tick();
  state.latencyMs = (epochUs() - frame.captureUs) / 1000;
});
let framesBackoffMs = 1000;

function openFrames() {
  const token = viewerToken ?? performerToken;
  const ws = new WebSocket(framesUrl(address, token));
  ws.binaryType = 'arraybuffer';
  let opened = false;
  ws.onopen = () => { opened = true; state.framesOpen = true; framesBackoffMs = 1000; setMessage('character', null); };
  ws.onmessage = (event) => {
    if (typeof event.data === 'string') { return; }
    const m = reader.read(event.data);
    if (!m.error && m.kind === Kind.RenderedFrame) { painter.push(m); }
  };
  ws.onclose = (event) => {
    state.framesOpen = false;
    const why = !opened && viewerToken === null
      ? 'Character preview refused — to see the character here, add &viewer= and the token of the viewer\'s address to this address'
      : `Character preview: ${describeClose(event)}`;
    setMessage('character', `${why}; retrying in ${framesBackoffMs / 1000} s`, true);
    setTimeout(openFrames, framesBackoffMs);
    framesBackoffMs = Math.min(framesBackoffMs * 2, 30000);
  };
}

// --- tracking -------------------------------------------------------------------------------------
const cameraRate = new RateMeter();
const trackRate = new RateMeter();
let faceMesh = null;
let handsModel = null;
let handsLoading = null;
let busy = false;
let frameCaptureMs = 0;
let faceResults = null;
let handResults = null;
let poseModel = null;
let poseLoading = null;
let poseResults = null;
const bodyCost = [];
// Mean cost of each model over the last 30 frames it ran on (ms), shown beside the hands switch.
const faceCost = [];
const handsCost = [];
function addCost(list, ms) { list.push(ms); if (list.length > 30) { list.shift(); } return list.reduce((a, b) => a + b, 0) / list.length; }

function mouthOpening(lm) {
  // Inner lips 13/14 over forehead 10 to chin 152, in pixels: ~0 closed, ~0.1+ wide open.
  const w = performerCanvas.width;
  const h = performerCanvas.height;
  const gap = Math.hypot((lm[13].x - lm[14].x) * w, (lm[13].y - lm[14].y) * h);
  const face = Math.hypot((lm[10].x - lm[152].x) * w, (lm[10].y - lm[152].y) * h);
  return face > 0 ? gap / face : null;
}

/**
 * Strokes one of MediaPipe's connection lists (pairs of point indices; absent until its script has loaded) between
 * normalized points on the performer canvas; a pair with a point under minVisibility is left out.
 */
function strokeConnections(points, connections, lineWidth, colour, minVisibility = 0) {
  if (!Array.isArray(connections)) { return; }
  const w = performerCanvas.width;
  const h = performerCanvas.height;
  performerCtx.lineWidth = lineWidth;
  performerCtx.strokeStyle = colour;
  performerCtx.beginPath();
  for (const [a, b] of connections) {
    if ((points[a].visibility ?? 1) < minVisibility || (points[b].visibility ?? 1) < minVisibility) { continue; }
    performerCtx.moveTo(points[a].x * w, points[a].y * h);
    performerCtx.lineTo(points[b].x * w, points[b].y * h);
  }
  performerCtx.stroke();
}

function drawMesh(lm) {
  const w = performerCanvas.width;
  const h = performerCanvas.height;
  strokeConnections(lm, window.FACEMESH_TESSELATION, 0.6, 'rgba(80, 220, 255, 0.55)');
  performerCtx.fillStyle = 'rgba(120, 255, 160, 0.9)';
  for (let i = 0; i < FaceLandmarkCount; i++) { performerCtx.fillRect((lm[i].x * w) - 1, (lm[i].y * h) - 1, 2, 2); }
}

function drawHand(landmarks, colour) {
  const w = performerCanvas.width;
  const h = performerCanvas.height;
  strokeConnections(landmarks, window.HAND_CONNECTIONS, 2, colour);
  performerCtx.fillStyle = colour;
  for (const p of landmarks) { performerCtx.fillRect((p.x * w) - 2, (p.y * h) - 2, 4, 4); }
}

/**
 * MediaPipe Hands' results as the performer's own left and right hand. Its handedness label assumes a mirrored
 * (selfie) picture and the page tracks the camera unmirrored, so "Left" is the performer's right hand. Two hands
 * given the same side: the surer one keeps it.
 */
function performerHands(results) {
  const out = { left: null, right: null };
  const all = results?.multiHandLandmarks ?? [];
  for (let i = 0; i < all.length; i++) {
    const label = results.multiHandedness?.[i];
    if (!label || all[i].length !== HandLandmarkCount) { continue; }
    const side = label.label === 'Left' ? 'right' : 'left';
    // The hand model's presence score is not exposed by this package: a hand it returns passed its tracking
    // threshold, so it goes as the handedness classifier's score, which it also reports.
    const hand = { score: label.score, handedness: label.score, landmarks: all[i], world: results.multiHandWorldLandmarks?.[i] ?? null };
    if (out[side] === null || out[side].handedness < hand.handedness) { out[side] = hand; }
  }
  return out;
}

function drawBody(landmarks) {
  strokeConnections(landmarks, window.POSE_CONNECTIONS, 3, 'rgba(255, 200, 40, 0.9)', 0.5);
}

/** MediaPipe Pose's results as the schema's body: the 33 image points with visibility and the 33 world points. */
function performerBody(results) {
  const landmarks = results?.poseLandmarks;
  if (!Array.isArray(landmarks) || landmarks.length !== BodyLandmarkCount) { return null; }
  // This package does not expose the pose detector's score: a body it returns passed its own thresholds, so the
  // body goes with score 1 and each point's own visibility says how sure it is (the server reads those per joint).
  return { score: 1, landmarks, world: results.poseWorldLandmarks ?? null };
}

function onPoseResults(results) {
  poseResults = results;
}

function onResults(results) {
  faceResults = results;
}

function onHandResults(results) {
  handResults = results;
}

function finishFrame(results, hands, body) {
  trackRate.tick();
  state.tracked++;
  const w = video.videoWidth;
  const h = video.videoHeight;
  if (performerCanvas.width !== w || performerCanvas.height !== h) {
    performerCanvas.width = w;
    performerCanvas.height = h;
  }
  performerCtx.drawImage(results.image, 0, 0, w, h);
  const faces = results.multiFaceLandmarks ?? [];
  const lm = faces.length > 0 ? faces[0] : null;
  let mouth = null;
  if (lm !== null) {
    state.faces++;
    drawMesh(lm);
    mouth = mouthOpening(lm);
    setMessage('face', null);
  } else {
    setMessage('face', 'No face in view — face the camera, with light on your face');
  }
  state.lastMouth = mouth;
  if (hands?.left) { drawHand(hands.left.landmarks, 'rgba(0, 220, 255, 0.95)'); }
  if (hands?.right) { drawHand(hands.right.landmarks, 'rgba(255, 60, 220, 0.95)'); }
  if (body) { drawBody(body.landmarks); }
  const seq = sequence++;
  const captureUs = epochUs(frameCaptureMs);
  if (sendFrame(writer.trackingFrame(seq, captureUs, w, h, lm, hands, body))) {
    const left = hands?.left ? hands.left.landmarks[0].x : null;
    const right = hands?.right ? hands.right.landmarks[0].x : null;
    if (left !== null || right !== null) { state.handsFrames++; }
    // The performer's wrists (MediaPipe's 15 = left, 16 = right) as sent, null without a body.
    const wrists = body ? { lx: body.landmarks[15].x, ly: body.landmarks[15].y, rx: body.landmarks[16].x, ry: body.landmarks[16].y } : null;
    if (body) { state.bodyFrames++; }
    state.recent.push({ seq, captureUs, mouth, left, right, body: wrists, world: body ? body.world !== null : false });
    if (state.recent.length > RecentFrames) { state.recent.shift(); }
  }
}

function onVideoFrame(now, metadata) {
  video.requestVideoFrameCallback(onVideoFrame);
  onCameraFrame(now, metadata);
}

async function onCameraFrame(now, metadata) {
  cameraRate.tick();
  state.cameraFrames++;
  if (busy) {
    // The tracker is still on an earlier frame: this one is skipped, never queued.
    state.trackerBusySkips++;
    return;
  }
  busy = true;
  // The camera's own capture time when the browser knows it (performance.now() domain).
  frameCaptureMs = metadata?.captureTime ?? now;
  try {
    faceResults = null;
    handResults = null;
    let t0 = performance.now();
    await faceMesh.send({ image: video });
    const faceTook = performance.now() - t0;
    state.faceMs = addCost(faceCost, faceTook);
    // The face model's own time decides where the models run (the hand model is timed apart).
    await noteTrackTime(faceTook);
    let hands = null;
    if (state.handsOn && handsModel !== null) {
      t0 = performance.now();
      try {
        await handsModel.send({ image: video });
        state.handsMs = addCost(handsCost, performance.now() - t0);
        hands = performerHands(handResults);
      } catch (e) {
        // The face goes on without hands.
        setMessage('hands', `Hand tracking failed: ${e?.message ?? e} — sending the face only`);
        setTracker('hands', false);
      }
    }
    let body = null;
    if (state.bodyOn && poseModel !== null) {
      t0 = performance.now();
      try {
        poseResults = null;
        await poseModel.send({ image: video });
        state.bodyMs = addCost(bodyCost, performance.now() - t0);
        body = performerBody(poseResults);
      } catch (e) {
        // The face goes on without the body.
        setMessage('body', `Body tracking failed: ${e?.message ?? e} — sending the face only`);
        setTracker('body', false);
      }
    }
    if (faceResults !== null) { finishFrame(faceResults, hands, body); }
  } catch (e) {
    setMessage('tracker', `Face tracking failed: ${e?.message ?? e}`);
  } finally {
    busy = false;
  }
}

/**
 * Loads MediaPipe's /vendor/@mediapipe/NAME/NAME.js once (unless its global constructor is already there); says
 * what to do when the server has not restored the package.
 */
async function loadVendorScript(name, global) {
  if (typeof window[global] !== 'function') {
    await new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = `/vendor/@mediapipe/${name}/${name}.js`;
      script.crossOrigin = 'anonymous';
      script.onload = resolve;
      script.onerror = () => reject(new Error(`/vendor/@mediapipe/${name}/${name}.js did not load (run scripts/setup.sh where the server runs)`));
      document.head.append(script);
    });
  }
  if (typeof window[global] !== 'function') { throw new Error(`MediaPipe ${global} did not load`); }
}

/** Loads MediaPipe Hands (once, on first use: ~10 MB of model and wasm) and starts it; a failed start is forgotten, so the box can try again. */
function loadHands() {
  handsLoading ??= (async () => {
    await loadVendorScript('hands', 'Hands');
    const model = new window.Hands({ locateFile: (file) => `/vendor/@mediapipe/hands/${file}` });
    // Two hands, the full landmark model (what Capture's own tracker runs), not mirrored: the schema's hand points.
    // useCpuInference: the models on the CPU (TFLite XNNPACK in wasm) rather than WebGL. Without a GPU (SwiftShader)
    // the WebGL path cost ~13 s a frame on the 2-core test machine against a few hundred ms on the CPU.
    model.setOptions({
      maxNumHands: 2, modelComplexity: 1, selfieMode: false, minDetectionConfidence: 0.5, minTrackingConfidence: 0.5, useCpuInference: true,
    });
    model.onResults(onHandResults);
    await model.initialize();
    handsModel = model;
  })().catch((e) => { handsLoading = null; throw e; });
  return handsLoading;
}

/** Loads MediaPipe Pose (once, on first use: ~10 MB of model and wasm) and starts it; a failed start is forgotten, so the box can try again. */
function loadPose() {
  poseLoading ??= (async () => {
    await loadVendorScript('pose', 'Pose');
    const model = new window.Pose({ locateFile: (file) => `/vendor/@mediapipe/pose/${file}` });
    // The full landmark model (modelComplexity 1: what Capture's own tracker runs), not mirrored, smoothed by the
    // graph (the server adds no second filter), no segmentation. useCpuInference: TFLite XNNPACK in wasm, as the
    // hands: WebGL without a GPU (SwiftShader) costs seconds a frame.
    model.setOptions({
      modelComplexity: 1, smoothLandmarks: true, enableSegmentation: false, selfieMode: false,
      minDetectionConfidence: 0.5, minTrackingConfidence: 0.5, useCpuInference: true,
    });
    model.onResults(onPoseResults);
    await model.initialize();
    poseModel = model;
  })().catch((e) => { poseLoading = null; throw e; });
  return poseLoading;
}

/**
 * Turns an optional tracker beside the face on or off: 'hands' (the "Track hands" box, or &hands=1 at start) or
 * 'body' (the "Track body" box, or &body=1).
 */
async function setTracker(kind, on) {
  const t = optionalTrackers[kind];
  t.box.checked = on;
  if (!on) {
    state[t.flag] = false;
    t.costEl.textContent = t.help;
    return;
  }
  setMessage(kind, `Loading the ${t.noun} tracker…`, true);
  try {
    await t.load();
  } catch (e) {
    t.box.checked = false;
    setMessage(kind, `The ${t.noun} tracker could not start: ${e?.message ?? e}`);
    return;
  }
  setMessage(kind, null);
  state[t.flag] = t.box.checked;
}

async function startCamera() {
  if (!navigator.mediaDevices?.getUserMedia) {
    setMessage('camera', 'No camera access on this page: open it over https, or on localhost / 127.0.0.1');
    return false;
  }
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      video: { width: { ideal: wantWidth }, height: { ideal: wantHeight }, frameRate: { ideal: 30 } }, audio: false,
    });
  } catch (e) {
    const name = e?.name ?? '';
    if (name === 'NotAllowedError' || name === 'SecurityError' || name === 'PermissionDeniedError') {
      setMessage('camera', 'Camera permission denied — allow the camera for this page (the camera icon in the address bar), then reload');
    } else if (name === 'NotFoundError' || name === 'OverconstrainedError' || name === 'DevicesNotFoundError') {
      setMessage('camera', 'No camera found — connect a camera, then reload');
    } else if (name === 'NotReadableError' || name === 'TrackStartError') {
      setMessage('camera', 'The camera is in use by another program — close it, then reload');
    } else {
      setMessage('camera', `The camera could not start: ${name} ${e?.message ?? ''}`.trim());
    }
    state.cameraError = name || String(e);
    return false;
  }
  stream.getVideoTracks()[0]?.addEventListener('ended', () => setMessage('camera', 'The camera stopped (unplugged or taken by another program)'));
  video.srcObject = stream;
  await video.play();
  return true;
}

// --- where the models run: the processor (TFLite XNNPACK in WebAssembly) or the graphics card (WebGL) --
// WebGL without a GPU is a software renderer, and MediaPipe's WebGL inference on it tracks 1–5 frames a
// second where the WebAssembly path tracks 40+; on a real GPU WebGL is usually the faster. So: a software
// renderer → the processor at once; otherwise time both on the first frames and keep the faster.
const SoftwareRenderer = /SwiftShader|llvmpipe|softpipe|Software Rasterizer|Microsoft Basic Render/i;
const WarmupFrames = 3;         // after a (re)start MediaPipe builds its graph and models: not timed
const MeasureFrames = 15;       // frames timed per path…
const MeasureBudgetMs = 1000;   // …or about a second of tracking, whichever comes first (at least 2 frames)
const InferenceNames = { cpu: 'the processor (WebAssembly)', gpu: 'the graphics card (WebGL)' };
let measuring = null;           // { paths: ['gpu', 'cpu'], at, skip, times: [] } while timing both

function graphics() {
  try {
    const gl = document.createElement('canvas').getContext('webgl2');
    if (!gl) { return { webgl2: false, renderer: null }; }
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return { webgl2: true, renderer };
  } catch {
    return { webgl2: false, renderer: null };
  }
}

/** The path to start on for what was asked ('auto', 'cpu', 'gpu', 'measure'), and why; 'measure' starts timing both. */
function chooseInference(asked) {
  const { webgl2, renderer } = graphics();
  state.renderer = renderer;
  if (!webgl2) { return { where: 'cpu', why: 'this browser has no WebGL2' }; }
  if (asked === 'cpu' || asked === 'gpu') { return { where: asked, why: 'chosen on this page' }; }
  if (asked === 'auto' && SoftwareRenderer.test(renderer ?? '')) {
    const name = (renderer.match(SoftwareRenderer) ?? [renderer])[0];
    return { where: 'cpu', why: `automatic: the graphics here is a software renderer (${name}), no GPU` };
  }
  return { where: 'measure', why: '' };
}

async function setInference(where, why) {
  state.inference = where;
  state.inferenceWhy = why;
  state.trackMs = null;
  trackTimes.length = 0;
  skipTimes = WarmupFrames;
  // A graph option: MediaPipe rebuilds its graph with it on the next frame.
  await faceMesh.setOptions({ useCpuInference: where === 'cpu' });
  showInference();
}

async function applyInference(asked) {
  const choice = chooseInference(asked);
  if (choice.where === 'measure') {
    measuring = { paths: ['gpu', 'cpu'], at: 0, times: [] };
    state.measuredMs = {};
    await setInference('gpu', 'timing both paths…');
  } else {
    measuring = null;
    await setInference(choice.where, choice.why);
  }
}

const trackTimes = [];          // the last tracked frames' times on the current path, for the median shown
let skipTimes = WarmupFrames;

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function noteTrackTime(ms) {
  if (skipTimes > 0) { skipTimes--; return; }
  trackTimes.push(ms);
  if (trackTimes.length > 30) { trackTimes.shift(); }
  state.trackMs = median(trackTimes);
  if (measuring === null) { return; }
  measuring.times.push(ms);
  const spent = measuring.times.reduce((a, b) => a + b, 0);
  if (measuring.times.length < MeasureFrames && !(spent >= MeasureBudgetMs && measuring.times.length >= 2)) { return; }
  const path = measuring.paths[measuring.at];
  state.measuredMs[path] = Math.round(median(measuring.times));
  measuring.at++;
  measuring.times = [];
  if (measuring.at < measuring.paths.length) {
    await setInference(measuring.paths[measuring.at], 'timing both paths…');
    return;
  }
  measuring = null;
  const { cpu, gpu } = state.measuredMs;
  const best = cpu <= gpu ? 'cpu' : 'gpu';
  await setInference(best, `automatic: measured ${cpu} ms a frame on the processor, ${gpu} ms on the graphics card`);
}

function showInference() {
  if (state.inference === null) { trackerNowEl.textContent = ''; return; }
  const timing = state.trackMs === null ? '' : `, ${state.trackMs.toFixed(0)} ms a frame`;
  trackerNowEl.textContent = `now on ${InferenceNames[state.inference]}${timing} — ${state.inferenceWhy}`;
  trackerNowEl.dataset.inference = state.inference;
}

inferenceSelect.value = askedInference === 'measure' ? 'auto' : askedInference;
inferenceSelect.addEventListener('change', async () => {
  // Kept in the address, so a reload (or a bookmark) keeps the choice.
  const url = new URL(window.location.href);
  url.searchParams.set('inference', inferenceSelect.value);
  window.history.replaceState(null, '', url);
  if (faceMesh !== null) { await applyInference(inferenceSelect.value); }
});

async function startTracker() {
  if (typeof window.FaceMesh !== 'function') {
    setMessage('tracker', 'MediaPipe face mesh did not load from /vendor/@mediapipe/face_mesh/ (run scripts/setup.sh where the server runs)');
    return false;
  }
  setMessage('tracker', 'Loading the face tracker…', true);
  faceMesh = new window.FaceMesh({ locateFile: (file) => `/vendor/@mediapipe/face_mesh/${file}` });
  // 468 points (no attention model), one face, not mirrored: the schema's face landmarks.
  // minDetectionConfidence stays the graph's own: setting it breaks this package version's graph.
  faceMesh.setOptions({ maxNumFaces: 1, refineLandmarks: false, selfieMode: false, minTrackingConfidence: 0.5 });
  faceMesh.onResults(onResults);
  try {
    await applyInference(askedInference);
    await faceMesh.initialize();
  } catch (e) {
    setMessage('tracker', `The face tracker could not start: ${e?.message ?? e} (this page needs WebGL2)`);
    return false;
  }
  setMessage('tracker', null);
  return true;
}

setInterval(() => {
  state.cameraFps = cameraRate.fps;
  state.trackFps = trackRate.fps;
  if (state.handsOn && state.handsMs !== null) {
    handsCostEl.textContent = `hands cost ${state.handsMs.toFixed(0)} ms a frame here (face ${state.faceMs?.toFixed(0) ?? '–'} ms)`;
  }
  if (state.bodyOn && state.bodyMs !== null) {
    bodyCostEl.textContent = `body costs ${state.bodyMs.toFixed(0)} ms a frame here (face ${state.faceMs?.toFixed(0) ?? '–'} ms)`;
  }
  const lat = state.latencyMs === null ? '–' : `${state.latencyMs.toFixed(0)} ms`;
  statsEl.textContent =
    `camera ${cameraRate.fps} fps · tracked ${trackRate.fps} fps · sent ${state.sent} · dropped ${state.dropped} (link) ${state.trackerBusySkips} (tracker busy)\n` +
    `character ${characterRate.fps} fps · latency ${lat} · ${state.ingestOpen ? 'linked' : 'not linked'}`;
  showInference();
}, 500);

async function main() {
  if (!address.id || !performerToken) { return; }
  openIngest();
  openFrames();
  if (!(await startCamera())) { return; }
  if (!(await startTracker())) { return; }
  handsBox.disabled = false;
  handsBox.addEventListener('change', () => { setTracker('hands', handsBox.checked); });
  // The hand model loads while the face frames already flow (the server ends a session that hears nothing for a minute).
  if (handsAsked) { setTracker('hands', true); }
  bodyBox.disabled = false;
  bodyBox.addEventListener('change', () => { setTracker('body', bodyBox.checked); });
  if (bodyAsked) { setTracker('body', true); }
  if (typeof video.requestVideoFrameCallback === 'function') {
    video.requestVideoFrameCallback(onVideoFrame);
  } else {
    // Browsers without requestVideoFrameCallback: poll at display rate, track whenever a new frame is shown.
    let lastTime = -1;
    const poll = (now) => {
      requestAnimationFrame(poll);
      if (video.currentTime !== lastTime) { lastTime = video.currentTime; onCameraFrame(now, null); }
    };
    requestAnimationFrame(poll);
  }
}

main();
