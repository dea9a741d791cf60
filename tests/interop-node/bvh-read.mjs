// Parses a BVH file with three.js's BVHLoader, poses the skeleton at each requested frame from the
// loaded animation tracks, and prints JSON: bone names, frame count, frame time and each bone's world
// position per requested frame.
// usage: node bvh-read.mjs <file> <frame> [<frame> ...]
import { readFileSync } from 'node:fs';
import { BVHLoader } from 'three/addons/loaders/BVHLoader.js';
import { Vector3 } from 'three';

const [file, ...frames] = process.argv.slice(2);
const result = new BVHLoader().parse(readFileSync(file, 'utf8'));
const bones = result.skeleton.bones;
const clip = result.clip;
const byName = new Map(bones.map((b) => [b.name, b]));
const frameCount = clip.tracks[0].times.length;
const frameTime = frameCount > 1 ? clip.tracks[0].times[1] - clip.tracks[0].times[0] : 0;
const poses = {};
for (const k of frames.map(Number)) {
  for (const track of clip.tracks) {
    const [name, prop] = track.name.split('.');
    const bone = byName.get(name);
    if (prop === 'position') bone.position.fromArray(track.values, k * 3);
    else if (prop === 'quaternion') bone.quaternion.fromArray(track.values, k * 4);
  }
  bones[0].updateMatrixWorld(true);
  poses[k] = Object.fromEntries(bones.filter((b) => !b.name.startsWith('ENDSITE')).map((b) => [b.name, b.getWorldPosition(new Vector3()).toArray()]));
}
process.stdout.write(JSON.stringify({ bones: bones.map((b) => b.name), frameCount, frameTime, poses }));
