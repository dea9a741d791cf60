#!/usr/bin/env node
// Decodes pictures the way Chromium does for a canvas (the decode MediaPipe JS and the capture page see:
// createImageBitmap, colour-managed to sRGB) and writes each one's RGBA bytes, rows packed, to a file.
//
//   node tests/mediapipe-js/decode.mjs IN.jpg OUT.rgba [IN2.png OUT2.rgba …]
//
// Prints "width height" per picture on stdout. Debian's /usr/bin/chromium, headless; nothing is fetched:
// the picture goes into the page as bytes.
import { chromium } from 'playwright-core';
import { readFileSync, writeFileSync } from 'node:fs';

const args = process.argv.slice(2);
if (args.length === 0 || args.length % 2 !== 0) {
  process.stderr.write('usage: node tests/mediapipe-js/decode.mjs IN OUT [IN OUT …]\n');
  process.exit(2);
}

const browser = await chromium.launch({
  executablePath: process.env.CAPTURE_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage();
  await page.route('**/*', (route) => route.abort());
  for (let i = 0; i < args.length; i += 2) {
    const base64 = readFileSync(args[i]).toString('base64');
    const result = await page.evaluate(async (data) => {
      const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
      const bitmap = await createImageBitmap(new Blob([bytes]));
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      const ctx = canvas.getContext('2d', { willReadFrequently: true });
      ctx.drawImage(bitmap, 0, 0);
      const pixels = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
      let text = '';
      for (let k = 0; k < pixels.length; k += 0x8000) {
        text += String.fromCharCode.apply(null, pixels.subarray(k, k + 0x8000));
      }
      return { width: bitmap.width, height: bitmap.height, rgba: btoa(text) };
    }, base64);
    writeFileSync(args[i + 1], Buffer.from(result.rgba, 'base64'));
    process.stdout.write(`${result.width} ${result.height}\n`);
  }
} finally {
  await browser.close();
}
