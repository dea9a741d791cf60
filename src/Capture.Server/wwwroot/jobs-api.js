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

export async function listJobs() {
  return (await api('/api/jobs')).json();
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
