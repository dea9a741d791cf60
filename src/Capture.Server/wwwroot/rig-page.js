// The rig page: click named face points on a character picture, let the server fit Capture's face
// mesh through them (POST /api/rigs/fit, the same fitting a job uses), draw the mesh over the
// picture, save the rig (capture-rig v1, calibration/README.md) as a download and for the next job.
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

const $ = (id) => document.getElementById(id);
const canvas = $('canvas');
const ctx = canvas.getContext('2d');
let image = null;
let imageName = '';
/** SHA-256 of the picture file: the saved rig names its picture by it, so it is never applied to another. */
let imageSha256 = null;
let scale = 1;
let step = 0;
const clicked = new Map();
let fitted = null;
let fitSerial = 0;

function rigJson() {
  const points = {};
  for (const [name] of POINTS) {
    if (clicked.has(name)) {
      const p = clicked.get(name);
      points[name] = [Math.round(p[0] * 10) / 10, Math.round(p[1] * 10) / 10];
    }
  }
  return {
    format: 'capture-rig', version: 1, image: imageName, ...(imageSha256 ? { imageSha256 } : {}),
    imageSize: [image.naturalWidth, image.naturalHeight], points,
  };
}

function requiredDone() {
  return POINTS.filter((p) => p[2]).every(([name]) => clicked.has(name));
}

function draw() {
  ctx.drawImage(image, 0, 0, canvas.width, canvas.height);
  if (fitted) {
    ctx.strokeStyle = 'rgba(40, 220, 120, 0.8)';
    ctx.lineWidth = 0.6;
    ctx.beginPath();
    const p = fitted.points;
    const t = fitted.triangles;
    for (let i = 0; i < t.length; i += 3) {
      const a = t[i] * 2;
      const b = t[i + 1] * 2;
      const c = t[i + 2] * 2;
      ctx.moveTo(p[a] * scale, p[a + 1] * scale);
      ctx.lineTo(p[b] * scale, p[b + 1] * scale);
      ctx.lineTo(p[c] * scale, p[c + 1] * scale);
      ctx.closePath();
    }
    ctx.stroke();
  }
  ctx.fillStyle = '#e22';
  for (const [, [x, y]] of clicked) {
    ctx.beginPath();
    ctx.arc(x * scale, y * scale, 3.5, 0, Math.PI * 2);
    ctx.fill();
  }
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
}

async function fit() {
  if (!requiredDone()) {
    fitted = null;
    $('save').disabled = true;
    $('fit-status').textContent = 'the mesh is fitted once the required points are placed';
    canvas.dataset.fitted = '0';
    return;
  }
  const serial = ++fitSerial;
  try {
    const response = await api('/api/rigs/fit', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ rig: rigJson(), width: image.naturalWidth, height: image.naturalHeight }),
    });
    const result = await response.json();
    if (serial !== fitSerial) {
      return;
    }
    fitted = result;
    $('message').textContent = '';
    $('fit-status').textContent = `face mesh fitted through ${clicked.size} points (${result.points.length / 2} mesh points)`;
    canvas.dataset.fitted = String(result.points.length / 2);
    $('save').disabled = false;
  } catch (err) {
    fitted = null;
    canvas.dataset.fitted = '0';
    $('save').disabled = true;
    $('message').textContent = peopleMessage(err);
    if (err.status === 401) {
      keyBox.showRefused(peopleMessage(err));
    }
  }
  draw();
}

canvas.addEventListener('click', async (e) => {
  if (!image || step >= POINTS.length) {
    return;
  }
  const rect = canvas.getBoundingClientRect();
  const x = ((e.clientX - rect.left) * (canvas.width / rect.width)) / scale;
  const y = ((e.clientY - rect.top) * (canvas.height / rect.height)) / scale;
  clicked.set(POINTS[step][0], [x, y]);
  step++;
  showSteps();
  draw();
  await fit();
});

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

$('save').addEventListener('click', () => {
  const rig = rigJson();
  const text = JSON.stringify(rig, null, 2);
  sessionStorage.setItem(RIG_ITEM, text);
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

$('picture').addEventListener('change', () => {
  const file = $('picture').files[0];
  if (!file) {
    return;
  }
  const img = new Image();
  const hashing = fileSha256(file);
  img.onload = async () => {
    imageSha256 = await hashing;
    image = img;
    imageName = file.name;
    scale = Math.min(1, 720 / img.naturalWidth);
    canvas.width = Math.round(img.naturalWidth * scale);
    canvas.height = Math.round(img.naturalHeight * scale);
    clicked.clear();
    fitted = null;
    step = 0;
    $('workspace').hidden = false;
    showSteps();
    draw();
    fit();
  };
  img.onerror = () => {
    $('workspace').hidden = false;
    $('message').textContent = `${file.name} is not a picture the browser can open`;
  };
  img.src = URL.createObjectURL(file);
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
