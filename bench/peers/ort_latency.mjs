#!/usr/bin/env node
// ONNX Runtime (CPU execution provider, onnxruntime-node) batch-1 latency of an .onnx model, the
// peer of tools/peer_latency.py. Input: one tensor of the model's first input shape (a symbolic or
// zero batch dimension becomes 1, other symbolic dimensions too) filled with standard-normal values
// from a fixed seed. After --warmup runs, times --runs session.run calls and prints one JSON line:
//   {"peer": "onnxruntime-cpu", "model": <file name without .onnx>, "median_ms": ..., "p90_ms": ...,
//    "runs": N, "threads": T}
//
//   node bench/peers/ort_latency.mjs tools/models/fashion_resnet.onnx --runs 200 --threads 1
//
// onnxruntime-node is loaded from build/npm (scripts/install_peers.sh installs it there), or from
// the directory in HAQM_NPM_DIR.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function usage(message) {
  if (message) console.error(`ort_latency: ${message}`);
  console.error('usage: node ort_latency.mjs MODEL.onnx [--runs N] [--warmup W] [--threads T] [--seed S]');
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { model: null, runs: 200, warmup: 20, threads: 1, seed: 1 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-h' || a === '--help') usage();
    const m = a.match(/^--(runs|warmup|threads|seed)(?:=(.*))?$/);
    if (m) {
      const v = m[2] !== undefined ? m[2] : argv[++i];
      const n = Number(v);
      if (v === undefined || !Number.isInteger(n) || n < 0) usage(`--${m[1]} needs a non-negative integer`);
      opts[m[1]] = n;
    } else if (a.startsWith('-')) {
      usage(`unknown option ${a}`);
    } else if (opts.model === null) {
      opts.model = a;
    } else {
      usage(`unexpected argument ${a}`);
    }
  }
  if (opts.model === null) usage('no model path');
  if (opts.runs < 1) usage('--runs must be at least 1');
  if (opts.threads < 1) usage('--threads must be at least 1');
  return opts;
}

function loadOrt() {
  const dir = process.env.HAQM_NPM_DIR || path.join(repo, 'build', 'npm');
  const require = createRequire(path.join(dir, 'package.json'));
  try {
    return require('onnxruntime-node');
  } catch (e) {
    console.error(`ort_latency: cannot load onnxruntime-node from ${dir} (run scripts/install_peers.sh): ${e.message}`);
    process.exit(1);
  }
}

// mulberry32 uniform generator, Box-Muller to normal.
function normalFill(array, seed) {
  let s = seed >>> 0;
  const uniform = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = 0; i < array.length; i += 2) {
    const u1 = Math.max(uniform(), 1e-12);
    const u2 = uniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    array[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < array.length) array[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
}

const sortedPercentile = (v, p) => v[Math.max(1, Math.ceil((p / 100) * v.length)) - 1];
const sortedMedian = (v) => (v.length % 2 ? v[(v.length - 1) / 2] : 0.5 * (v[v.length / 2 - 1] + v[v.length / 2]));

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const ort = loadOrt();
  const session = await ort.InferenceSession.create(opts.model, {
    executionProviders: ['cpu'],
    intraOpNumThreads: opts.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const meta = session.inputMetadata[0];
  if (!meta || !meta.isTensor || meta.type !== 'float32') {
    throw new Error(`${opts.model}: the first input is not a float32 tensor`);
  }
  const shape = meta.shape.map((d) => (typeof d === 'number' && d > 0 ? d : 1));
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  normalFill(data, opts.seed);
  const feeds = { [meta.name]: new ort.Tensor('float32', data, shape) };

  for (let i = 0; i < opts.warmup; i++) await session.run(feeds);
  const times = [];
  for (let i = 0; i < opts.runs; i++) {
    const t0 = process.hrtime.bigint();
    await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  const round = (x) => Math.round(x * 1e4) / 1e4;
  console.log(JSON.stringify({
    peer: 'onnxruntime-cpu',
    model: path.basename(opts.model).replace(/\.onnx$/, ''),
    median_ms: round(sortedMedian(times)),
    p90_ms: round(sortedPercentile(times, 90)),
    runs: opts.runs,
    threads: opts.threads,
  }));
  await session.release();
}

main().catch((e) => {
  console.error(`ort_latency: ${e.stack || e}`);
  process.exit(1);
});
