// Runs inside headless Chromium, loaded by /page/face_mesh.html, /page/pose.html or /page/hands.html.
// Everything it fetches comes from the run.mjs server on 127.0.0.1: the MediaPipe package files
// (through locateFile), the input images (/input/<i>) and the decoded video frames (/frame/<k>).
// The page exposes window.capture = { init, runImage, runVideo } for run.mjs to call.
'use strict';

(() => {
  const solutionName = window.location.pathname.replace(/^\/page\/|\.html$/g, '');
  let canvas = null;
  let ctx = null;
  let solution = null;
  let last = null;
  let staticImageMode = false;
  let flushCanvas = null;
  let resets = 0;
  let geometry = false;
  // --fps: each send() is stamped at (sends so far) × 1000 / fps ms instead of the wall clock, so MediaPipe's
  // time-based filters (pose's auxiliary-landmark smoothing, always on) see the clip's own frame rate.
  let frameMs = null;
  let sends = 0;

  // MediaPipe's MatrixData as a plain column-major array of 16 numbers (whatever layout it came in).
  function columnMajor16(matrix) {
    const data = Array.from(matrix.getPackedDataList());
    const rows = matrix.getRows();
    const cols = matrix.getCols();
    if (rows !== 4 || cols !== 4 || data.length !== 16) {
      throw new Error(`pose transform matrix is ${rows}x${cols} with ${data.length} values, expected 4x4`);
    }
    if (matrix.getLayout() === 1) { // ROW_MAJOR
      const out = new Array(16);
      for (let r = 0; r < 4; r++) { for (let c = 0; c < 4; c++) { out[(c * 4) + r] = data[(r * 4) + c]; } }
      return out;
    }
    return data;
  }

  function faceResults(results) {
    const faces = (results.multiFaceLandmarks || []).map((list) => ({
      landmarks: list.map((p) => [p.x, p.y, p.z]),
    }));
    if (geometry) {
      const geometries = results.multiFaceGeometry || [];
      if (geometries.length !== faces.length) {
        throw new Error(`${faces.length} faces but ${geometries.length} face geometries`);
      }
      geometries.forEach((g, i) => { faces[i].poseTransformMatrix = columnMajor16(g.getPoseTransformMatrix()); });
    }
    return { faces };
  }

  function poseResults(results) {
    if (!results.poseLandmarks) {
      return { pose: null };
    }
    return {
      pose: {
        landmarks: results.poseLandmarks.map((p) => [p.x, p.y, p.z, p.visibility]),
        worldLandmarks: (results.poseWorldLandmarks || []).map((p) => [p.x, p.y, p.z, p.visibility]),
      },
    };
  }

  // Each hand with MediaPipe's own handedness label (which assumes a mirrored, selfie image) and score.
  function handsResults(results) {
    const lists = results.multiHandLandmarks || [];
    const worlds = results.multiHandWorldLandmarks || [];
    const handedness = results.multiHandedness || [];
    return {
      hands: lists.map((list, i) => ({
        landmarks: list.map((p) => [p.x, p.y, p.z]),
        worldLandmarks: (worlds[i] || []).map((p) => [p.x, p.y, p.z]),
        label: handedness[i] ? handedness[i].label : null,
        score: handedness[i] ? handedness[i].score : null,
        // Hands' labels assume a mirrored (selfie) picture; the inputs here are not mirrored.
        performerSide: handedness[i] ? (handedness[i].label === 'Left' ? 'Right' : 'Left') : null,
      })),
    };
  }

  // Holistic: the body and the hands it finds from the body's wrists, labelled by the body's own sides.
  function holisticResults(results) {
    const hand = (list, label) => (list ? [{
      landmarks: list.map((p) => [p.x, p.y, p.z]), worldLandmarks: [], label, score: null, performerSide: label,
    }] : []);
    return {
      ...poseResults(results),
      hands: [...hand(results.leftHandLandmarks, 'Left'), ...hand(results.rightHandLandmarks, 'Right')],
    };
  }

  async function init(options) {
    const base = `/mp/${solutionName}/`;
    const locateFile = (file) => base + file;
    if (solutionName === 'face_mesh') {
      solution = new window.FaceMesh({ locateFile });
      // minDetectionConfidence is left at the graph's own 0.5: in face_mesh 0.4.1657299874,
      // setting it replaces the face detector's whole TensorsToDetectionsCalculator options with
      // just min_score_thresh, and the graph then aborts (RET_CHECK options_.has_num_classes()).
      solution.setOptions({
        maxNumFaces: options.maxNumFaces,
        // --refine: the attention model (478 points); off by default so the output stays 468 points.
        refineLandmarks: options.refine === true,
        selfieMode: false,
        minTrackingConfidence: options.minTrackingConfidence,
        // Off unless --geometry: the default output stays exactly as before.
        ...(options.geometry ? { enableFaceGeometry: true } : {}),
        ...(options.cpu ? { useCpuInference: true } : {}),
      });
      geometry = options.geometry === true;
      solution.onResults((r) => { last = faceResults(r); });
    } else if (solutionName === 'pose') {
      solution = new window.Pose({ locateFile });
      solution.setOptions({
        modelComplexity: options.modelComplexity,
        smoothLandmarks: options.smoothLandmarks,
        enableSegmentation: false,
        selfieMode: false,
        minDetectionConfidence: options.minDetectionConfidence,
        minTrackingConfidence: options.minTrackingConfidence,
        ...(options.cpu ? { useCpuInference: true } : {}),
      });
      solution.onResults((r) => { last = poseResults(r); });
    } else if (solutionName === 'hands') {
      solution = new window.Hands({ locateFile });
      solution.setOptions({
        maxNumHands: options.maxNumHands,
        modelComplexity: options.modelComplexity,
        selfieMode: false,
        minDetectionConfidence: options.minDetectionConfidence,
        minTrackingConfidence: options.minTrackingConfidence,
        // --cpu: TFLite on XNNPACK in wasm instead of the WebGL (here SwiftShader) inference.
        ...(options.cpu ? { useCpuInference: true } : {}),
      });
      solution.onResults((r) => { last = handsResults(r); });
    } else if (solutionName === 'holistic') {
      solution = new window.Holistic({ locateFile });
      solution.setOptions({
        modelComplexity: options.modelComplexity,
        smoothLandmarks: options.smoothLandmarks,
        enableSegmentation: false,
        refineFaceLandmarks: false,
        selfieMode: false,
        minDetectionConfidence: options.minDetectionConfidence,
        minTrackingConfidence: options.minTrackingConfidence,
        ...(options.cpu ? { useCpuInference: true } : {}),
      });
      solution.onResults((r) => { last = holisticResults(r); });
    } else {
      throw new Error(`unknown solution '${solutionName}'`);
    }
    staticImageMode = options.staticImageMode;
    frameMs = options.fps ? 1000 / options.fps : null;
    sends = 0;
    await solution.initialize();
    return { solution: solutionName, simd: typeof WebAssembly.validate === 'function' };
  }

  function newCanvas(width, height) {
    canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    // willReadFrequently keeps the 2D canvas on the CPU, where putImageData is cheapest.
    ctx = canvas.getContext('2d', { willReadFrequently: true });
  }

  // The JS solutions have no static_image_mode: their graphs always take the next region from the
  // previous frame's landmarks and run the detector only when there were none. A plain gray frame
  // yields no landmarks, so the frame after it goes through the detector afresh, exactly as with
  // static_image_mode. (solution.reset() does the same but rebuilds the graph: ~6 s a call on
  // SwiftShader.) If the gray frame ever did yield landmarks, fall back to reset().
  async function forgetTracking() {
    if (flushCanvas === null) {
      flushCanvas = document.createElement('canvas');
      flushCanvas.width = 64;
      flushCanvas.height = 64;
      const c = flushCanvas.getContext('2d');
      c.fillStyle = 'rgb(128,128,128)';
      c.fillRect(0, 0, 64, 64);
    }
    last = null;
    await solution.send({ image: flushCanvas }, nextStamp());
    const empty = last !== null && (last.faces ? last.faces.length === 0 : last.pose !== undefined ? last.pose === null : last.hands.length === 0);
    if (!empty) {
      solution.reset();
      resets++;
    }
  }

  // The timestamp (ms) for the next send: undefined lets MediaPipe use performance.now().
  function nextStamp() {
    return frameMs === null ? undefined : (sends++) * frameMs;
  }

  async function sendCanvas() {
    if (staticImageMode) {
      await forgetTracking();
    }
    last = null;
    const t0 = performance.now();
    await solution.send({ image: canvas }, nextStamp());
    const ms = performance.now() - t0;
    if (last === null) {
      throw new Error('MediaPipe returned no results for a frame');
    }
    return { ms, result: last };
  }

  async function runImage(url) {
    const response = await fetch(url);
    if (!response.ok) {
      throw new Error(`${url}: HTTP ${response.status}`);
    }
    const bitmap = await createImageBitmap(await response.blob());
    // A new canvas per image: the solution keeps the first input's size for its texture, so a
    // resized canvas gives wrong landmarks for every image after the first of another size.
    newCanvas(bitmap.width, bitmap.height);
    ctx.drawImage(bitmap, 0, 0);
    bitmap.close();
    const { ms, result } = await sendCanvas();
    return { width: canvas.width, height: canvas.height, ms, resets, ...result };
  }

  // Runs frames /frame/0 … until the server answers 404 (end of video) or maxFrames.
  // Only solution.send() is timed: fetching and putImageData (the decode side) are not.
  async function runVideo(width, height, maxFrames) {
    newCanvas(width, height);
    const frames = [];
    const times = [];
    for (let k = 0; k < maxFrames; k++) {
      const response = await fetch(`/frame/${k}`);
      if (response.status === 404) {
        break;
      }
      if (!response.ok) {
        throw new Error(`/frame/${k}: HTTP ${response.status}`);
      }
      const bytes = new Uint8ClampedArray(await response.arrayBuffer());
      ctx.putImageData(new ImageData(bytes, width, height), 0, 0);
      const { ms, result } = await sendCanvas();
      times.push(ms);
      frames.push({ index: k, ...result });
    }
    return { frames, times };
  }

  window.capture = { init, runImage, runVideo };
  window.captureReady = true;
})();
