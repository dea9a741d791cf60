// The upload page: pick or drop a video and a picture, submit, follow progress by server-sent
// events, play the result, download video and motion data, list earlier jobs.
import { getKey, setKey, submitJob, listJobs, deleteJob, watchJob, fileUrl, download, MOTION_FILES, RIG_ITEM, fileSha256 } from './jobs-api.js';

const $ = (id) => document.getElementById(id);
let watching = null;
let resultUrl = null;

function showError(text) {
  $('message').textContent = text ?? '';
}

function formatSeconds(s) {
  if (s == null || !isFinite(s)) {
    return '–';
  }
  const m = Math.floor(s / 60);
  return m > 0 ? `${m} min ${Math.round(s % 60)} s` : `${Math.round(s)} s`;
}

function showProgress(job) {
  $('current').hidden = false;
  $('job-id').textContent = job.id;
  $('progress').value = job.progress;
  $('state').textContent = job.state + (job.error ? `: ${job.error}` : '');
  $('state').dataset.state = job.state;
  // The total is an estimate (the clip's duration × its frame rate, before decoding) until the job is done;
  // then the count is the frames rendered.
  const total = job.framesTotal ? `about ${job.framesTotal}` : '?';
  $('stats').textContent = job.state === 'running'
    ? `${job.framesDone} / ${total} frames · ${job.fps.toFixed(1)} fps · ETA ${formatSeconds(job.etaSeconds)}`
    : job.state === 'succeeded' ? `${job.framesDone} frames` : `${job.framesDone} / ${total} frames`;
}

async function showResult(job) {
  $('result-section').hidden = false;
  if (resultUrl) {
    URL.revokeObjectURL(resultUrl);
  }
  resultUrl = await fileUrl(`/api/jobs/${job.id}/result`);
  $('result').src = resultUrl;
  $('result').dataset.job = job.id;
  const links = $('downloads');
  links.replaceChildren();
  const base = (job.drivingName ?? 'clip').replace(/\.[^.]*$/, '');
  const files = [['video', `/api/jobs/${job.id}/result`, `${base}_capture.mp4`]];
  if (job.motionData) {
    for (const f of MOTION_FILES) {
      files.push([f, `/api/jobs/${job.id}/motion/${f}`, f]);
    }
  }
  for (const [label, path, name] of files) {
    const a = document.createElement('a');
    a.href = '#';
    a.textContent = label;
    a.dataset.file = label;
    a.addEventListener('click', (e) => {
      e.preventDefault();
      download(path, name).catch((err) => showError(`${label}: ${err.message}`));
    });
    links.append(a);
  }
}

async function follow(id) {
  watching?.abort();
  const controller = new AbortController();
  watching = controller;
  let last = null;
  try {
    await watchJob(id, (job) => {
      last = job;
      showProgress(job);
    }, controller.signal);
  } catch (err) {
    if (err.name !== 'AbortError') {
      showError(err.message);
    }
    return;
  }
  if (last?.state === 'succeeded') {
    await showResult(last);
  }
  await refreshList();
}

async function refreshList() {
  if (!getKey()) {
    return;
  }
  let jobs;
  try {
    jobs = await listJobs();
  } catch (err) {
    showError(`list of jobs: ${err.message}`);
    return;
  }
  const body = $('jobs');
  body.replaceChildren();
  for (const job of jobs) {
    const row = document.createElement('tr');
    row.dataset.id = job.id;
    row.dataset.state = job.state;
    const cells = [new Date(job.createdAt).toLocaleString(), job.drivingName ?? '', job.state + (job.error ? ` (${job.error})` : ''), `${job.size}²`];
    for (const text of cells) {
      const td = document.createElement('td');
      td.textContent = text;
      row.append(td);
    }
    const actions = document.createElement('td');
    if (job.state === 'succeeded') {
      const show = document.createElement('button');
      show.textContent = 'show';
      show.addEventListener('click', () => showResult(job).catch((e) => showError(e.message)));
      actions.append(show);
    } else if (job.state === 'queued' || job.state === 'running') {
      const watch = document.createElement('button');
      watch.textContent = 'follow';
      watch.addEventListener('click', () => follow(job.id));
      actions.append(watch);
    }
    const del = document.createElement('button');
    del.textContent = 'delete';
    del.addEventListener('click', async () => {
      try {
        await deleteJob(job.id);
      } catch (e) {
        showError(e.message);
      }
      await refreshList();
    });
    actions.append(del);
    row.append(actions);
    body.append(row);
  }
}

function pageRig() {
  const stored = sessionStorage.getItem(RIG_ITEM);
  return stored ? JSON.parse(stored) : null;
}

function showPageRig() {
  const rig = pageRig();
  $('rig-from-page').hidden = !rig;
  $('rig-page-name').textContent = rig ? (rig.image ?? 'unnamed picture') : '';
}

function wireDrop(zoneId, inputId) {
  const zone = $(zoneId);
  const input = $(inputId);
  const name = zone.querySelector('.name');
  const update = () => {
    name.textContent = input.files[0]?.name ?? '';
  };
  input.addEventListener('change', update);
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    if (e.dataTransfer.files.length > 0) {
      input.files = e.dataTransfer.files;
      update();
    }
  });
}

async function onSubmit(e) {
  e.preventDefault();
  showError('');
  $('rig-hint').hidden = true;
  const driving = $('driving').files[0];
  const character = $('character').files[0];
  if (!driving || !character) {
    showError('choose a performance video (or motion file) and a character picture');
    return;
  }
  const form = new FormData();
  form.append('driving', driving, driving.name);
  form.append('character', character, character.name);
  const rigFile = $('rig').files[0];
  const rig = pageRig();
  $('rig-not-used').hidden = true;
  if (rigFile) {
    // A rig file chosen by hand goes as it is: the server refuses it for another picture, naming its own.
    form.append('rig', rigFile, rigFile.name);
  } else if (rig) {
    // The rig page's rig is for the picture it was made on: never carried to another one.
    const sha = rig.imageSha256 ? await fileSha256(character) : null;
    const same = sha !== null ? sha === rig.imageSha256 : rig.image === character.name;
    if (same) {
      form.append('rig', new Blob([JSON.stringify(rig)], { type: 'application/json' }), 'rig.json');
      // Body joints placed on the rig page mean the body is to move.
      if (rig.body) {
        $('body').checked = true;
      }
    } else {
      $('rig-not-used').textContent = `The rig from the rig page was made for ${rig.image || 'another picture'}, not ${character.name}: it is not used for this picture.`;
      $('rig-not-used').hidden = false;
    }
  }
  form.append('size', $('size').value);
  form.append('sideBySide', String($('side-by-side').checked));
  form.append('intensity', $('intensity').value);
  form.append('motionData', String($('motion-data').checked));
  form.append('body', String($('body').checked));
  const mask = $('mask').files[0];
  if (mask) {
    form.append('mask', mask, mask.name);
  }
  $('submit').disabled = true;
  $('result-section').hidden = true;
  try {
    $('upload-status').textContent = 'uploading…';
    const job = await submitJob(
      form,
      (f) => {
        $('upload-status').textContent = `uploading ${Math.round(f * 100)} %`;
      },
      () => {
        $('upload-status').textContent = 'checking the clip and the picture (a face in each)…';
      });
    $('upload-status').textContent = '';
    showProgress(job);
    await refreshList();
    follow(job.id);
  } catch (err) {
    showError(err.message);
    if (err.problem?.rigPage) {
      $('rig-hint').hidden = false;
    }
  } finally {
    $('submit').disabled = false;
    $('upload-status').textContent = '';
  }
}

$('key').value = getKey();
$('key').addEventListener('change', () => {
  setKey($('key').value);
  refreshList();
});
$('intensity').addEventListener('input', () => {
  $('intensity-value').textContent = $('intensity').value;
});
$('rig-forget').addEventListener('click', () => {
  sessionStorage.removeItem(RIG_ITEM);
  showPageRig();
});
wireDrop('driving-drop', 'driving');
wireDrop('character-drop', 'character');
$('job-form').addEventListener('submit', onSubmit);
showPageRig();
refreshList();
document.body.dataset.ready = 'true';
