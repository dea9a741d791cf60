#!/usr/bin/env node
// MediaPipe's own JS solutions (@mediapipe/face_mesh, @mediapipe/pose, @mediapipe/hands) run in Debian's
// headless Chromium: the reference Capture's C# tracker is checked against.
//
//   node tests/mediapipe-js/run.mjs --solution face_mesh|pose|hands|both --images a.png b.png … [--static]
//   node tests/mediapipe-js/run.mjs --solution both --video clip.mp4 --width 640 --height 480 [--frames N] [--fit pad|crop|stretch]
//   … --max-hands N (hands, 2), --cpu: the solutions' useCpuInference (TFLite XNNPACK in wasm, not WebGL)
//   … --solution holistic: pose (33) and the hands Holistic finds from it (label "Left"/"Right" = the performer's own side)
//   … --geometry: face_mesh also returns each face's poseTransformMatrix (enableFaceGeometry)
//   … --refine: face_mesh with refineLandmarks (attention model): 478 points, 468–477 the irises
//
// Writes one JSON document to stdout (see README.md for its shape); diagnostics go to stderr.
// Exit codes: 0 ok, 2 bad arguments or input files, 1 anything else (browser, MediaPipe, ffmpeg).
// Nothing is fetched from the internet: a local server on 127.0.0.1 serves the page, the MediaPipe
// package files restored by scripts/setup.sh into .cache/npm, the input images and the frames;
// the browser aborts any other request.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');
const packageDirs = {
  face_mesh: join(repoRoot, '.cache', 'npm', '@mediapipe__face_mesh'),
  pose: join(repoRoot, '.cache', 'npm', '@mediapipe__pose'),
  hands: join(repoRoot, '.cache', 'npm', '@mediapipe__hands'),
  holistic: join(repoRoot, '.cache', 'npm', '@mediapipe__holistic'),
};
const mainScripts = { face_mesh: 'face_mesh.js', pose: 'pose.js', hands: 'hands.js', holistic: 'holistic.js' };
const contentTypes = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.data': 'application/octet-stream',
  '.tflite': 'application/octet-stream',
  '.binarypb': 'application/octet-stream',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.bmp': 'image/bmp',
  '.webp': 'image/webp',
};
// Frames the page timed before this index are left out of the throughput: the first sends
// compile the graph's GL shaders and warm the wasm code.
const WarmupFrames = 5;

class UsageError extends Error {}

function verbose(line) {
  if (process.env.CAPTURE_MP_VERBOSE) { process.stderr.write(`run.mjs: ${line}\n`); }
}

function parseArgs(argv) {
  const o = {
    solution: null, images: [], video: null, width: 640, height: 480, frames: Infinity,
    fit: 'pad', staticImageMode: false, maxNumFaces: 1, modelComplexity: 1, smoothLandmarks: false,
    minDetectionConfidence: 0.5, minTrackingConfidence: 0.5, chromium: '/usr/bin/chromium',
    noLandmarks: false, geometry: false, refine: false, fps: null, maxNumHands: 2, cpu: false,
  };
  const number = (name, value, min, max) => {
    const n = Number(value);
    if (value === undefined || !Number.isFinite(n) || n < min || n > max) {
      throw new UsageError(`${name} needs a number from ${min} to ${max}, got '${value ?? ''}'`);
    }
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    switch (a) {
      case '--solution': o.solution = argv[++i]; break;
      case '--images':
        while (i + 1 < argv.length && !argv[i + 1].startsWith('--')) { o.images.push(argv[++i]); }
        break;
      case '--video': o.video = argv[++i]; break;
      case '--width': o.width = number(a, argv[++i], 16, 4096) | 0; break;
      case '--height': o.height = number(a, argv[++i], 16, 4096) | 0; break;
      case '--frames': o.frames = number(a, argv[++i], 1, 1e7) | 0; break;
      case '--fit': o.fit = argv[++i]; break;
      case '--static': o.staticImageMode = true; break;
      case '--max-faces': o.maxNumFaces = number(a, argv[++i], 1, 10) | 0; break;
      case '--max-hands': o.maxNumHands = number(a, argv[++i], 1, 4) | 0; break;
      case '--cpu': o.cpu = true; break;
      case '--model-complexity': o.modelComplexity = number(a, argv[++i], 0, 2) | 0; break;
      case '--smooth': o.smoothLandmarks = true; break;
      case '--min-detection': o.minDetectionConfidence = number(a, argv[++i], 0, 1); break;
      case '--min-tracking': o.minTrackingConfidence = number(a, argv[++i], 0, 1); break;
      case '--chromium': o.chromium = argv[++i]; break;
      case '--no-landmarks': o.noLandmarks = true; break;
      case '--geometry': o.geometry = true; break;
      case '--refine': o.refine = true; break;
      case '--fps': o.fps = number(a, argv[++i], 1, 1000); break;
      case '-h': case '--help': o.help = true; break;
      default: throw new UsageError(`unknown argument '${a}'`);
    }
  }
  if (o.help) { return o; }
  const solutions = { face_mesh: ['face_mesh'], pose: ['pose'], hands: ['hands'], holistic: ['holistic'], both: ['face_mesh', 'pose'] };
  if (!solutions[o.solution]) {
    throw new UsageError(`--solution must be face_mesh, pose, hands, holistic or both, got '${o.solution ?? ''}'`);
  }
  o.solutions = solutions[o.solution];
  if (o.solutions.includes('hands') && o.modelComplexity > 1) {
    throw new UsageError('--model-complexity for hands is 0 or 1');
  }
  if (o.minDetectionConfidence !== 0.5 && o.solutions.includes('face_mesh')) {
    // See page.js: this package version aborts when the face detector's threshold is set.
    throw new UsageError('--min-detection cannot be changed for face_mesh 0.4.1657299874 (its graph aborts); it stays 0.5');
  }
  if (o.refine && !o.solutions.includes('face_mesh')) {
    throw new UsageError('--refine needs --solution face_mesh or both');
  }
  if (o.geometry && !o.solutions.includes('face_mesh')) {
    throw new UsageError('--geometry needs --solution face_mesh or both');
  }
  if ((o.images.length > 0) === (o.video !== null)) {
    throw new UsageError('give either --images FILE… or --video FILE');
  }
  if (!['pad', 'crop', 'stretch'].includes(o.fit)) {
    throw new UsageError(`--fit must be pad, crop or stretch, got '${o.fit}'`);
  }
  if (o.width % 2 || o.height % 2) {
    throw new UsageError('--width and --height must be even');
  }
  for (const f of o.video ? [o.video] : o.images) {
    if (!existsSync(f)) { throw new UsageError(`${f}: no such file`); }
  }
  if (o.images.some((f) => !contentTypes[extname(f).toLowerCase()]?.startsWith('image/'))) {
    throw new UsageError(`images must be .png, .jpg, .jpeg, .bmp or .webp: ${o.images.join(' ')}`);
  }
  if (!existsSync(o.chromium)) {
    throw new UsageError(`${o.chromium}: Chromium not found (scripts/setup.sh installs Debian's chromium)`);
  }
  for (const s of o.solutions) {
    if (!existsSync(join(packageDirs[s], mainScripts[s]))) {
      throw new UsageError(`${packageDirs[s]}: MediaPipe package missing; run 'bash scripts/setup.sh'`);
    }
  }
  return o;
}

/** Pulls fixed-size raw frames out of an ffmpeg pipe, one at a time, with the pipe's backpressure. */
class RawFrameReader {
  constructor(stream, frameBytes) {
    this._iterator = stream[Symbol.asyncIterator]();
    this._frameBytes = frameBytes;
    this._chunks = [];
    this._buffered = 0;
    this._done = false;
  }

  /** The next frame (a Buffer the caller owns), or null at the end of the stream. */
  async next() {
    while (this._buffered < this._frameBytes && !this._done) {
      const { value, done } = await this._iterator.next();
      if (done) { this._done = true; break; }
      this._chunks.push(value);
      this._buffered += value.length;
    }
    if (this._buffered < this._frameBytes) { return null; }
    const all = this._chunks.length === 1 ? this._chunks[0] : Buffer.concat(this._chunks);
    const frame = Buffer.from(all.subarray(0, this._frameBytes));
    const rest = all.subarray(this._frameBytes);
    this._chunks = rest.length ? [rest] : [];
    this._buffered = rest.length;
    return frame;
  }
}

function videoFilter(o) {
  const w = o.width, h = o.height;
  switch (o.fit) {
    case 'stretch': return `scale=${w}:${h}`;
    case 'crop': return `scale=${w}:${h}:force_original_aspect_ratio=increase,crop=${w}:${h}`;
    default: return `scale=${w}:${h}:force_original_aspect_ratio=decrease,pad=${w}:${h}:(ow-iw)/2:(oh-ih)/2`;
  }
}

/** One ffmpeg decode of the whole video to RGBA at the requested size; owned, killed on close. */
function startDecoder(o) {
  const args = ['-v', 'error', '-nostdin', '-i', o.video, '-an', '-vf', videoFilter(o),
    '-pix_fmt', 'rgba', '-f', 'rawvideo'];
  if (Number.isFinite(o.frames)) { args.push('-frames:v', String(o.frames)); }
  args.push('pipe:1');
  const child = spawn('ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((res) => child.on('close', (code) => res(code)));
  child.on('error', (e) => { stderr += String(e); });
  return {
    reader: new RawFrameReader(child.stdout, o.width * o.height * 4),
    async finish() {
      const code = await exited;
      if (code !== 0) { throw new Error(`ffmpeg failed on ${o.video} (exit ${code}): ${stderr.trim()}`); }
    },
    kill() { if (child.exitCode === null) { child.kill('SIGKILL'); } },
  };
}

function startServer(o) {
  let decoder = null;
  let nextFrame = 0;
  const server = createServer(async (req, res) => {
    const fail = (code, msg) => { res.writeHead(code, { 'content-type': 'text/plain' }); res.end(msg); };
    try {
      const url = new URL(req.url, 'http://127.0.0.1');
      const parts = url.pathname.split('/').filter(Boolean);
      if (parts[0] === 'page' && parts.length === 2 && packageDirs[basename(parts[1], '.html')]) {
        const s = basename(parts[1], '.html');
        res.writeHead(200, { 'content-type': contentTypes['.html'] });
        res.end(`<!doctype html><meta charset="utf-8"><title>${s}</title>`
          + `<script src="/mp/${s}/${mainScripts[s]}" crossorigin="anonymous"></script>`
          + `<script src="/page.js"></script>`);
      } else if (url.pathname === '/page.js') {
        res.writeHead(200, { 'content-type': contentTypes['.js'] });
        res.end(await readFile(join(here, 'page.js')));
      } else if (parts[0] === 'mp' && parts.length === 3 && packageDirs[parts[1]] && !parts[2].startsWith('.')) {
        const file = join(packageDirs[parts[1]], basename(parts[2]));
        if (!existsSync(file)) { fail(404, `${parts[2]} is not in ${packageDirs[parts[1]]}`); return; }
        res.writeHead(200, { 'content-type': contentTypes[extname(file)] ?? 'application/octet-stream' });
        res.end(await readFile(file));
      } else if (parts[0] === 'input' && parts.length === 2 && o.images[Number(parts[1])] !== undefined) {
        const file = o.images[Number(parts[1])];
        res.writeHead(200, { 'content-type': contentTypes[extname(file).toLowerCase()] });
        res.end(await readFile(file));
      } else if (parts[0] === 'frame' && parts.length === 2 && decoder) {
        // Frames are decoded once, in order: the page asks for them in order.
        if (Number(parts[1]) !== nextFrame) { fail(409, `frame ${parts[1]} asked, ${nextFrame} next`); return; }
        const frame = await decoder.reader.next();
        if (frame === null) { fail(404, 'end of video'); return; }
        nextFrame++;
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.end(frame);
      } else {
        fail(404, 'not found');
      }
    } catch (e) {
      fail(500, String(e));
    }
  });
  return new Promise((res, rej) => {
    server.on('error', rej);
    server.listen(0, '127.0.0.1', () => res({
      origin: `http://127.0.0.1:${server.address().port}`,
      server,
      startVideo() { decoder?.kill(); decoder = startDecoder(o); nextFrame = 0; return decoder; },
      close() { decoder?.kill(); server.close(); },
    }));
  });
}

async function launchBrowser(o) {
  process.env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD = '1';
  const { chromium } = await import('playwright-core');
  const userDataDir = mkdtempSync(join(tmpdir(), 'capture-mediapipe-js-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: o.chromium,
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      // MediaPipe's solutions hand images to their graph through WebGL2; with no GPU that is
      // SwiftShader, which Chromium only offers to pages when asked to.
      '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
      // Keep timers and rAF at full speed although the page is never visible.
      '--disable-background-timer-throttling', '--disable-renderer-backgrounding',
    ],
  });
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

async function openSolution(context, origin, solution, o) {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') { process.stderr.write(`[${solution}] ${m.text()}\n`); } else { verbose(`[${solution}] ${m.text()}`); } });
  // Only the local server may be reached; anything else is a bug in the harness or the package.
  await page.route('**/*', (route) => {
    const u = route.request().url();
    if (u.startsWith(origin + '/') || u.startsWith('blob:') || u.startsWith('data:')) { return route.continue(); }
    errors.push(`blocked a request outside 127.0.0.1: ${u}`);
    return route.abort();
  });
  await page.goto(`${origin}/page/${solution}.html`);
  await page.waitForFunction(() => window.captureReady === true, null, { timeout: 30000 });
  const check = () => { if (errors.length) { throw new Error(`${solution} page: ${errors.join('; ')}`); } };
  const t0 = performance.now();
  await page.evaluate((opts) => window.capture.init(opts), {
    staticImageMode: o.staticImageMode, maxNumFaces: o.maxNumFaces, modelComplexity: o.modelComplexity,
    smoothLandmarks: o.smoothLandmarks, minDetectionConfidence: o.minDetectionConfidence,
    minTrackingConfidence: o.minTrackingConfidence, geometry: o.geometry, refine: o.refine, fps: o.fps,
    maxNumHands: o.maxNumHands, cpu: o.cpu,
  });
  const initMs = performance.now() - t0;
  check();
  verbose(`${solution}: initialised in ${initMs.toFixed(0)} ms`);
  return { page, check, initMs };
}

function median(values) {
  if (values.length === 0) { return null; }
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function timing(times, initMs) {
  const timed = times.length > WarmupFrames ? times.slice(WarmupFrames) : times;
  const total = timed.reduce((a, b) => a + b, 0);
  return {
    framesTimed: timed.length,
    warmupFrames: times.length - timed.length,
    fps: total > 0 ? (timed.length * 1000) / total : null,
    medianMs: median(timed),
    meanMs: timed.length ? total / timed.length : null,
    firstFrameMs: times[0] ?? null,
    initMs,
  };
}

async function runImages(o, context, origin) {
  const out = o.images.map((f) => ({ file: resolve(f), width: 0, height: 0 }));
  for (const s of o.solutions) {
    const { page, check } = await openSolution(context, origin, s, o);
    for (let i = 0; i < o.images.length; i++) {
      const r = await page.evaluate((url) => window.capture.runImage(url), `/input/${i}`);
      check();
      verbose(`${s} ${o.images[i]}: ${r.ms.toFixed(1)} ms, ${r.resets} graph resets so far`);
      out[i].width = r.width;
      out[i].height = r.height;
      if (s === 'face_mesh') { out[i].faces = r.faces; } else if (s === 'hands') { out[i].hands = r.hands; } else if (s === 'holistic') { out[i].pose = r.pose; out[i].hands = r.hands; } else { out[i].pose = r.pose; }
    }
    await page.close();
  }
  return { solution: o.solution, staticImageMode: o.staticImageMode, images: out };
}

async function runVideo(o, context, server) {
  const result = {
    solution: o.solution, video: resolve(o.video), width: o.width, height: o.height, fit: o.fit,
    staticImageMode: o.staticImageMode, timing: {}, frames: [],
  };
  for (const s of o.solutions) {
    const { page, check, initMs } = await openSolution(context, server.origin, s, o);
    const decoder = server.startVideo();
    const r = await page.evaluate(
      ([w, h, n]) => window.capture.runVideo(w, h, n), [o.width, o.height, Number.isFinite(o.frames) ? o.frames : 1e9]);
    check();
    await decoder.finish();
    if (r.frames.length === 0) { throw new Error(`${o.video}: ffmpeg decoded no frames`); }
    result.timing[s] = timing(r.times, initMs);
    for (const f of r.frames) {
      const entry = (result.frames[f.index] ??= { index: f.index });
      if (s === 'face_mesh') { entry.faces = f.faces; } else if (s === 'hands') { entry.hands = f.hands; } else if (s === 'holistic') { entry.pose = f.pose; entry.hands = f.hands; } else { entry.pose = f.pose; }
    }
    await page.close();
  }
  if (o.noLandmarks) { delete result.frames; }
  return result;
}

async function main() {
  let o;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`run.mjs: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  if (o.help) {
    process.stdout.write(readFileSync(join(here, 'README.md'), 'utf8'));
    return;
  }
  const server = await startServer(o);
  let browser = null;
  try {
    browser = await launchBrowser(o);
    const result = o.video
      ? await runVideo(o, browser.context, server)
      : await runImages(o, browser.context, server.origin);
    await new Promise((res, rej) => process.stdout.write(JSON.stringify(result) + '\n', (e) => (e ? rej(e) : res())));
  } finally {
    await browser?.close();
    server.close();
  }
}

main().catch((e) => {
  process.stderr.write(`run.mjs: ${e?.stack ?? e}\n`);
  process.exit(1);
});
