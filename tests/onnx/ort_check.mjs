// ONNX Runtime (npm's onnxruntime-node) runs every model nn exported (DIR/manifest.json from
// `onnx_checks fixtures DIR`) on the same inputs; its outputs must agree with nn's to 1e-5.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let ort;
try {
  ort = require('onnxruntime-node');
} catch (e) {
  console.log('skipped: needs onnxruntime-node (scripts/test.sh installs it in tests/onnx)');
  process.exit(77);
}

const dir = process.argv[2];
const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
const floats = (file) => {
  const b = readFileSync(join(dir, file));
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
};
let failures = 0;
let largest = 0;
for (const entry of manifest) {
  try {
    const session = await ort.InferenceSession.create(join(dir, entry.model), { graphOptimizationLevel: 'disabled' });
    const feeds = {};
    entry.inputs.forEach((input, i) => {
      feeds[session.inputNames[i]] = new ort.Tensor('float32', floats(input.file), input.shape);
    });
    const results = await session.run(feeds);
    let worst = 0;
    entry.outputs.forEach((output, i) => {
      const got = results[session.outputNames[i]];
      if (JSON.stringify(got.dims) !== JSON.stringify(output.shape))
        throw new Error(`output ${i} has dims ${got.dims}, nn gives ${output.shape}`);
      const want = floats(output.file);
      for (let j = 0; j < want.length; j++) worst = Math.max(worst, Math.abs(got.data[j] - want[j]));
    });
    largest = Math.max(largest, worst);
    const ok = worst <= 1e-5;
    if (!ok) failures++;
    console.log(`${entry.name.padEnd(26)} max |ORT - nn| = ${worst.toExponential(2)} ${ok ? 'ok' : 'FAILED'}`);
  } catch (e) {
    failures++;
    console.log(`${entry.name.padEnd(26)} FAILED: ${e.message}`);
  }
}
console.log(`onnxruntime ${ort.env.versions.common}: ${manifest.length} models, ${failures} failed; ` +
            `largest difference ${largest.toExponential(2)}`);
process.exit(failures || manifest.length === 0 ? 1 : 0);
