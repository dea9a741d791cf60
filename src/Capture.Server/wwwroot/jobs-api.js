// The jobs API as the pages use it: every request carries the Bearer key (kept in localStorage),
// so results and events are fetched (not linked) and shown through object URLs.

const KEY_ITEM = 'capture.apiKey';

export function getKey() {
  return localStorage.getItem(KEY_ITEM) ?? '';
}

export function setKey(key) {
  localStorage.setItem(KEY_ITEM, key.trim());
}

/** fetch() with the key; throws an Error carrying the problem+json fields for a non-2xx answer. */
export async function api(path, options = {}) {
  const headers = new Headers(options.headers ?? {});
  headers.set('Authorization', `Bearer ${getKey()}`);
  const response = await fetch(path, { ...options, headers });
  if (!response.ok) {
    let problem = { title: response.statusText, detail: '' };
    try {
      problem = await response.json();
    } catch {
      // Not JSON (a proxy's page, say): keep the status text.
    }
    const error = new Error(problem.detail || problem.title || `HTTP ${response.status}`);
    error.status = response.status;
    error.problem = problem;
    throw error;
  }
  return response;
}

/**
 * POSTs a job with XMLHttpRequest (fetch cannot report upload progress): onUpload(fraction) while
 * the files go up, onChecking() once they are up and the server probes them. Resolves to the job.
 */
export function submitJob(formData, onUpload = () => {}, onChecking = () => {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/jobs');
    xhr.setRequestHeader('Authorization', `Bearer ${getKey()}`);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) {
        onUpload(e.loaded / e.total);
      }
    };
    xhr.upload.onload = () => onChecking();
    xhr.onerror = () => reject(new Error('the upload failed (network error or the server closed the connection)'));
    xhr.onload = () => {
      let body = {};
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        // Not JSON: keep the status text.
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve(body);
        return;
      }
      const error = new Error(body.detail || body.title || `HTTP ${xhr.status}`);
      error.status = xhr.status;
      error.problem = body;
      reject(error);
    };
    xhr.send(formData);
  });
}

/** The newest jobs (at most `limit`, 1..500), newest first. */
export async function listJobs(limit = 50) {
  return (await api(`/api/jobs?limit=${limit}`)).json();
}

export async function deleteJob(id) {
  await api(`/api/jobs/${id}`, { method: 'DELETE' });
}

/**
 * Follows a job's server-sent events (read with fetch so the key travels in a header) and calls
 * onEvent with each job object until the job has finished or the signal aborts.
 */
export async function watchJob(id, onEvent, signal) {
  const response = await api(`/api/jobs/${id}/events`, { signal, headers: { Accept: 'text/event-stream' } });
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) {
      return;
    }
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
      if (data) {
        onEvent(JSON.parse(data));
      }
    }
  }
}

/** A job's file as an object URL (the caller revokes it). */
export async function fileUrl(path) {
  const blob = await (await api(path)).blob();
  return URL.createObjectURL(blob);
}

/** Downloads a job's file as a person's click on a link would. */
export async function download(path, name) {
  const url = await fileUrl(path);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export const MOTION_FILES = ['motion.mpk', 'livelink.csv', 'motion.csv', 'motion.bvh'];

export const RIG_ITEM = 'capture.rig';

/**
 * SHA-256 of a file's bytes as lowercase hex: what a rig names its picture by. Null where the browser offers no
 * digest (crypto.subtle exists on https:// pages and on localhost / 127.0.0.1 only).
 */
export async function fileSha256(file) {
  if (!globalThis.crypto?.subtle) {
    return null;
  }
  const digest = await crypto.subtle.digest('SHA-256', await file.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

// --- words for people --------------------------------------------------------------------------------------
// The API's problem+json speaks to programs ("send the server's API key as 'Authorization: Bearer <key>'",
// "the 'rig' field"); the pages say the same in the words of the person at the page, and keep the detail
// where it helps (a limit's size, what was wrong with the picture).

/** What the API's multipart parts are to a person. */
const PartNames = { driving: 'The performance', character: 'The character picture', rig: 'The rig', profile: 'The performer profile' };

/**
 * An error from api() or submitJob() as a sentence for the page. `names` gives the person's file names
 * ({ driving, character, rig }) so the sentence can name the file it is about.
 */
export function peopleMessage(err, names = {}) {
  if (err?.status === 401) {
    return getKey()
      ? 'The server did not accept this key. Check it against the key the Capture server printed when it started (ask whoever runs the server).'
      : 'Enter the server\'s key in the Key box: the Capture server printed it when it started (ask whoever runs the server).';
  }
  if (!err?.status && err?.name === 'TypeError') {
    // fetch() rejects with a TypeError when no answer came at all.
    return 'Cannot reach the Capture server: is it running, and is this its address?';
  }
  if (err?.problem?.rigPage) {
    return `No face found in the character picture${names.character ? ` ${names.character}` : ''}: the tracker cannot read this face. Mark it on the rig page, then render again.`;
  }
  let text = peopleWords(err?.message ?? String(err), names);
  if (err?.status === 413) {
    text = `Too large for this server: ${text}`;
  } else if (err?.status === 503) {
    text = `The server is busy: ${text}`;
  } else if (err?.status === 507) {
    text = `The server has no room for more: ${text}`;
  }
  return capitalise(text);
}

/** A job's error (why it failed or was canceled) in people's words. */
export function jobErrorWords(job) {
  return peopleWords(job.error ?? (job.state === 'canceled' ? 'canceled' : 'no reason given'), {});
}

function peopleWords(text, names) {
  const part = /^(driving|character|rig|profile): ([\s\S]*)$/.exec(text);
  if (part) {
    const name = names[part[1]];
    let problem = part[2];
    if (part[1] !== 'driving') {
      // The server says why ffmpeg could not read the picture ("not a picture (ffprobe: …)"): words for a person instead.
      problem = problem.replace(/^not a picture\s*\(ffprobe: [^)]*\)/, 'not a picture (the server cannot open it)');
    }
    text = `${PartNames[part[1]]}${name && !problem.includes(name) ? ` ${name}` : ''}: ${problem}`;
  }
  // The body check names a joint as the rig file does (left_wrist): say it as a person would, and how to fix it.
  text = text.replace(/the figure mask does not cover (\w+) at \((-?\d+), (-?\d+)\): the mask and the joints do not belong together/,
    (_, joint, x, y) => `the figure's mask leaves out its ${joint.replace(/_/g, ' ')} (at ${x}, ${y} in the picture): ` +
      'on the rig page, paint or outline the figure over every joint, or move that joint onto the figure');
  // A server setting named in parentheses is for whoever runs the server.
  return text.replace(/\s*\(((?:Jobs|Live):\w+)\)/g, ' (whoever runs the server can change $1)');
}

function capitalise(text) {
  return text.length > 0 ? text[0].toUpperCase() + text.slice(1) : text;
}

/** Accepted or not: any answer but 401 means the server took the key (503 = jobs unavailable, key fine). */
export async function checkKey() {
  try {
    await api('/api/jobs?limit=1');
  } catch (err) {
    if (err.status === 401 || !err.status) {
      throw err;
    }
  }
}

/**
 * The Key box of a page: what is typed is kept (localStorage) and tried as the person types (after a short
 * pause) and on Enter/leaving the box, so a corrected key clears the key's error at once. `onKey(key)` runs for
 * each new key; it tells the box the outcome through the returned object's showAccepted / showRefused.
 */
export function wireKey(input, status, onKey) {
  input.value = getKey();
  let last = getKey();
  let timer = null;
  const box = {
    showAccepted() {
      status.textContent = 'key accepted';
      status.className = 'note ok';
      status.dataset.key = 'accepted';
    },
    showRefused(text) {
      status.textContent = text;
      status.className = 'error';
      status.dataset.key = 'refused';
    },
    showEmpty() {
      status.textContent = 'the key the Capture server printed when it started (ask whoever runs the server)';
      status.className = 'note';
      status.dataset.key = 'empty';
    },
  };
  const apply = () => {
    clearTimeout(timer);
    const key = input.value.trim();
    if (key === last) {
      return;
    }
    last = key;
    setKey(key);
    if (!key) {
      box.showEmpty();
      return;
    }
    status.textContent = 'checking the key…';
    status.className = 'note';
    status.dataset.key = 'checking';
    onKey(key);
  };
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(apply, 400);
  });
  input.addEventListener('change', apply);
  if (!last) {
    box.showEmpty();
  }
  return box;
}
