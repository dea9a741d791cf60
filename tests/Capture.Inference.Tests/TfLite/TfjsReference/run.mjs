// Runs a .tflite model in TensorFlow Lite's wasm runtime (tfjs-tflite) inside headless Chromium.
//   node run.mjs MODEL.tflite INPUT.f32 OUTDIR [MODEL2.tflite INPUT2.f32 OUTDIR2 ...] [--chromium PATH]
// INPUT.f32: raw little-endian float32 values of the model's first input (NHWC, its own shape).
// Writes OUTDIR/outputs.json ([{name, shape}] in the model's output order) and OUTDIR/<i>.f32 per output.
// Several models share one browser launch.
// Exit codes: 0 ok, 2 bad arguments, 1 anything else. Nothing is downloaded: files come from node_modules.
import { createServer } from 'node:http';
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { dirname, join, extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const chromiumAt = args.indexOf('--chromium');
const chromium = chromiumAt >= 0 ? args.splice(chromiumAt, 2)[1] : '/usr/bin/chromium';
const jobs = [];
for (let i = 0; i + 2 < args.length; i += 3) jobs.push({ model: args[i], input: args[i + 1], out: args[i + 2] });
if (args.length === 0 || args.length % 3 !== 0 || jobs.some(j => !existsSync(j.model) || !existsSync(j.input))) {
  console.error('usage: node run.mjs MODEL.tflite INPUT.f32 OUTDIR [MODEL2 INPUT2 OUTDIR2 ...] [--chromium PATH]');
  process.exit(2);
}
const { chromium: playwright } = createRequire(import.meta.url)('playwright-core');

const nm = join(here, 'node_modules');
const files = {
  '/tf-core.js': join(nm, '@tensorflow/tfjs-core/dist/tf-core.min.js'),
  '/tf-backend-cpu.js': join(nm, '@tensorflow/tfjs-backend-cpu/dist/tf-backend-cpu.min.js'),
  '/tf-tflite.js': join(nm, '@tensorflow/tfjs-tflite/dist/tf-tflite.min.js'),
};
jobs.forEach((j, i) => { files[`/model${i}.tflite`] = j.model; files[`/input${i}.f32`] = j.input; });
const page = `<!doctype html><meta charset="utf-8"><script src="/tf-core.js"></script>
<script src="/tf-backend-cpu.js"></script><script src="/tf-tflite.js"></script>`;
const types = { '.js': 'text/javascript', '.wasm': 'application/wasm' };
const server = createServer((req, res) => {
  const url = req.url.split('?')[0];
  let file = files[url];
  if (!file && url.startsWith('/wasm/')) file = join(nm, '@tensorflow/tfjs-tflite/wasm', url.slice(6).replace(/[^A-Za-z0-9_.]/g, ''));
  if (url === '/') { res.writeHead(200, { 'content-type': 'text/html' }); res.end(page); return; }
  if (!file || !existsSync(file)) { res.writeHead(404); res.end(); return; }
  res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
  res.end(readFileSync(file));
});
await new Promise(r => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}`;
const browser = await playwright.launch({
  executablePath: chromium,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
try {
  const tab = await browser.newPage();
  await tab.goto(base + '/');
  for (let index = 0; index < jobs.length; index++) {
    const result = await tab.evaluate(async (index) => {
      tflite.setWasmPath('/wasm/');
      const model = await tflite.loadTFLiteModel(`/model${index}.tflite`, { numThreads: 1 });
      const input = new Float32Array(await (await fetch(`/input${index}.f32`)).arrayBuffer());
      const x = tf.tensor(input, model.inputs[0].shape, 'float32');
      let out = model.predict(x);
      const names = model.outputs.map(o => o.name);
      if (out instanceof tf.Tensor) out = { [names[0]]: out };
      const list = [];
      for (const name of names) {
        const t = out[name];
        list.push({ name, shape: t.shape, data: Array.from(await t.data()) });
      }
      return list;
    }, index);
    const outDir = jobs[index].out;
    mkdirSync(outDir, { recursive: true });
    result.forEach((o, i) => writeFileSync(join(outDir, `${i}.f32`), Buffer.from(new Float32Array(o.data).buffer)));
    writeFileSync(join(outDir, 'outputs.json'), JSON.stringify(result.map(o => ({ name: o.name, shape: o.shape }))));
  }
} finally {
  await browser.close();
  server.close();
}
