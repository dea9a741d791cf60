// The rig page: click named face points on a character picture, let the server fit Capture's face
// mesh through them (POST /api/rigs/fit, the same fitting a job uses), draw the mesh over the
// picture; place the body joints (started from the pose tracker's, POST /api/rigs/joints) and paint
// the figure's mask for a character whose body moves; save the rig (capture-rig v1 with "body" and
// "mask", calibration/README.md) as a download and for the next job. Zoom and pan (wheel, pinch,
// buttons, drag) and a magnifier under the cursor make small faces markable; every point is kept in
// picture pixels whatever the zoom. The figure can also be outlined (a polygon clicked point by point, which
// fills or cuts out the mask), and an Animated Drawings character zip opens as its drawing, mask and joints
// (POST /api/rigs/drawing: the server's loader maps its 16 joints, the page draws and edits them).
import { api, getKey, RIG_ITEM, fileSha256, peopleMessage, wireKey, checkKey } from './jobs-api.js';

// Point names of the rig format, in the order they are asked for.
const POINTS = [
  ['rightEyeOuter', "right eye, outer corner (on the picture's left)", true],
  ['rightEyeInner', 'right eye, inner corner', true],
  ['leftEyeInner', 'left eye, inner corner', true],
  ['leftEyeOuter', "left eye, outer corner (on the picture's right)", true],
  ['noseTip', 'tip of the nose', true],
  ['mouthRight', "right mouth corner (on the picture's left)", true],
  ['mouthLeft', "left mouth corner (on the picture's right)", true],
  ['rightEyeTop', 'right eye, top of the lid', false],
  ['rightEyeBottom', 'right eye, bottom of the lid', false],
  ['leftEyeTop', 'left eye, top of the lid', false],
  ['leftEyeBottom', 'left eye, bottom of the lid', false],
  ['upperLipInner', 'upper lip, inner edge at the middle', false],
  ['lowerLipInner', 'lower lip, inner edge at the middle', false],
  ['chin', 'bottom of the chin', false],
  ['rightCheek', "right side of the face (on the picture's left)", false],
  ['leftCheek', "left side of the face (on the picture's right)", false],
  ['foreheadTop', 'top of the forehead', false],
];

// Body joints (MediaPipe pose's names, as the rig file writes them), in the order they are asked for.
const JOINTS = [
  ['right_shoulder', "right shoulder (on the picture's left)", true],
  ['left_shoulder', "left shoulder (on the picture's right)", true],
  ['nose', 'the middle of the face (the head turns about the neck towards it)', false],
  ['right_elbow', 'right elbow', false],
  ['right_wrist', 'right wrist (where the hand starts)', false],
  ['left_elbow', 'left elbow', false],
  ['left_wrist', 'left wrist (where the hand starts)', false],
  ['right_hip', "right hip (on the picture's left)", false],
  ['left_hip', "left hip (on the picture's right)", false],
  ['right_knee', 'right knee', false],
  ['right_ankle', 'right ankle', false],
  ['left_knee', 'left knee', false],
  ['left_ankle', 'left ankle', false],
];
// Each joint hangs from this one (the rig is refused otherwise); the shoulders and hips hang from the torso.
const PARENT = {
  nose: null, right_elbow: 'right_shoulder', right_wrist: 'right_elbow', left_elbow: 'left_shoulder', left_wrist: 'left_elbow',
  right_knee: 'right_hip', right_ankle: 'right_knee', left_knee: 'left_hip', left_ankle: 'left_knee',
};
// The bones the preview draws, and the parts the figure's cells follow (colour per part).
const BONES = [
  ['right_shoulder', 'right_elbow', '#e07b00'], ['right_elbow', 'right_wrist', '#f0a830'],
  ['left_shoulder', 'left_elbow', '#1f6fd0'], ['left_elbow', 'left_wrist', '#5aa0f0'],
  ['right_hip', 'right_knee', '#b05a00'], ['right_knee', 'right_ankle', '#d08a40'],
  ['left_hip', 'left_knee', '#154f98'], ['left_knee', 'left_ankle', '#4a86d0'],
];
const TORSO_COLOUR = '#2a9d5a';
const HEAD_COLOUR = '#b03aa0';
// A joint under the pointer within this many canvas pixels is picked up rather than a new one placed.
const HIT_RADIUS = 9;
// A press that moves further than this (canvas pixels) is a drag (pan), not a click.
const DRAG_SLOP = 4;
const MAX_ZOOM = 32;

const $ = (id) => document.getElementById(id);
const canvas = $('canvas');
const ctx = canvas.getContext('2d');
const magnifier = $('magnifier');
const mctx = magnifier.getContext('2d');
let image = null;
let imageName = '';
/** SHA-256 of the picture file: the saved rig names its picture by it, so it is never applied to another. */
let imageSha256 = null;
let pictureFile = null;
let mode = 'face';
let step = 0;
const clicked = new Map();
let fitted = null;
let fitSerial = 0;

/** Body joints in picture pixels; the body goes into the rig once the body tab was used. */
const joints = new Map();
let bodyUsed = false;
let selectedJoint = null;
let trackerJoints = null;

/** The figure mask at the picture's size: opaque white where painted (kept in picture pixels). */
const maskCanvas = document.createElement('canvas');
const maskCtx = maskCanvas.getContext('2d');
const tintCanvas = document.createElement('canvas');
let maskPainted = false;
let meshCells = null;

/** The outline being drawn (picture pixels), closed into the mask; where the pointer is, for the line to it. */
let outline = [];
let outlineHover = null;
/** An Animated Drawings character opened as the picture: its name and joints as the server mapped them. */
let drawing = null;

/** The view: canvas pixel = picture pixel × fit × zoom − offset. */
const view = { fit: 1, zoom: 1, ox: 0, oy: 0 };
const scale = () => view.fit * view.zoom;
const toPicture = (cx, cy) => [(cx + view.ox) / scale(), (cy + view.oy) / scale()];
const toCanvas = (px, py) => [px * scale() - view.ox, py * scale() - view.oy];
const round1 = (v) => Math.round(v * 10) / 10;

function rigJson() {
  const points = {};
  for (const [name] of POINTS) {
    if (clicked.has(name)) {
      const p = clicked.get(name);
      points[name] = [round1(p[0]), round1(p[1])];
    }
  }
  const rig = {
    format: 'capture-rig', version: 1, image: imageName, ...(imageSha256 ? { imageSha256 } : {}),
    imageSize: [image.naturalWidth, image.naturalHeight], points,
  };
  if (bodyUsed && joints.size > 0) {
    rig.body = {};
    for (const [name] of JOINTS) {
      if (joints.has(name)) {
        const p = joints.get(name);
        rig.body[name] = [round1(p[0]), round1(p[1])];
      }
    }
  }
  if (maskPainted) {
    rig.mask = maskDataUrl();
  }
  return rig;
}

function maskDataUrl() {
  const out = document.createElement('canvas');
  out.width = maskCanvas.width;
  out.height = maskCanvas.height;
  const o = out.getContext('2d');
  o.fillStyle = '#000';
  o.fillRect(0, 0, out.width, out.height);
  o.drawImage(maskCanvas, 0, 0);
  return out.toDataURL('image/png');
}

function requiredDone() {
  return POINTS.filter((p) => p[2]).every(([name]) => clicked.has(name));
}

/** What is wrong with the body joints, in words; '' when they make a body. */
function bodyProblem() {
  if (!joints.has('left_shoulder') || !joints.has('right_shoulder')) {
    return 'a body needs both shoulders';
  }
  for (const [child, parent] of Object.entries(PARENT)) {
    if (parent && joints.has(child) && !joints.has(parent)) {
      return `the ${child.replace('_', ' ')} is placed but not the ${parent.replace('_', ' ')} it hangs from`;
    }
  }
  if (joints.has('left_hip') !== joints.has('right_hip')) {
    return 'place both hips, or neither (a half-body character)';
  }
  if (joints.has('left_hip')) {
    const shoulders = joints.get('left_shoulder')[0] - joints.get('right_shoulder')[0];
    const hips = joints.get('left_hip')[0] - joints.get('right_hip')[0];
    if (shoulders * hips < 0) {
      return "the hips are crossed against the shoulders: the character's left hip goes on the same side as its left shoulder";
    }
    if ((joints.get('left_hip')[1] + joints.get('right_hip')[1]) / 2 <= (joints.get('left_shoulder')[1] + joints.get('right_shoulder')[1]) / 2) {
      return 'the hips must be below the shoulders';
    }
  }
  return '';
}

function updateSave() {
  const faceStarted = clicked.size > 0;
  const body = bodyUsed && joints.size > 0;
  const problem = body ? bodyProblem() : '';
  $('body-problem').textContent = problem;
  let ok;
  let why = '';
  if (faceStarted) {
    ok = fitted !== null && !problem;
    if (!fitted) {
      why = 'the mesh is fitted once the required points are placed';
    }
  } else {
    ok = body && !problem;
    if (!ok) {
      why = 'place the face points, or the body joints (both shoulders at least)';
    }
  }
  $('save').disabled = !ok;
  if (why && !fitted) {
    $('fit-status').textContent = why;
  }
}

function draw() {
  if (!image) {
    return;
  }
  const s = scale();
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.fillStyle = '#ddd';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  // Crisp pixels once zoomed in past 1:1, so a point can be put on a pixel.
  ctx.imageSmoothingEnabled = s < 2;
  ctx.setTransform(s, 0, 0, s, -view.ox, -view.oy);
  ctx.drawImage(image, 0, 0);
  if (maskPainted && (mode === 'mask' || mode === 'body')) {
    ctx.globalAlpha = mode === 'mask' ? 0.45 : 0.2;
    ctx.drawImage(tintCanvas, 0, 0);
    ctx.globalAlpha = 1;
  }
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  if (mode === 'body' && $('show-mesh').checked && meshCells) {
    drawMesh();
  }
  if (fitted && mode === 'face') {
    ctx.strokeStyle = 'rgba(40, 220, 120, 0.8)';
    ctx.lineWidth = 0.6;
    ctx.beginPath();
    const p = fitted.points;
    const t = fitted.triangles;
    for (let i = 0; i < t.length; i += 3) {
      const [ax, ay] = toCanvas(p[t[i] * 2], p[t[i] * 2 + 1]);
      const [bx, by] = toCanvas(p[t[i + 1] * 2], p[t[i + 1] * 2 + 1]);
      const [cx, cy] = toCanvas(p[t[i + 2] * 2], p[t[i + 2] * 2 + 1]);
      ctx.moveTo(ax, ay);
      ctx.lineTo(bx, by);
      ctx.lineTo(cx, cy);
      ctx.closePath();
    }
    ctx.stroke();
  }
  if (mode !== 'mask') {
    ctx.fillStyle = mode === 'face' ? '#e22' : 'rgba(220, 30, 30, 0.5)';
    for (const [, [x, y]] of clicked) {
      const [cx, cy] = toCanvas(x, y);
      ctx.beginPath();
      ctx.arc(cx, cy, 3.5, 0, Math.PI * 2);
      ctx.fill();
    }
  }
  if (mode === 'body' || (mode === 'mask' && joints.size > 0)) {
    drawSkeleton(ctx, toCanvas, mode === 'body' ? 1 : 0.5);
  }
  if (mode === 'mask' && outline.length > 0) {
    drawOutline(ctx, toCanvas, outlineHover);
  }
  canvas.dataset.outline = String(outline.length);
  canvas.dataset.scale = String(s);
  canvas.dataset.zoom = String(view.zoom);
  canvas.dataset.offset = `${view.ox},${view.oy}`;
  $('zoom-level').textContent = `${Math.round(s * 100)} %`;
}

function drawSkeleton(g, map, alpha) {
  g.globalAlpha = alpha;
  g.lineWidth = 3;
  const line = (a, b, colour) => {
    const [ax, ay] = map(a[0], a[1]);
    const [bx, by] = map(b[0], b[1]);
    g.strokeStyle = colour;
    g.beginPath();
    g.moveTo(ax, ay);
    g.lineTo(bx, by);
    g.stroke();
  };
  const has = (n) => joints.has(n);
  const at = (n) => joints.get(n);
  const mid = (a, b) => [(at(a)[0] + at(b)[0]) / 2, (at(a)[1] + at(b)[1]) / 2];
  if (has('left_shoulder') && has('right_shoulder')) {
    line(at('left_shoulder'), at('right_shoulder'), TORSO_COLOUR);
    const neck = mid('left_shoulder', 'right_shoulder');
    if (has('left_hip') && has('right_hip')) {
      line(at('left_hip'), at('right_hip'), TORSO_COLOUR);
      line(neck, mid('left_hip', 'right_hip'), TORSO_COLOUR);
    }
    if (has('nose')) {
      line(neck, at('nose'), HEAD_COLOUR);
    }
  }
  for (const [a, b, colour] of BONES) {
    if (has(a) && has(b)) {
      line(at(a), at(b), colour);
    }
  }
  for (const [name] of JOINTS) {
    if (!has(name)) {
      continue;
    }
    const [cx, cy] = map(at(name)[0], at(name)[1]);
    g.fillStyle = name.startsWith('left') ? '#1f6fd0' : name.startsWith('right') ? '#e07b00' : HEAD_COLOUR;
    g.strokeStyle = name === selectedJoint ? '#000' : '#fff';
    g.lineWidth = 1.5;
    g.beginPath();
    g.arc(cx, cy, 5, 0, Math.PI * 2);
    g.fill();
    g.stroke();
  }
  g.globalAlpha = 1;
}

/** The outline so far: its points, the line from the last one to the pointer, the first point ringed (click it to close). */
function drawOutline(g, map, hover) {
  const cut = outlineCuts(false);
  g.strokeStyle = cut ? '#c00' : '#0a0';
  g.lineWidth = 2;
  g.beginPath();
  outline.forEach(([x, y], i) => {
    const [cx, cy] = map(x, y);
    if (i === 0) {
      g.moveTo(cx, cy);
    } else {
      g.lineTo(cx, cy);
    }
  });
  g.stroke();
  if (hover) {
    const [ax, ay] = map(...outline[outline.length - 1]);
    const [bx, by] = map(...hover);
    g.setLineDash([4, 4]);
    g.beginPath();
    g.moveTo(ax, ay);
    g.lineTo(bx, by);
    g.stroke();
    g.setLineDash([]);
  }
  outline.forEach(([x, y], i) => {
    const [cx, cy] = map(x, y);
    g.fillStyle = i === 0 ? '#fff' : g.strokeStyle;
    g.beginPath();
    g.arc(cx, cy, i === 0 ? HIT_RADIUS * 0.7 : 3, 0, Math.PI * 2);
    g.fill();
    if (i === 0) {
      g.stroke();
    }
  });
}

/** The figure's cells coloured by the part they follow (the nearest bone): a preview of how the body mesh splits. */
function computeMesh() {
  meshCells = null;
  if (!maskPainted || !joints.has('left_shoulder') || !joints.has('right_shoulder')) {
    return;
  }
  const w = maskCanvas.width;
  const h = maskCanvas.height;
  const cell = Math.max(4, Math.round(Math.max(w, h) / 90));
  const data = maskCtx.getImageData(0, 0, w, h).data;
  const at = (n) => joints.get(n);
  const segments = [];
  const neck = [(at('left_shoulder')[0] + at('right_shoulder')[0]) / 2, (at('left_shoulder')[1] + at('right_shoulder')[1]) / 2];
  const root = joints.has('left_hip') && joints.has('right_hip')
    ? [(at('left_hip')[0] + at('right_hip')[0]) / 2, (at('left_hip')[1] + at('right_hip')[1]) / 2]
    : [neck[0], neck[1] + 1.2 * Math.hypot(at('left_shoulder')[0] - at('right_shoulder')[0], at('left_shoulder')[1] - at('right_shoulder')[1])];
  segments.push([neck, root, TORSO_COLOUR], [at('left_shoulder'), at('right_shoulder'), TORSO_COLOUR]);
  if (joints.has('nose')) {
    segments.push([neck, at('nose'), HEAD_COLOUR]);
  }
  for (const [a, b, colour] of BONES) {
    if (joints.has(a) && joints.has(b)) {
      segments.push([at(a), at(b), colour]);
    }
  }
  const cells = [];
  for (let y = 0; y < h; y += cell) {
    for (let x = 0; x < w; x += cell) {
      const px = Math.min(w - 1, Math.round(x + cell / 2));
      const py = Math.min(h - 1, Math.round(y + cell / 2));
      if (data[(py * w + px) * 4 + 3] < 128) {
        continue;
      }
      let best = Infinity;
      let colour = TORSO_COLOUR;
      for (const [a, b, c] of segments) {
        const d = segmentDistance(px, py, a, b);
        if (d < best) {
          best = d;
          colour = c;
        }
      }
      cells.push([x, y, colour]);
    }
  }
  meshCells = { cell, cells };
}

function segmentDistance(x, y, a, b) {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const len = dx * dx + dy * dy;
  const t = len > 0 ? Math.max(0, Math.min(1, ((x - a[0]) * dx + (y - a[1]) * dy) / len)) : 0;
  return Math.hypot(x - (a[0] + t * dx), y - (a[1] + t * dy));
}

function drawMesh() {
  const s = scale();
  ctx.globalAlpha = 0.35;
  for (const [x, y, colour] of meshCells.cells) {
    const [cx, cy] = toCanvas(x, y);
    ctx.fillStyle = colour;
    ctx.fillRect(cx, cy, meshCells.cell * s, meshCells.cell * s);
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = 0.5;
    ctx.strokeRect(cx, cy, meshCells.cell * s, meshCells.cell * s);
  }
  ctx.globalAlpha = 1;
}

function showSteps() {
  const list = $('points');
  list.replaceChildren();
  POINTS.forEach(([name, text, required], i) => {
    const li = document.createElement('li');
    li.dataset.name = name;
    li.textContent = `${text}${required ? '' : ' (optional)'}`;
    if (clicked.has(name)) {
      li.className = 'done';
    } else if (i < step) {
      li.className = 'skipped';
    } else if (i === step) {
      li.className = 'current';
    }
    list.append(li);
  });
  const current = POINTS[step];
  $('prompt').textContent = current ? `Click the character's ${current[1]}.` : 'All points placed. Save the rig, or undo to move points.';
  $('prompt').dataset.point = current ? current[0] : '';
  $('skip').disabled = !current || current[2];
  showJoints();
}

function currentJoint() {
  if (selectedJoint) {
    return selectedJoint;
  }
  const next = JOINTS.find(([name]) => !joints.has(name) && !skippedJoints.has(name));
  return next ? next[0] : null;
}
const skippedJoints = new Set();

function showJoints() {
  const list = $('joints');
  list.replaceChildren();
  const current = currentJoint();
  for (const [name, text, required] of JOINTS) {
    const li = document.createElement('li');
    li.dataset.name = name;
    li.textContent = `${text}${required ? '' : ' (optional)'}`;
    li.className = [joints.has(name) ? 'done' : skippedJoints.has(name) ? 'skipped' : '', name === current ? 'current' : '', name === selectedJoint ? 'selected' : '']
      .filter(Boolean).join(' ');
    li.addEventListener('click', () => {
      selectedJoint = name;
      skippedJoints.delete(name);
      showJoints();
      draw();
    });
    list.append(li);
  }
  const text = JOINTS.find(([n]) => n === current)?.[1];
  $('body-prompt').textContent = current
    ? `Click the character's ${text}${joints.has(current) ? ' (it moves there)' : ''}, or drag a joint to move it.`
    : 'All joints placed. Drag any joint to move it; click one in the list to place it again.';
  $('body-prompt').dataset.joint = current ?? '';
  $('joint-skip').disabled = !current || JOINTS.find(([n]) => n === current)[2];
  $('joint-remove').disabled = !selectedJoint || !joints.has(selectedJoint);
  $('joints-tracker').disabled = !trackerJoints;
  $('joints-tracker').textContent = drawing ? "start again from the drawing's joints" : "start again from the tracker's joints";
  canvas.dataset.joints = String(joints.size);
  updateSave();
}

async function fit() {
  if (!requiredDone()) {
    fitted = null;
    canvas.dataset.fitted = '0';
    updateSave();
    return;
  }
  const serial = ++fitSerial;
  try {
    const response = await api('/api/rigs/fit', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ rig: { ...rigJson(), body: undefined, mask: undefined }, width: image.naturalWidth, height: image.naturalHeight }),
    });
    const result = await response.json();
    if (serial !== fitSerial) {
      return;
    }
    fitted = result;
    $('message').textContent = '';
    $('fit-status').textContent = `face mesh fitted through ${clicked.size} points (${result.points.length / 2} mesh points)`;
    canvas.dataset.fitted = String(result.points.length / 2);
  } catch (err) {
    fitted = null;
    canvas.dataset.fitted = '0';
    $('message').textContent = peopleMessage(err);
    if (err.status === 401) {
      keyBox.showRefused(peopleMessage(err));
    }
  }
  updateSave();
  draw();
}

// ---- view: zoom and pan ----

function fitView() {
  view.zoom = 1;
  view.ox = 0;
  view.oy = 0;
  draw();
}

function clampView() {
  const s = scale();
  view.ox = Math.max(0, Math.min(view.ox, image.naturalWidth * s - canvas.width));
  view.oy = Math.max(0, Math.min(view.oy, image.naturalHeight * s - canvas.height));
}

/** Zooms by factor keeping the picture point under canvas point (cx, cy) where it is. */
function zoomAt(cx, cy, factor) {
  const [px, py] = toPicture(cx, cy);
  view.zoom = Math.max(1, Math.min(MAX_ZOOM, view.zoom * factor));
  view.ox = px * scale() - cx;
  view.oy = py * scale() - cy;
  clampView();
  draw();
}

function canvasPoint(e) {
  const rect = canvas.getBoundingClientRect();
  return [
    (e.clientX - rect.left - canvas.clientLeft) * (canvas.width / canvas.clientWidth),
    (e.clientY - rect.top - canvas.clientTop) * (canvas.height / canvas.clientHeight),
  ];
}

canvas.addEventListener('wheel', (e) => {
  if (!image) {
    return;
  }
  e.preventDefault();
  const [cx, cy] = canvasPoint(e);
  // A mouse wheel notch is ~100; a trackpad sends many small deltas: both zoom smoothly.
  zoomAt(cx, cy, Math.pow(1.0015, -e.deltaY * (e.deltaMode === 1 ? 33 : 1)));
  showMagnifier(e);
}, { passive: false });

$('zoom-in').addEventListener('click', () => image && zoomAt(canvas.width / 2, canvas.height / 2, 1.5));
$('zoom-out').addEventListener('click', () => image && zoomAt(canvas.width / 2, canvas.height / 2, 1 / 1.5));
$('zoom-fit').addEventListener('click', () => image && fitView());

// ---- the magnifier: the picture around the cursor, magnified, with a cross on the pixel a click places ----

function showMagnifier(e) {
  if (!image || (mode === 'mask' && !outlineTool()) || press?.panning) {
    magnifier.hidden = true;
    return;
  }
  const [cx, cy] = canvasPoint(e);
  const [px, py] = toPicture(cx, cy);
  if (px < 0 || py < 0 || px > image.naturalWidth || py > image.naturalHeight) {
    magnifier.hidden = true;
    return;
  }
  // Always magnified beyond the view: 4× the view, at least 3 screen pixels per picture pixel.
  const m = Math.max(3, scale() * 4);
  const size = magnifier.width;
  mctx.setTransform(1, 0, 0, 1, 0, 0);
  mctx.fillStyle = '#ddd';
  mctx.fillRect(0, 0, size, size);
  mctx.imageSmoothingEnabled = false;
  mctx.setTransform(m, 0, 0, m, size / 2 - px * m, size / 2 - py * m);
  mctx.drawImage(image, 0, 0);
  mctx.setTransform(1, 0, 0, 1, 0, 0);
  const map = (x, y) => [size / 2 + (x - px) * m, size / 2 + (y - py) * m];
  if (mode === 'face') {
    mctx.fillStyle = '#e22';
    for (const [, [x, y]] of clicked) {
      const [mx, my] = map(x, y);
      mctx.beginPath();
      mctx.arc(mx, my, 3, 0, Math.PI * 2);
      mctx.fill();
    }
  } else {
    drawSkeleton(mctx, map, 1);
    if (mode === 'mask' && outline.length > 0) {
      drawOutline(mctx, map, [px, py]);
    }
  }
  mctx.strokeStyle = 'rgba(255, 0, 0, 0.9)';
  mctx.lineWidth = 1;
  mctx.beginPath();
  mctx.moveTo(size / 2, size / 2 - 14);
  mctx.lineTo(size / 2, size / 2 - 3);
  mctx.moveTo(size / 2, size / 2 + 3);
  mctx.lineTo(size / 2, size / 2 + 14);
  mctx.moveTo(size / 2 - 14, size / 2);
  mctx.lineTo(size / 2 - 3, size / 2);
  mctx.moveTo(size / 2 + 3, size / 2);
  mctx.lineTo(size / 2 + 14, size / 2);
  mctx.stroke();
  // Beside the cursor, flipped to the other side near the canvas's right or bottom edge.
  const cssX = cx * (canvas.clientWidth / canvas.width) + canvas.clientLeft;
  const cssY = cy * (canvas.clientHeight / canvas.height) + canvas.clientTop;
  magnifier.style.left = `${cssX + 24 + size > canvas.clientWidth ? cssX - 24 - size : cssX + 24}px`;
  magnifier.style.top = `${cssY + 24 + size > canvas.clientHeight ? Math.max(0, cssY - 24 - size) : cssY + 24}px`;
  magnifier.dataset.x = String(round1(px));
  magnifier.dataset.y = String(round1(py));
  magnifier.dataset.magnification = String(m);
  magnifier.hidden = false;
}

// ---- pointer: place, drag a joint, paint, pan, pinch ----

let press = null;
const pointers = new Map();
let pinch = null;
let spaceHeld = false;

/** True while the person types in a text box: the page's keys are theirs then. */
const typing = (e) => e.target instanceof HTMLTextAreaElement || (e.target instanceof HTMLInputElement && /^(text|password|search|number)$/.test(e.target.type));

window.addEventListener('keydown', (e) => {
  if (mode === 'mask' && outline.length > 0 && !typing(e) && ['Enter', 'Escape', 'Backspace'].includes(e.key)) {
    e.preventDefault();
    if (e.key === 'Enter') {
      closeOutline(e.altKey);
    } else if (e.key === 'Escape') {
      cancelOutline();
    } else {
      undoOutlinePoint();
    }
    return;
  }
  if (e.code === 'Space' && e.target === document.body) {
    spaceHeld = true;
    e.preventDefault();
  } else if ((e.key === '+' || e.key === '=') && image && e.target === document.body) {
    zoomAt(canvas.width / 2, canvas.height / 2, 1.5);
  } else if (e.key === '-' && image && e.target === document.body) {
    zoomAt(canvas.width / 2, canvas.height / 2, 1 / 1.5);
  } else if (e.key === '0' && image && e.target === document.body) {
    fitView();
  }
});
window.addEventListener('keyup', (e) => {
  if (e.code === 'Space') {
    spaceHeld = false;
  }
});
canvas.addEventListener('contextmenu', (e) => e.preventDefault());

function jointAt(cx, cy) {
  let best = null;
  let bestDistance = HIT_RADIUS;
  for (const [name, [x, y]] of joints) {
    const [jx, jy] = toCanvas(x, y);
    const d = Math.hypot(jx - cx, jy - cy);
    if (d <= bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  return best;
}

canvas.addEventListener('pointerdown', (e) => {
  if (!image) {
    return;
  }
  canvas.setPointerCapture(e.pointerId);
  const [cx, cy] = canvasPoint(e);
  pointers.set(e.pointerId, [cx, cy]);
  if (pointers.size === 2) {
    const [a, b] = [...pointers.values()];
    pinch = { distance: Math.hypot(a[0] - b[0], a[1] - b[1]) };
    press = null;
    return;
  }
  const panOnly = e.button === 1 || e.button === 2 || spaceHeld;
  press = { cx, cy, lastX: cx, lastY: cy, panning: false, joint: null, painting: false };
  if (!panOnly && mode === 'body') {
    press.joint = jointAt(cx, cy);
  } else if (!panOnly && mode === 'mask' && !outlineTool()) {
    press.painting = true;
    paint(cx, cy, cx, cy);
  }
  if (panOnly) {
    press.panning = true;
  }
});

canvas.addEventListener('pointermove', (e) => {
  const [cx, cy] = canvasPoint(e);
  if (pointers.has(e.pointerId)) {
    pointers.set(e.pointerId, [cx, cy]);
  }
  if (pinch && pointers.size === 2) {
    const [a, b] = [...pointers.values()];
    const distance = Math.hypot(a[0] - b[0], a[1] - b[1]);
    if (pinch.distance > 0) {
      zoomAt((a[0] + b[0]) / 2, (a[1] + b[1]) / 2, distance / pinch.distance);
    }
    pinch.distance = distance;
    return;
  }
  if (press) {
    if (press.joint) {
      const [px, py] = toPicture(cx, cy);
      joints.set(press.joint, clampToPicture(px, py));
      press.moved = true;
      draw();
    } else if (press.painting) {
      paint(press.lastX, press.lastY, cx, cy);
    } else if (press.panning || Math.hypot(cx - press.cx, cy - press.cy) > DRAG_SLOP) {
      press.panning = true;
      view.ox -= cx - press.lastX;
      view.oy -= cy - press.lastY;
      clampView();
      draw();
    }
    press.lastX = cx;
    press.lastY = cy;
  }
  if (mode === 'mask' && outline.length > 0 && image) {
    outlineHover = toPicture(cx, cy);
    draw();
  }
  showMagnifier(e);
});

function endPress(e) {
  pointers.delete(e.pointerId);
  if (pinch) {
    if (pointers.size < 2) {
      pinch = null;
    }
    return null;
  }
  const done = press;
  press = null;
  return done;
}

canvas.addEventListener('pointerup', async (e) => {
  const done = endPress(e);
  if (!done || !image) {
    return;
  }
  const [cx, cy] = canvasPoint(e);
  if (done.painting) {
    maskChanged();
    return;
  }
  if (done.joint) {
    if (!done.moved) {
      selectedJoint = done.joint;
    }
    jointsChanged();
    return;
  }
  if (done.panning) {
    return;
  }
  const [x, y] = toPicture(cx, cy);
  if (x < 0 || y < 0 || x > image.naturalWidth || y > image.naturalHeight) {
    return;
  }
  if (mode === 'mask') {
    if (outlineTool()) {
      outlineClick(cx, cy, x, y, e.altKey);
    }
    return;
  }
  if (mode === 'face') {
    if (step >= POINTS.length) {
      return;
    }
    clicked.set(POINTS[step][0], [x, y]);
    step++;
    showSteps();
    draw();
    await fit();
  } else if (mode === 'body') {
    const name = currentJoint();
    if (!name) {
      return;
    }
    joints.set(name, [x, y]);
    selectedJoint = null;
    bodyUsed = true;
    jointsChanged();
  }
});
canvas.addEventListener('pointercancel', (e) => endPress(e));
canvas.addEventListener('pointerleave', () => {
  magnifier.hidden = true;
  if (outlineHover) {
    outlineHover = null;
    draw();
  }
});
canvas.addEventListener('dblclick', (e) => {
  if (mode === 'mask' && outlineTool() && outline.length > 0) {
    e.preventDefault();
    closeOutline(e.altKey);
  }
});

function clampToPicture(x, y) {
  return [Math.max(0, Math.min(image.naturalWidth, x)), Math.max(0, Math.min(image.naturalHeight, y))];
}

function jointsChanged() {
  computeMesh();
  showJoints();
  draw();
}

// ---- the mask ----

const outlineTool = () => $('outline').checked || $('outline-cut').checked;
/** The outline cuts out (erases) rather than fills: the "cuts out" tool, or Alt held while closing. */
const outlineCuts = (alt) => $('outline-cut').checked !== Boolean(alt);

/** A click with the outline tool: on the first point (3 or more placed) it closes the outline, else adds a point. */
function outlineClick(cx, cy, x, y, alt) {
  if (outline.length > 0) {
    const [fx, fy] = toCanvas(...outline[0]);
    if (Math.hypot(fx - cx, fy - cy) <= HIT_RADIUS) {
      closeOutline(alt);
      return;
    }
    // The second click of a double-click lands where the first did: the double-click closes, it adds no point.
    const [lx, ly] = toCanvas(...outline[outline.length - 1]);
    if (Math.hypot(lx - cx, ly - cy) <= DRAG_SLOP) {
      return;
    }
  }
  outline.push(clampToPicture(x, y));
  outlineChanged('');
}

function outlineChanged(problem) {
  $('mask-problem').textContent = problem;
  const n = outline.length;
  $('outline-undo').disabled = n === 0;
  $('outline-cancel').disabled = n === 0;
  $('outline-close').disabled = n === 0;
  if (n > 0) {
    $('mask-status').textContent = `outline: ${n} point${n === 1 ? '' : 's'}${n < 3 ? ` (at least 3 to close it)` : ''}`;
  }
  if (n === 0) {
    outlineHover = null;
  }
  draw();
}

function closeOutline(alt) {
  if (outline.length < 3) {
    outlineChanged(outline.length === 0
      ? ''
      : `an outline needs at least 3 points around the figure to enclose anything; it has ${outline.length}: click more points along the figure's edge, or Escape to drop it`);
    return;
  }
  const cut = outlineCuts(alt);
  maskCtx.globalCompositeOperation = cut ? 'destination-out' : 'source-over';
  maskCtx.fillStyle = '#fff';
  maskCtx.beginPath();
  outline.forEach(([x, y], i) => (i === 0 ? maskCtx.moveTo(x, y) : maskCtx.lineTo(x, y)));
  maskCtx.closePath();
  maskCtx.fill();
  maskCtx.globalCompositeOperation = 'source-over';
  outline = [];
  outlineChanged('');
  maskChanged();
  $('mask-status').textContent += cut ? ' (the outline was cut out)' : ' (the outline was added)';
}

function cancelOutline() {
  outline = [];
  outlineChanged('');
  $('mask-status').textContent = 'outline dropped';
}

function undoOutlinePoint() {
  outline.pop();
  outlineChanged('');
}

$('outline-undo').addEventListener('click', undoOutlinePoint);
$('outline-close').addEventListener('click', (e) => closeOutline(e.altKey));
$('outline-cancel').addEventListener('click', cancelOutline);
for (const input of document.querySelectorAll('input[name=brush]')) {
  input.addEventListener('change', () => {
    $('outline-help').hidden = !outlineTool();
    $('outline-tools').hidden = !outlineTool();
    canvas.style.cursor = mode === 'mask' && !outlineTool() ? 'cell' : 'crosshair';
    outlineChanged('');
  });
}

function paint(x0, y0, x1, y1) {
  const [a, b] = toPicture(x0, y0);
  const [c, d] = toPicture(x1, y1);
  maskCtx.globalCompositeOperation = $('eraser').checked ? 'destination-out' : 'source-over';
  maskCtx.strokeStyle = '#fff';
  maskCtx.fillStyle = '#fff';
  // The brush's size is in screen pixels, so it feels the same at every zoom.
  maskCtx.lineWidth = Number($('brush-size').value) / scale();
  maskCtx.lineCap = 'round';
  maskCtx.beginPath();
  maskCtx.moveTo(a, b);
  maskCtx.lineTo(c, d);
  maskCtx.stroke();
  maskCtx.globalCompositeOperation = 'source-over';
  maskPainted = true;
  refreshTint();
  draw();
}

function refreshTint() {
  const t = tintCanvas.getContext('2d');
  t.globalCompositeOperation = 'source-over';
  t.clearRect(0, 0, tintCanvas.width, tintCanvas.height);
  t.drawImage(maskCanvas, 0, 0);
  t.globalCompositeOperation = 'source-in';
  t.fillStyle = '#f0f';
  t.fillRect(0, 0, tintCanvas.width, tintCanvas.height);
  t.globalCompositeOperation = 'source-over';
}

function maskChanged() {
  const data = maskCtx.getImageData(0, 0, maskCanvas.width, maskCanvas.height).data;
  let covered = 0;
  for (let i = 3; i < data.length; i += 4) {
    covered += data[i] >= 128 ? 1 : 0;
  }
  maskPainted = covered > 0;
  const share = covered / (maskCanvas.width * maskCanvas.height);
  $('mask-status').textContent = maskPainted ? `the figure covers ${Math.round(share * 100)} % of the picture` : 'no figure painted';
  canvas.dataset.mask = String(covered);
  refreshTint();
  computeMesh();
  updateSave();
  draw();
}

/** Sets the mask from a picture's pixels: its alpha when it has transparency, else its brightness (white = figure). */
function maskFrom(source, useAlpha) {
  const tmp = document.createElement('canvas');
  tmp.width = maskCanvas.width;
  tmp.height = maskCanvas.height;
  const t = tmp.getContext('2d');
  t.drawImage(source, 0, 0, tmp.width, tmp.height);
  const pixels = t.getImageData(0, 0, tmp.width, tmp.height);
  const d = pixels.data;
  let transparent = false;
  for (let i = 3; i < d.length; i += 4) {
    if (d[i] < 255) {
      transparent = true;
      break;
    }
  }
  if (useAlpha && !transparent) {
    return false;
  }
  for (let i = 0; i < d.length; i += 4) {
    const on = transparent ? d[i + 3] >= 128 : (d[i] * 299 + d[i + 1] * 587 + d[i + 2] * 114) / 1000 >= 128;
    d[i] = d[i + 1] = d[i + 2] = 255;
    d[i + 3] = on ? 255 : 0;
  }
  maskCtx.clearRect(0, 0, maskCanvas.width, maskCanvas.height);
  maskCtx.putImageData(pixels, 0, 0);
  maskChanged();
  return true;
}

$('mask-alpha').addEventListener('click', () => {
  if (image && !maskFrom(image, true)) {
    $('mask-status').textContent = 'this picture has no transparency: paint the figure, or open a mask';
  }
});

$('mask-file').addEventListener('change', () => {
  const file = $('mask-file').files[0];
  if (!file || !image) {
    return;
  }
  const img = new Image();
  img.onload = () => {
    const shape = img.naturalWidth / img.naturalHeight;
    const target = image.naturalWidth / image.naturalHeight;
    if (Math.abs(shape - target) > 0.01 * target) {
      $('mask-status').textContent = `${file.name} is ${img.naturalWidth}×${img.naturalHeight}, the picture ${image.naturalWidth}×${image.naturalHeight}: a mask must have the picture's shape`;
      return;
    }
    maskFrom(img, false);
    URL.revokeObjectURL(img.src);
  };
  img.onerror = () => {
    $('mask-status').textContent = `${file.name} is not a picture the browser can open`;
  };
  img.src = URL.createObjectURL(file);
});

$('mask-clear').addEventListener('click', () => {
  maskCtx.clearRect(0, 0, maskCanvas.width, maskCanvas.height);
  maskChanged();
});

// ---- modes and buttons ----

for (const input of document.querySelectorAll('input[name=mode]')) {
  input.addEventListener('change', () => {
    mode = input.value;
    if (mode === 'body') {
      bodyUsed = true;
    }
    $('face-tools').hidden = mode !== 'face';
    $('points').hidden = mode !== 'face';
    $('body-tools').hidden = mode !== 'body';
    $('joints').hidden = mode !== 'body';
    $('mask-tools').hidden = mode !== 'mask';
    canvas.style.cursor = mode === 'mask' && !outlineTool() ? 'cell' : 'crosshair';
    magnifier.hidden = true;
    showJoints();
    draw();
  });
}

$('skip').addEventListener('click', () => {
  if (step < POINTS.length && !POINTS[step][2]) {
    step++;
    showSteps();
  }
});

$('undo').addEventListener('click', async () => {
  while (step > 0) {
    step--;
    if (clicked.delete(POINTS[step][0])) {
      break;
    }
  }
  showSteps();
  draw();
  await fit();
});

$('joint-skip').addEventListener('click', () => {
  const name = currentJoint();
  if (name) {
    skippedJoints.add(name);
    selectedJoint = null;
    showJoints();
  }
});

$('joint-remove').addEventListener('click', () => {
  if (selectedJoint) {
    joints.delete(selectedJoint);
    selectedJoint = null;
    jointsChanged();
  }
});

$('joints-tracker').addEventListener('click', () => {
  if (trackerJoints) {
    useTrackerJoints();
  }
});

$('show-mesh').addEventListener('change', draw);

function useTrackerJoints() {
  joints.clear();
  skippedJoints.clear();
  selectedJoint = null;
  for (const [name] of JOINTS) {
    if (trackerJoints[name]) {
      joints.set(name, [...trackerJoints[name]]);
    }
  }
  jointsChanged();
}

/** Where the joints start: the pose tracker's on this picture, when it finds a body (the server runs it). */
async function trackJoints(file) {
  trackerJoints = null;
  $('body-status').textContent = 'looking for a body in the picture…';
  try {
    const response = await api('/api/rigs/joints', { method: 'POST', headers: { 'Content-Type': 'application/octet-stream' }, body: file });
    const result = await response.json();
    if (file !== pictureFile) {
      return;
    }
    if (result.found) {
      trackerJoints = result.joints;
      if (joints.size === 0) {
        useTrackerJoints();
      }
      $('body-status').textContent = `the pose tracker found ${Object.keys(result.joints).length} joints; drag any that are off, place the ones it missed`;
    } else {
      $('body-status').textContent = 'the pose tracker found no body in this picture: click the joints as asked';
    }
  } catch (err) {
    if (file === pictureFile) {
      $('body-status').textContent = `the pose tracker could not look at the picture (${err.message}): click the joints as asked`;
    }
  }
  showJoints();
}

$('save').addEventListener('click', () => {
  const rig = rigJson();
  const text = JSON.stringify(rig, null, 2);
  try {
    sessionStorage.setItem(RIG_ITEM, text);
  } catch {
    // A very large mask may not fit the tab's storage: the downloaded file still has it.
    $('message').textContent = 'the rig is too large to keep for the upload page in this tab: choose the downloaded file there';
  }
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = `${imageName.replace(/\.[^.]*$/, '') || 'character'}.rig.json`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  $('back').hidden = false;
  $('fit-status').textContent += ' — saved';
});

// ---- a saved rig, continued ----

$('open-rig').addEventListener('change', async () => {
  const file = $('open-rig').files[0];
  if (!file || !image) {
    return;
  }
  let rig;
  try {
    rig = JSON.parse(await file.text());
  } catch (err) {
    $('message').textContent = `${file.name} is not a rig file (${err.message})`;
    return;
  }
  if (rig?.format !== 'capture-rig' || !Array.isArray(rig.imageSize)) {
    $('message').textContent = `${file.name} is not a rig file`;
    return;
  }
  if (rig.imageSha256 && imageSha256 && rig.imageSha256 !== imageSha256) {
    $('message').textContent = `${file.name} was made for ${rig.image || 'another picture'}, not ${imageName}: open that picture first`;
    return;
  }
  const sx = image.naturalWidth / rig.imageSize[0];
  const sy = image.naturalHeight / rig.imageSize[1];
  clicked.clear();
  step = 0;
  POINTS.forEach(([name], i) => {
    if (rig.points?.[name]) {
      clicked.set(name, [rig.points[name][0] * sx, rig.points[name][1] * sy]);
      step = i + 1;
    }
  });
  joints.clear();
  skippedJoints.clear();
  for (const [name] of JOINTS) {
    if (rig.body?.[name]) {
      joints.set(name, [rig.body[name][0] * sx, rig.body[name][1] * sy]);
      bodyUsed = true;
    }
  }
  $('message').textContent = '';
  if (typeof rig.mask === 'string' && rig.mask.startsWith('data:image/png;base64,')) {
    const img = new Image();
    img.onload = () => maskFrom(img, false);
    img.src = rig.mask;
  } else {
    maskCtx.clearRect(0, 0, maskCanvas.width, maskCanvas.height);
    maskChanged();
  }
  showSteps();
  jointsChanged();
  await fit();
});

/** Shows a picture to rig: the view fitted, everything placed on the last one dropped. */
function openPicture(img, file, sha256) {
  imageSha256 = sha256;
  image = img;
  imageName = file.name;
  pictureFile = file;
  // The whole picture fits the canvas at first (never enlarged); zoom in to place points precisely.
  view.fit = Math.min(1, 720 / img.naturalWidth, 640 / img.naturalHeight);
  canvas.width = Math.round(img.naturalWidth * view.fit);
  canvas.height = Math.round(img.naturalHeight * view.fit);
  maskCanvas.width = tintCanvas.width = img.naturalWidth;
  maskCanvas.height = tintCanvas.height = img.naturalHeight;
  maskPainted = false;
  meshCells = null;
  outline = [];
  outlineHover = null;
  clicked.clear();
  joints.clear();
  skippedJoints.clear();
  selectedJoint = null;
  trackerJoints = null;
  bodyUsed = mode === 'body';
  fitted = null;
  step = 0;
  $('open-rig').disabled = false;
  $('workspace').hidden = false;
  $('message').textContent = '';
  $('mask-status').textContent = '';
  $('mask-problem').textContent = '';
  canvas.dataset.mask = '0';
  fitView();
  showSteps();
  fit();
}

function loadImage(src) {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error('not a picture the browser can open'));
    img.src = src;
  });
}

const isZip = (file) => /\.zip$/i.test(file.name) || file.type === 'application/zip' || file.type === 'application/x-zip-compressed';

/**
 * An Animated Drawings character zip: the server reads it with the loader jobs use (POST /api/rigs/drawing) and maps its
 * 16 joints onto Capture's body; the page shows the drawing, its mask and those joints, to edit like any other. The rig
 * saved names the zip (its SHA-256), so the upload page sends it with the zip and the job uses the edited joints and mask.
 */
async function openDrawing(file) {
  drawing = null;
  $('picture-status').textContent = `reading ${file.name} on the server…`;
  let result;
  try {
    const response = await api(`/api/rigs/drawing?name=${encodeURIComponent(file.name)}`, {
      method: 'POST', headers: { 'Content-Type': 'application/zip' }, body: file,
    });
    result = await response.json();
  } catch (err) {
    if (file !== $('picture').files[0]) {
      return;
    }
    // The server's words name the zip and what it lacks (a missing char_cfg.yaml, a joint off the drawing).
    $('picture-status').className = 'error';
    $('picture-status').textContent = err.status === 422
      ? `${file.name} cannot be opened as an Animated Drawings character: ${err.message.replace(`${file.name}: `, '')}`
      : peopleMessage(err);
    if (err.status === 401) {
      keyBox.showRefused(peopleMessage(err));
    }
    return;
  }
  const [texture, mask, sha] = await Promise.all([
    loadImage(`data:image/png;base64,${result.texture}`),
    loadImage(`data:image/png;base64,${result.mask}`),
    fileSha256(file),
  ]).catch((err) => {
    $('message').textContent = `${file.name}: ${err.message}`;
    return [];
  });
  if (!texture || file !== $('picture').files[0]) {
    return;
  }
  openPicture(texture, file, sha);
  drawing = { name: result.name, joints: result.joints, own: result.drawingJoints };
  trackerJoints = result.joints;
  useTrackerJoints();
  bodyUsed = true;
  maskFrom(mask, false);
  const used = result.drawingJoints.filter((j) => j.mapsTo).length;
  const unused = result.drawingJoints.filter((j) => !j.mapsTo).map((j) => j.name);
  canvas.dataset.drawingJoints = String(result.drawingJoints.length);
  $('picture-status').textContent = `${result.name}: an Animated Drawings character, ${result.width}×${result.height}. Its ` +
    `${result.drawingJoints.length} joints are on the body tab: ${used} map onto Capture's body (${unused.join(', ')} are not ` +
    "used: Capture's pelvis is between the hips, its chest between the shoulders); its mask is on the figure tab. Edit either, save the rig, " +
    `and send it with ${file.name} from the upload page.`;
  $('body-status').textContent = `${used} joints from ${result.name}'s char_cfg.yaml; drag any that are off`;
  $('mode-body').click();
}

$('picture').addEventListener('change', () => {
  const file = $('picture').files[0];
  if (!file) {
    return;
  }
  $('picture-status').textContent = '';
  $('picture-status').className = 'note';
  canvas.dataset.drawingJoints = '0';
  if (isZip(file)) {
    openDrawing(file);
    return;
  }
  drawing = null;
  const hashing = fileSha256(file);
  loadImage(URL.createObjectURL(file)).then(async (img) => {
    openPicture(img, file, await hashing);
    trackJoints(file);
  }, () => {
    $('workspace').hidden = false;
    $('message').textContent = `${file.name} is not a picture the browser can open`;
  });
});

// A corrected key clears the key's error at once, and fits the points already placed.
async function tryKey() {
  try {
    await checkKey();
  } catch (err) {
    keyBox.showRefused(peopleMessage(err));
    return;
  }
  keyBox.showAccepted();
  if (image) {
    await fit();
  }
}
const keyBox = wireKey($('key'), $('key-status'), tryKey);
if (getKey()) {
  tryKey();
}
document.body.dataset.ready = 'true';
