#!/usr/bin/env node
// cairn's ONNX Runtime runner: runs an exported cairn policy (.onnx) in ONNX Runtime
// through the onnxruntime-node package. Used by cairn's export verification
// (src/export/onnx_runtime.cpp) and by bench/export_bench.cpp; nothing is downloaded.
//
//   node run_policy.js run   --ort <node_modules> --model <m.onnx> --obs <obs.f32>
//                            --obs-size <n> --out <out.json>
//       Reads raw observations (little-endian float32, row-major [batch, n]) and runs
//       the model twice: the first row as a batch of 1, the remaining rows as one batch
//       (so both batch sizes exercise the dynamic batch dimension). Writes every output,
//       rows concatenated, as JSON:
//         {"runtime": {"onnxruntime_node": "1.30.0", "node": "v20.20.2"},
//          "input_names": [...], "output_names": [...],
//          "outputs": {"<name>": {"type": "int64"|"float32", "dims": [batch, k],
//                                 "data": [numbers; "nan", "inf", "-inf" as strings]}}}
//
//   node run_policy.js steps --ort <node_modules> --model <m.onnx> --obs <obs.f32>
//                            --obs-size <n> --out <out.json> --starts <starts.f32>
//                            --state <state.f32> --state-size <S> --segments <k:t,...>
//       A recurrent policy (inputs obs, state_in, episode_start; output state_out): each
//       segment "k:t" is k episodes stepped together for t steps, its rows of obs and
//       starts (float32 0/1, one per row) time-major, its k states before step 0 read in
//       turn from state.f32; each step's state_out is fed back as the next step's
//       state_in. Writes the outputs of every step, rows concatenated, as `run` does.
//
//   node run_policy.js bench --ort <node_modules> --model <m.onnx> --obs <obs.f32>
//                            --obs-size <n> [--iterations <k>]
//       Times session.run on the first observation (batch 1, one thread) and prints
//       {"median_us": ..., "iterations": k, "runtime": {...}}.
//
// Exit status: 0 on success, 1 with a message on stderr otherwise.
'use strict';

const fs = require('fs');
const path = require('path');

function fail(message) {
  process.stderr.write(`run_policy.js: ${message}\n`);
  process.exit(1);
}

function parseArgs(argv) {
  const mode = argv[0];
  if (mode !== 'run' && mode !== 'bench' && mode !== 'steps') fail(`unknown mode '${mode}' (expected run, steps or bench)`);
  const args = { mode };
  for (let i = 1; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || i + 1 >= argv.length) fail(`bad argument '${argv[i]}'`);
    args[argv[i].slice(2)] = argv[i + 1];
  }
  for (const key of ['ort', 'model', 'obs', 'obs-size']) {
    if (args[key] === undefined) fail(`missing --${key}`);
  }
  if (mode !== 'bench' && args.out === undefined) fail('missing --out');
  if (mode === 'steps') {
    for (const key of ['starts', 'state', 'state-size', 'segments']) {
      if (args[key] === undefined) fail(`missing --${key}`);
    }
  }
  return args;
}

function loadRuntime(dir) {
  const packageDir = path.join(path.resolve(dir), 'onnxruntime-node');
  let version = 'unknown';
  try {
    version = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')).version;
  } catch (e) {
    fail(`cannot read ${packageDir}/package.json: ${e.message}`);
  }
  let ort;
  try {
    ort = require(packageDir);
  } catch (e) {
    fail(`cannot load onnxruntime-node from ${packageDir}: ${e.message}`);
  }
  return { ort, runtime: { onnxruntime_node: version, node: process.version } };
}

function readObservations(file, obsSize) {
  const bytes = fs.readFileSync(file);
  if (bytes.length % (4 * obsSize) !== 0) fail(`${file}: ${bytes.length} bytes is not a multiple of 4 * ${obsSize}`);
  const obs = new Float32Array(bytes.length / 4);
  for (let i = 0; i < obs.length; ++i) obs[i] = bytes.readFloatLE(4 * i);
  return obs;
}

function toJsonNumber(v) {
  if (typeof v === 'bigint') return Number(v);
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  return v;
}

async function run(args) {
  const { ort, runtime } = loadRuntime(args.ort);
  const obsSize = Number(args['obs-size']);
  const obs = readObservations(args.obs, obsSize);
  const batch = obs.length / obsSize;
  const session = await ort.InferenceSession.create(args.model, {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
  });
  const inputName = session.inputNames[0];
  const outputs = {};
  const chunks = batch > 1 ? [[0, 1], [1, batch]] : [[0, batch]];
  for (const [begin, end] of chunks) {
    const rows = obs.slice(begin * obsSize, end * obsSize);
    const feeds = { [inputName]: new ort.Tensor('float32', rows, [end - begin, obsSize]) };
    const result = await session.run(feeds);
    for (const name of session.outputNames) {
      const t = result[name];
      if (outputs[name] === undefined) {
        outputs[name] = { type: t.type, dims: [0, t.dims[1]], data: [] };
      }
      if (t.dims[0] !== end - begin) fail(`output ${name} has ${t.dims[0]} rows for a batch of ${end - begin}`);
      outputs[name].dims[0] += t.dims[0];
      for (const v of t.data) outputs[name].data.push(toJsonNumber(v));
    }
  }
  const report = {
    runtime,
    input_names: session.inputNames,
    output_names: session.outputNames,
    outputs,
  };
  fs.writeFileSync(args.out, JSON.stringify(report));
}

async function steps(args) {
  const { ort, runtime } = loadRuntime(args.ort);
  const obsSize = Number(args['obs-size']);
  const stateSize = Number(args['state-size']);
  const obs = readObservations(args.obs, obsSize);
  const starts = readObservations(args.starts, 1);
  const states = readObservations(args.state, stateSize);
  const session = await ort.InferenceSession.create(args.model, {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
  });
  const outputs = {};
  let row = 0;
  let stateRow = 0;
  for (const segment of args.segments.split(',')) {
    const [k, t] = segment.split(':').map(Number);
    let state = states.slice(stateRow * stateSize, (stateRow + k) * stateSize);
    stateRow += k;
    for (let step = 0; step < t; ++step, row += k) {
      const feeds = {
        obs: new ort.Tensor('float32', obs.slice(row * obsSize, (row + k) * obsSize), [k, obsSize]),
        state_in: new ort.Tensor('float32', state, [k, stateSize]),
        episode_start: new ort.Tensor('float32', starts.slice(row, row + k), [k]),
      };
      const result = await session.run(feeds);
      for (const name of session.outputNames) {
        const out = result[name];
        if (outputs[name] === undefined) {
          outputs[name] = { type: out.type, dims: [0, out.dims[1]], data: [] };
        }
        if (out.dims[0] !== k) fail(`output ${name} has ${out.dims[0]} rows for a batch of ${k}`);
        outputs[name].dims[0] += out.dims[0];
        for (const v of out.data) outputs[name].data.push(toJsonNumber(v));
      }
      if (result.state_out === undefined) fail('the model has no output state_out');
      state = Float32Array.from(result.state_out.data);
    }
  }
  if (row * obsSize !== obs.length) fail(`the segments cover ${row} rows of ${obs.length / obsSize}`);
  const report = { runtime, input_names: session.inputNames, output_names: session.outputNames, outputs };
  fs.writeFileSync(args.out, JSON.stringify(report));
}

async function bench(args) {
  const { ort, runtime } = loadRuntime(args.ort);
  const obsSize = Number(args['obs-size']);
  const obs = readObservations(args.obs, obsSize).slice(0, obsSize);
  const iterations = Number(args.iterations || 20000);
  const session = await ort.InferenceSession.create(args.model, {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
  });
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', obs, [1, obsSize]) };
  for (let i = 0; i < Math.min(2000, iterations); ++i) await session.run(feeds);
  const batches = 31;
  const per = Math.max(1, Math.floor(iterations / batches));
  const samples = [];
  for (let b = 0; b < batches; ++b) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < per; ++i) await session.run(feeds);
    const t1 = process.hrtime.bigint();
    samples.push(Number(t1 - t0) / 1000 / per);
  }
  samples.sort((a, b) => a - b);
  process.stdout.write(JSON.stringify({ median_us: samples[Math.floor(batches / 2)], iterations: per * batches, runtime }) + '\n');
}

const args = parseArgs(process.argv.slice(2));
(args.mode === 'run' ? run(args) : args.mode === 'steps' ? steps(args) : bench(args)).catch((e) => fail(e && e.stack ? e.stack : String(e)));
