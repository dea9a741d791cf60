// The upload page: pick or drop a video and a picture, submit; every job keeps its own panel (state,
// progress, result video, downloads) and its own row in the list, both fed from the job's server-sent
// events. A reload picks up every unfinished job and the panels that were open; a second submit adds a
// second panel. Leaving the page while an upload is in flight warns first.
import {
  getKey, submitJob, listJobs, deleteJob, watchJob, fileUrl, download, MOTION_FILES, RIG_ITEM, fileSha256,
  peopleMessage, jobErrorWords, wireKey,
} from './jobs-api.js';

const $ = (id) => document.getElementById(id);

/** Browsers open at most 6 connections to one http:// server: event streams take at most 4 of them, so an upload,
 *  the list and a download always have one. Jobs past the 4 are refreshed by polling the list. */
const MaxStreams = 4;
/** How often the list is read again while some unfinished job has no stream of its own. */
const PollMs = 3000;
/** While every unfinished job has its stream the list is still read this often: a stream that stalls (a proxy
 *  holding it, a server that lost the job) never leaves a row behind for long. */
const SafetyPollMs = 10000;
/** How many jobs the list shows (the server keeps at most MaxQueuedJobs = 100 waiting by default). */
const ListLimit = 100;
const OpenItem = 'capture.openJobs';
const ClosedItem = 'capture.closedJobs';

/** Every job the page knows, by id: the latest object from the list or a job's event stream. */
const jobs = new Map();
/** id → AbortController of the job's event stream. */
const streams = new Map();
/** Jobs whose panel is shown (kept for this tab across reloads) and jobs whose panel the person closed. */
const open = new Set(readIds(OpenItem));
const closed = new Set(readIds(ClosedItem));
/** id → object URL of the result video its panel plays. */
const videos = new Map();
/** Jobs this page is deleting (their stream is stopped first: the page says what happened itself). */
const deleting = new Set();
let uploading = false;
let pollTimer = null;
let listSerial = 0;

function readIds(item) {
  try {
    const ids = JSON.parse(sessionStorage.getItem(item) ?? '[]');
    return Array.isArray(ids) ? ids.filter((id) => typeof id === 'string') : [];
  } catch {
    return [];
  }
}

function saveIds() {
  sessionStorage.setItem(OpenItem, JSON.stringify([...open]));
  sessionStorage.setItem(ClosedItem, JSON.stringify([...closed]));
}

const StateOrder = { queued: 0, running: 1, succeeded: 2, failed: 2, canceled: 2 };

/** Whether `job` is at least as far on as `known` (a job only moves forward: queued → running → finished). */
function isLater(job, known) {
  if (!known) {
    return true;
  }
  const a = StateOrder[job.state] ?? 0;
  const b = StateOrder[known.state] ?? 0;
  return a !== b ? a > b : job.framesDone >= known.framesDone;
}

const finished = (job) => job.state === 'succeeded' || job.state === 'failed' || job.state === 'canceled';

// --- messages -------------------------------------------------------------------------------------------

let messageIsKey = false;

function showError(text, isKey = false) {
  $('message').textContent = text ?? '';
  messageIsKey = Boolean(text) && isKey;
}

/** Shows an error from the API in people's words; a refused key goes beside the key box too. */
function showProblem(err, names, prefix = '') {
  const text = peopleMessage(err, names);
  showError(prefix ? `${prefix}: ${text}` : text, err.status === 401);
  if (err.status === 401) {
    keyBox.showRefused(text);
  }
}

function showNote(text) {
  $('jobs-note').textContent = text ?? '';
}

// --- what a job looks like ------------------------------------------------------------------------------

function formatSeconds(s) {
  if (s == null || !isFinite(s)) {
    return '–';
  }
  const m = Math.floor(s / 60);
  return m > 0 ? `${m} min ${Math.round(s % 60)} s` : `${Math.round(s)} s`;
}

/** Queued jobs run oldest first, after the running ones: how many are before this one. */
function jobsAhead(job) {
  let ahead = 0;
  for (const other of jobs.values()) {
    if (other.id !== job.id && (other.state === 'running' || (other.state === 'queued' && other.createdAt < job.createdAt))) {
      ahead++;
    }
  }
  return ahead;
}

function stateWords(job) {
  switch (job.state) {
    case 'queued': {
      const ahead = jobsAhead(job);
      return ahead === 0 ? 'waiting to start' : `waiting: ${ahead} job${ahead === 1 ? '' : 's'} before it`;
    }
    case 'running': return `rendering ${Math.floor(job.progress * 100)} %`;
    case 'succeeded': return 'succeeded';
    case 'failed': return `failed: ${jobErrorWords(job)}`;
    case 'canceled': return `canceled: ${jobErrorWords(job)}`;
    default: return job.state;
  }
}

function statsWords(job) {
  // The total is an estimate (the clip's duration × its frame rate, before decoding) until the job is done;
  // then the count is the frames rendered.
  const total = job.framesTotal ? `about ${job.framesTotal}` : '?';
  if (job.state === 'running') {
    return `${job.framesDone} / ${total} frames · ${job.fps.toFixed(1)} fps · ETA ${formatSeconds(job.etaSeconds)}`;
  }
  if (job.state === 'succeeded') {
    return `${job.framesDone} frames`;
  }
  return job.state === 'queued' ? '' : `${job.framesDone} / ${total} frames`;
}

function button(text, onClick, cls) {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = text;
  if (cls) {
    b.className = cls;
  }
  b.addEventListener('click', onClick);
  return b;
}

function resultFiles(job) {
  const base = (job.drivingName ?? 'clip').replace(/\.[^.]*$/, '');
  const files = [['video', `/api/jobs/${job.id}/result`, `${base}_capture.mp4`]];
  if (job.motionData) {
    for (const f of MOTION_FILES) {
      files.push([f, `/api/jobs/${job.id}/motion/${f}`, f]);
    }
  }
  return files;
}

function downloadLinks(job) {
  return resultFiles(job).map(([label, path, name]) => {
    const a = document.createElement('a');
    a.href = '#';
    a.textContent = label;
    a.dataset.file = label;
    a.addEventListener('click', (e) => {
      e.preventDefault();
      download(path, name).catch((err) => showProblem(err, {}, label));
    });
    return a;
  });
}

// --- the list: one row per job, updated in place ----------------------------------------------------------

function renderRow(job) {
  let row = $('jobs').querySelector(`tr[data-id="${job.id}"]`);
  if (!row) {
    row = document.createElement('tr');
    row.dataset.id = job.id;
    for (let i = 0; i < 5; i++) {
      row.append(document.createElement('td'));
    }
    row.cells[0].textContent = new Date(job.createdAt).toLocaleString();
    row.cells[1].textContent = job.drivingName ?? '';
    row.cells[3].textContent = `${job.size}²`;
  }
  const changed = row.dataset.state !== job.state;
  row.dataset.state = job.state;
  row.cells[2].textContent = stateWords(job);
  if (changed) {
    const actions = row.cells[4];
    actions.replaceChildren();
    if (job.state === 'succeeded') {
      actions.append(button('show', () => openPanel(job.id, true)), ' ', ...downloadLinks(job).flatMap((a) => [a, ' ']));
    } else if (!finished(job)) {
      actions.append(button('show', () => openPanel(job.id, true)), ' ');
    }
    actions.append(button('delete', () => remove(job.id)));
  }
  return row;
}

/** The list in the server's order (newest first), rows kept (not rebuilt) so a click is never lost. */
function renderList(list) {
  const body = $('jobs');
  for (const job of list) {
    body.append(renderRow(job));
  }
  const ids = new Set(list.map((j) => j.id));
  for (const row of [...body.rows]) {
    if (!ids.has(row.dataset.id)) {
      row.remove();
    }
  }
  $('no-jobs').hidden = list.length > 0;
}

// --- the panels: one per job submitted here or still running ----------------------------------------------

function openPanel(id, scroll = false) {
  closed.delete(id);
  open.add(id);
  saveIds();
  const job = jobs.get(id);
  const panel = job ? renderPanel(job) : null;
  if (scroll && panel) {
    panel.scrollIntoView({ block: 'nearest' });
  }
}

function closePanel(id) {
  open.delete(id);
  closed.add(id);
  saveIds();
  dropPanel(id);
}

function dropPanel(id) {
  $('panels').querySelector(`article[data-id="${id}"]`)?.remove();
  const url = videos.get(id);
  if (url) {
    URL.revokeObjectURL(url);
    videos.delete(id);
  }
  $('panels-section').hidden = $('panels').children.length === 0;
}

function renderPanel(job) {
  let panel = $('panels').querySelector(`article[data-id="${job.id}"]`);
  if (!panel) {
    panel = document.createElement('article');
    panel.className = 'job';
    panel.dataset.id = job.id;
    const head = document.createElement('header');
    const title = document.createElement('strong');
    title.textContent = job.drivingName ?? 'job';
    const about = document.createElement('span');
    about.className = 'note';
    about.textContent = ` ${job.size}² · ${new Date(job.createdAt).toLocaleTimeString()} · job ${job.id.slice(0, 8)}`;
    head.append(title, about, button('close', () => closePanel(job.id), 'small'), button('delete', () => remove(job.id), 'small'));
    const progress = document.createElement('progress');
    progress.max = 1;
    const stats = document.createElement('div');
    stats.className = 'stats note';
    const state = document.createElement('div');
    state.className = 'state';
    const video = document.createElement('video');
    video.controls = true;
    video.playsInline = true;
    video.hidden = true;
    const links = document.createElement('div');
    links.className = 'links';
    panel.append(head, progress, stats, state, video, links);
    // Newest first, as in the list.
    const after = [...$('panels').children].find((p) => (jobs.get(p.dataset.id)?.createdAt ?? '') < job.createdAt);
    $('panels').insertBefore(panel, after ?? null);
    $('panels-section').hidden = false;
  }
  panel.dataset.state = job.state;
  panel.querySelector('progress').value = job.progress;
  panel.querySelector('.stats').textContent = statsWords(job);
  const state = panel.querySelector('.state');
  state.textContent = stateWords(job);
  state.dataset.state = job.state;
  if (job.state === 'succeeded' && !panel.dataset.result) {
    panel.dataset.result = 'loading';
    showResult(job, panel).catch((err) => {
      panel.dataset.result = '';
      state.textContent = `succeeded, but the video could not be loaded: ${peopleMessage(err)}`;
    });
  }
  return panel;
}

async function showResult(job, panel) {
  const links = panel.querySelector('.links');
  links.replaceChildren(...downloadLinks(job));
  const url = await fileUrl(`/api/jobs/${job.id}/result`);
  if (!panel.isConnected) {
    URL.revokeObjectURL(url);
    return;
  }
  videos.set(job.id, url);
  const video = panel.querySelector('video');
  video.src = url;
  video.hidden = false;
  panel.dataset.result = 'shown';
}

// --- keeping up: event streams, the list, polling ----------------------------------------------------------

function update(job) {
  const before = jobs.get(job.id);
  jobs.set(job.id, job);
  if (deleting.has(job.id)) {
    return;
  }
  renderRow(job);
  if (open.has(job.id)) {
    renderPanel(job);
  }
  // A job that started or finished moves the others' place in the queue.
  if (before?.state !== job.state) {
    for (const other of jobs.values()) {
      if (other.state === 'queued' && other.id !== job.id) {
        renderRow(other);
        if (open.has(other.id)) {
          renderPanel(other);
        }
      }
    }
  }
}

function follow(id) {
  const controller = new AbortController();
  streams.set(id, controller);
  watchJob(id, update, controller.signal)
    .catch((err) => {
      if (err.name === 'AbortError') {
        return;
      }
      if (err.status === 404) {
        gone(id);
      } else if (err.status === 401) {
        showProblem(err);
      }
      // Anything else (the server restarting, the network): the list's polling picks the job up again.
    })
    .finally(() => {
      if (streams.get(id) === controller) {
        streams.delete(id);
      }
      if (!controller.signal.aborted) {
        refreshList();
        // A deletion says "canceled" first and removes the record a moment later: look again to say it is gone.
        if (jobs.get(id)?.state === 'canceled') {
          setTimeout(refreshList, PollMs);
        }
      }
    });
}

/** Streams for the unfinished jobs, running ones first, then in the order they will run; at most MaxStreams. */
function keepUp() {
  const waiting = [...jobs.values()].filter((j) => !finished(j) && !deleting.has(j.id))
    .sort((a, b) => (a.state === b.state ? (a.createdAt < b.createdAt ? -1 : 1) : a.state === 'running' ? -1 : 1));
  for (const job of waiting) {
    if (streams.size >= MaxStreams) {
      break;
    }
    if (!streams.has(job.id)) {
      follow(job.id);
    }
  }
  clearTimeout(pollTimer);
  if (waiting.length > 0) {
    pollTimer = setTimeout(refreshList, waiting.some((j) => !streams.has(j.id)) ? PollMs : SafetyPollMs);
  }
}

/** A job the server no longer has (deleted elsewhere, or removed after the retention time). */
function gone(id) {
  jobs.delete(id);
  streams.get(id)?.abort();
  $('jobs').querySelector(`tr[data-id="${id}"]`)?.remove();
  const panel = $('panels').querySelector(`article[data-id="${id}"]`);
  if (panel && !deleting.has(id)) {
    panel.dataset.state = 'gone';
    panel.querySelector('.state').textContent = 'This job is no longer on the server: it was deleted (on another page or by a script) or removed after its days were up.';
  }
}

async function refreshList() {
  if (!getKey()) {
    return;
  }
  const serial = ++listSerial;
  let list;
  try {
    list = await listJobs(ListLimit);
  } catch (err) {
    if (serial === listSerial) {
      showProblem(err, {}, err.status === 401 ? '' : 'The list of jobs could not be read');
      if (err.status !== 401) {
        clearTimeout(pollTimer);
        pollTimer = setTimeout(refreshList, PollMs * 2);
      }
    }
    return;
  }
  if (serial !== listSerial) {
    return;
  }
  keyBox.showAccepted();
  if (messageIsKey) {
    showError('');
  }
  const known = new Set(list.map((j) => j.id));
  // A full list may have pushed an older job off its end: only a job missing from a list with room is gone.
  const full = list.length >= ListLimit;
  for (const id of [...jobs.keys()]) {
    if (!known.has(id) && !deleting.has(id)) {
      if (full) {
        jobs.delete(id);
      } else {
        gone(id);
      }
    }
  }
  for (const id of [...open]) {
    if (!known.has(id)) {
      open.delete(id);
    }
  }
  for (const job of list) {
    // The list and a job's stream race each other: keep whichever object is further on. Without a stream the
    // list is the truth (a restarted server puts a running job back in the queue).
    if (!streams.has(job.id) || isLater(job, jobs.get(job.id))) {
      jobs.set(job.id, job);
    }
    // Every unfinished job gets its panel (a reload picks them up), unless the person closed it.
    if (!finished(job) && !closed.has(job.id)) {
      open.add(job.id);
    }
  }
  saveIds();
  for (const job of list) {
    update(jobs.get(job.id));
  }
  renderList(list.filter((j) => !deleting.has(j.id)).map((j) => jobs.get(j.id)));
  keepUp();
}

async function remove(id) {
  const job = jobs.get(id);
  const name = job?.drivingName ?? 'the job';
  const wasRunning = job && !finished(job);
  deleting.add(id);
  streams.get(id)?.abort();
  const panelState = $('panels').querySelector(`article[data-id="${id}"] .state`);
  if (panelState) {
    panelState.textContent = 'deleting…';
  }
  try {
    await deleteJob(id);
  } catch (err) {
    deleting.delete(id);
    if (err.status !== 404) {
      showProblem(err, {}, `Deleting ${name}`);
      await refreshList();
      return;
    }
  }
  jobs.delete(id);
  open.delete(id);
  closed.delete(id);
  saveIds();
  $('jobs').querySelector(`tr[data-id="${id}"]`)?.remove();
  dropPanel(id);
  deleting.delete(id);
  showNote(wasRunning ? `You deleted ${name} before it finished: its render was stopped.` : `You deleted ${name} with its video and motion files.`);
  await refreshList();
}

// --- the form --------------------------------------------------------------------------------------------

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

const StayText = 'stay on this page until it is accepted: leaving or reloading now loses the upload';

function uploadStatus(text) {
  $('upload-status').textContent = text;
}

async function onSubmit(e) {
  e.preventDefault();
  showError('');
  showNote('');
  $('rig-hint').hidden = true;
  const driving = $('driving').files[0];
  const character = $('character').files[0];
  if (!driving || !character) {
    showError('Choose a performance video (or motion file) and a character picture.');
    return;
  }
  const names = { driving: driving.name, character: character.name };
  const form = new FormData();
  form.append('driving', driving, driving.name);
  form.append('character', character, character.name);
  const rigFile = $('rig').files[0];
  const rig = pageRig();
  $('rig-not-used').hidden = true;
  if (rigFile) {
    // A rig file chosen by hand goes as it is: the server refuses it for another picture, naming its own.
    form.append('rig', rigFile, rigFile.name);
    names.rig = rigFile.name;
  } else if (rig) {
    // The rig page's rig is for the picture it was made on: never carried to another one.
    const sha = rig.imageSha256 ? await fileSha256(character) : null;
    const same = sha !== null ? sha === rig.imageSha256 : rig.image === character.name;
    if (same) {
      form.append('rig', new Blob([JSON.stringify(rig)], { type: 'application/json' }), 'rig.json');
      names.rig = 'the rig from the rig page';
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
  uploading = true;
  document.body.dataset.uploading = 'true';
  try {
    uploadStatus(`uploading… — ${StayText}`);
    const job = await submitJob(
      form,
      (f) => uploadStatus(`uploading ${Math.round(f * 100)} % — ${StayText}`),
      () => uploadStatus(`checking the clip and the picture (a face in each)… — ${StayText}`));
    closed.delete(job.id);
    open.add(job.id);
    saveIds();
    update(job);
    await refreshList();
  } catch (err) {
    showProblem(err, names);
    if (err.problem?.rigPage) {
      $('rig-hint').hidden = false;
    }
  } finally {
    uploading = false;
    delete document.body.dataset.uploading;
    $('submit').disabled = false;
    uploadStatus('');
  }
}

// Leaving while the files go up or are checked would lose them: the browser asks first.
window.addEventListener('beforeunload', (e) => {
  if (uploading) {
    e.preventDefault();
    e.returnValue = '';
  }
});

const keyBox = wireKey($('key'), $('key-status'), () => {
  if (messageIsKey) {
    showError('');
  }
  return refreshList();
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
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') {
    refreshList();
  }
});
showPageRig();
refreshList();
document.body.dataset.ready = 'true';
