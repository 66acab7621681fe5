/**
 * WADO-RS Retrieve Instance of a ~10 MB instance from a local Orthanc:
 * the facade's streamed Node http path vs. dicomweb-client over xhr2.
 *
 *   npx tsx bench/dicomweb-retrieve.ts [runs=10] [side=2290]
 *
 * Prints per-run milliseconds and min/median/mean for each path.
 */
import { DicomWebClient } from "../src/dicomweb/index.js";
import { DicomwebClientAdapter } from "../src/dicomweb/dicomweb-client-adapter.js";
import { OrthancClient, startLocalOrthanc } from "../src/orthanc/index.js";
import { makeTestInstance } from "../test/helpers/orthanc.js";

const runs = Number(process.argv[2] ?? 10);
const side = Number(process.argv[3] ?? 2290); // 2290 x 2290 x 16 bit ≈ 10.5 MB

function stats(ms: number[]): string {
  const sorted = [...ms].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? NaN;
  const mean = ms.reduce((a, b) => a + b, 0) / ms.length;
  return `min ${sorted[0]?.toFixed(1)}  median ${median.toFixed(1)}  mean ${mean.toFixed(1)}  max ${sorted.at(-1)?.toFixed(1)}`;
}

async function time(label: string, fn: () => Promise<number>): Promise<number[]> {
  await fn(); // warm-up (connection, lazy imports, JIT)
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const bytes = await fn();
    out.push(performance.now() - t0);
    if (bytes <= 0) throw new Error(`${label}: empty result`);
  }
  console.log(`${label.padEnd(34)} ${out.map((m) => m.toFixed(0)).join(" ")}`);
  console.log(`${"".padEnd(34)} ${stats(out)}`);
  return out;
}

const orthanc = await startLocalOrthanc();
try {
  const inst = makeTestInstance({ rows: side, columns: side });
  await new OrthancClient({ url: orthanc.url, timeoutMs: 60_000 }).uploadInstance(inst.bytes);
  console.log(
    `instance: ${(inst.bytes.length / 1e6).toFixed(2)} MB, ${runs} runs each (after 1 warm-up), Orthanc 1.10.1 on loopback`,
  );

  const facade = new DicomWebClient({
    url: orthanc.dicomwebUrl,
    timeoutMs: 60_000,
    maxInstanceBytes: 64 * 1024 * 1024,
  });
  await time("facade (node:http, streamed)", async () => {
    const b = await facade.retrieveInstance(
      inst.studyInstanceUid,
      inst.seriesInstanceUid,
      inst.sopInstanceUid,
    );
    if (b.length !== inst.bytes.length) throw new Error("size mismatch");
    return b.length;
  });

  const adapter = new DicomwebClientAdapter({
    baseUrl: orthanc.dicomwebUrl,
    headers: {},
    timeoutMs: 60_000,
  });
  await time("dicomweb-client + xhr2", async () => {
    const b = await adapter.call("bench", (client, request) =>
      client.retrieveInstance({
        studyInstanceUID: inst.studyInstanceUid,
        seriesInstanceUID: inst.seriesInstanceUid,
        sopInstanceUID: inst.sopInstanceUid,
        request,
      }),
    );
    const size =
      b instanceof ArrayBuffer ? b.byteLength : ArrayBuffer.isView(b) ? b.byteLength : -1;
    if (size !== inst.bytes.length) throw new Error(`size mismatch: ${size}`);
    return size;
  });
} finally {
  await orthanc.stop();
}
