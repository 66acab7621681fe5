/**
 * Every response body RadZ reads from a peer goes through the bounded reader
 * (src/security/response-body.ts). Per call site: a hostile peer on loopback
 * streams up to 1 GiB without a length; the call fails with its coded error,
 * the peer is cut off soon after the cap, and the process's RSS rises by less
 * than twice the cap (docs/security.md, "Hostile input limits").
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { DicomWebClient } from "../../src/dicomweb/index.js";
import { MAX_QIDO_RESPONSE_BYTES } from "../../src/dicomweb/qido-rs.js";
import { MAX_DWC_RESPONSE_BYTES } from "../../src/dicomweb/dicomweb-client-adapter.js";
import { probe } from "../../src/doctor/probe.js";
import { RadzError } from "../../src/errors.js";
import {
  MAX_LOOKUP_BYTES,
  MAX_PREVIEW_BYTES,
  orthancPreviewSource,
} from "../../src/http/routes/preview.js";
import { RemoteBackend } from "../../src/inference/index.js";
import { inferResponseCap } from "../../src/inference/remote/remote-backend.js";
import { SqliteJobStore } from "../../src/jobs/index.js";
import {
  NotificationLog,
  WebhookNotifier,
  type NotificationRecord,
} from "../../src/notify/index.js";
import { silentLogger } from "../../src/observability/index.js";
import { OrthancClient } from "../../src/orthanc/index.js";
import { MAX_ORTHANC_RESPONSE_BYTES } from "../../src/orthanc/client.js";
import { DISCARD_MAX_BYTES } from "../../src/security/index.js";
import {
  fakeImageEncoder,
  startFakeOipServer,
  type FakeOipServer,
} from "../inference/fake-oip-server.js";
import { STUDY_IDS, completeNext, result } from "../http/routes/helpers.js";
import { makeTestInstance } from "../helpers/orthanc.js";
import { FLOOD_BYTES, rssRiseDuring, startHostilePeer, type HostilePeer } from "./hostile-peer.js";
import { waitFor } from "../helpers/wait.js";

const INSTANCE_ID = "0a1b2c3d-11111111-22222222-33333333-44444444";
/** What a kernel's socket buffers and one in-flight chunk may add on top of the cap. */
const SLACK = 16 * 1024 * 1024;
/**
 * The smallest RSS rise this test tells from noise in a process running mocha
 * (a few MiB come and go with any request): caps under 8 MiB are held to this
 * instead of 2 × cap. Without the bound the rise would be up to 1 GiB.
 */
const RSS_NOISE = 16 * 1024 * 1024;

async function expectCode(outcome: PromiseSettledResult<unknown>, code: string): Promise<void> {
  if (outcome.status === "fulfilled") expect.fail(`expected ${code}, got an answer`);
  const err: unknown = outcome.reason;
  expect(err, String(err)).to.be.instanceOf(RadzError);
  expect((err as RadzError).code, (err as Error).message).to.equal(code);
}

describe("security/bounded reads: a peer streaming 1 GiB without a length", function () {
  this.timeout(30_000);
  let peer: HostilePeer | undefined;
  afterEach(async () => {
    await peer?.close();
    peer = undefined;
  });

  /**
   * The call's coded error, the peer cut off soon after the cap, RSS below
   * 2 × cap. The first two floods are not measured: they grow V8's young
   * generation and malloc's arenas to their working size once per process
   * and path (40 then 12 MiB for the preview, whatever the cap; then under
   * 1 MiB), which is not memory the reader holds.
   */
  async function judge(
    cap: number,
    code: string,
    call: () => Promise<unknown>,
  ): Promise<{ rise: number }> {
    for (let i = 0; i < 2; i++) {
      const [warm] = await Promise.allSettled([call()]);
      await expectCode(warm, code);
    }
    const sentBefore = peer!.sent;
    const { rise, outcome } = await rssRiseDuring(call);
    await expectCode(outcome, code);
    const sent = peer!.sent - sentBefore;
    expect(sent, "bytes the peer sent before it was cut off").to.be.below(cap + SLACK);
    expect(sent).to.be.below(FLOOD_BYTES);
    expect(
      rise,
      `RSS rise ${(rise / 2 ** 20).toFixed(1)} MiB, cap ${cap / 2 ** 20} MiB`,
    ).to.be.below(2 * cap);
    return { rise };
  }

  it("preview route, the image: ORTHANC_RESPONSE_TOO_LARGE", async () => {
    let flood = false;
    peer = await startHostilePeer((req) =>
      req.url === "/tools/lookup"
        ? {
            respond: (res) => void res.end(JSON.stringify([{ ID: INSTANCE_ID, Type: "Instance" }])),
          }
        : flood
          ? { contentType: "image/png" }
          : {
              respond: (res) => void res.writeHead(200, { "Content-Type": "image/png" }).end("png"),
            },
    );
    const source = orthancPreviewSource({
      url: peer.url,
      http: { fetch: (u, i) => fetch(u, i), headers: {} },
      timeoutMs: 20_000,
    });
    expect((await source.preview("1.2.3"))?.body.byteLength).to.equal(3); // warm the path
    flood = true;
    await judge(MAX_PREVIEW_BYTES, "ORTHANC_RESPONSE_TOO_LARGE", () => source.preview("1.2.3"));
  });

  it("preview route, the lookup: ORTHANC_RESPONSE_TOO_LARGE", async () => {
    peer = await startHostilePeer(() => ({ contentType: "application/json", prefix: "[" }));
    const source = orthancPreviewSource({
      url: peer.url,
      http: { fetch: (u, i) => fetch(u, i), headers: {} },
      timeoutMs: 20_000,
    });
    await judge(MAX_LOOKUP_BYTES, "ORTHANC_RESPONSE_TOO_LARGE", () => source.preview("1.2.3"));
  });

  it("Orthanc client (REST JSON): ORTHANC_RESPONSE_TOO_LARGE", async () => {
    peer = await startHostilePeer(() => ({ contentType: "application/json", prefix: "{" }));
    const orthanc = new OrthancClient({ url: peer.url, timeoutMs: 20_000 });
    await judge(MAX_ORTHANC_RESPONSE_BYTES, "ORTHANC_RESPONSE_TOO_LARGE", () =>
      orthanc.changes(0, 100),
    );
  });

  it("Orthanc client, an error answer: read within 64 KiB, the status's code", async () => {
    peer = await startHostilePeer(() => ({ status: 500, contentType: "text/plain" }));
    const orthanc = new OrthancClient({ url: peer.url, timeoutMs: 20_000 });
    await judge(DISCARD_MAX_BYTES, "ORTHANC_HTTP_ERROR", () => orthanc.changes(0, 100));
  });

  function dicomweb(maxInstanceBytes = 8 * 1024 * 1024): DicomWebClient {
    return new DicomWebClient({
      url: `${peer!.url}/dicom-web`,
      timeoutMs: 20_000,
      maxInstanceBytes,
    });
  }

  it("QIDO-RS: DICOMWEB_RESPONSE_TOO_LARGE", async () => {
    peer = await startHostilePeer(() => ({ contentType: "application/dicom+json", prefix: "[" }));
    await judge(MAX_QIDO_RESPONSE_BYTES, "DICOMWEB_RESPONSE_TOO_LARGE", () =>
      dicomweb().searchForStudies(),
    );
  });

  it("WADO-RS, single part: DICOMWEB_INSTANCE_TOO_LARGE", async () => {
    peer = await startHostilePeer(() => ({ contentType: "application/dicom" }));
    await judge(8 * 1024 * 1024, "DICOMWEB_INSTANCE_TOO_LARGE", () =>
      dicomweb().retrieveInstance("1.2.3", "1.2.3.4", "1.2.3.4.5"),
    );
  });

  it("WADO-RS, multipart: DICOMWEB_INSTANCE_TOO_LARGE", async () => {
    const boundary = "radz-hostile";
    peer = await startHostilePeer(() => ({
      contentType: `multipart/related; type="application/dicom"; boundary=${boundary}`,
      prefix: `--${boundary}\r\nContent-Type: application/dicom\r\n\r\n${"\0".repeat(128)}DICM`,
    }));
    await judge(8 * 1024 * 1024, "DICOMWEB_INSTANCE_TOO_LARGE", () =>
      dicomweb().retrieveInstance("1.2.3", "1.2.3.4", "1.2.3.4.5"),
    );
  });

  it("STOW-RS (dicomweb-client + xhr2): DICOMWEB_RESPONSE_TOO_LARGE", async () => {
    peer = await startHostilePeer(() => ({ contentType: "application/dicom+json", prefix: "{" }));
    const instance = makeTestInstance();
    await judge(MAX_DWC_RESPONSE_BYTES, "DICOMWEB_RESPONSE_TOO_LARGE", () =>
      dicomweb().storeInstances([instance.bytes]),
    );
  });

  describe("remote inference", () => {
    let oip: FakeOipServer;
    before(async () => {
      oip = await startFakeOipServer({
        models: [
          fakeImageEncoder({
            name: "m",
            input: "image",
            output: "embedding",
            channels: 1,
            size: 4,
            dim: 8,
          }),
        ],
        validate: false,
      });
    });
    after(() => oip.close());

    it("an inference answer: INFERENCE_REMOTE_RESPONSE_TOO_LARGE", async () => {
      // Everything but the inference itself is answered by a well-behaved fake.
      peer = await startHostilePeer((req, body) =>
        req.url?.endsWith("/infer")
          ? { contentType: "application/json", prefix: "{" }
          : {
              respond: async (res) => {
                const r = await fetch(`${oip.url}${req.url}`, {
                  method: req.method,
                  ...(req.method === "POST" ? { body } : {}),
                });
                res.writeHead(r.status, { "Content-Type": r.headers.get("content-type") ?? "" });
                res.end(Buffer.from(await r.arrayBuffer()));
              },
            },
      );
      const maxBatch = 4;
      const backend = new RemoteBackend({
        endpoints: [{ url: peer.url }],
        modelName: "m",
        inputName: "image",
        outputName: "embedding",
        inputShape: [1, 4, 4],
        embeddingSize: 8,
        timeoutMs: 20_000,
        maxAttempts: 3,
        probeIntervalMs: 60_000,
        maxBatch,
        binary: false,
        logger: silentLogger(),
      });
      await backend.start();
      try {
        await judge(inferResponseCap(maxBatch, 8), "INFERENCE_REMOTE_RESPONSE_TOO_LARGE", () =>
          backend.embedImages([new Float32Array(16)]),
        );
      } finally {
        await backend.close();
      }
    });
  });

  it("webhook notifier, the receiver's answer: NOTIFY_RESPONSE_TOO_LARGE on the attempt", async () => {
    peer = await startHostilePeer(() => ({ contentType: "text/plain" }));
    const work = mkdtempSync(join(tmpdir(), "radz-bounded-"));
    const store = new SqliteJobStore({ path: join(work, "radz.sqlite") });
    const log = new NotificationLog({ path: join(work, "radz.sqlite") });
    const attempts: NotificationRecord[] = [];
    const notifier = new WebhookNotifier({
      url: `${peer.url}/hook`,
      secret: "bounded-reads-secret-0123456789",
      timeoutMs: 20_000,
      maxAttempts: 3,
      backoffBaseMs: 60_000,
      backoffMaxMs: 60_000,
      log,
      logger: silentLogger(),
      links: () => ({}),
      onAttempt: (r) => attempts.push(r),
    });
    try {
      store.enqueue(STUDY_IDS[0], "changes");
      const job = completeNext(
        store,
        STUDY_IDS[0],
        result("urgent", { pneumothorax: 0.9 }),
        Date.now(),
      );
      notifier.start();
      const { rise } = await rssRiseDuring(async () => {
        notifier.onSettled(job);
        await waitFor(() => attempts.length > 0, 20_000, "the delivery attempt", 5);
      });
      expect(attempts[0]?.lastError?.code).to.equal("NOTIFY_RESPONSE_TOO_LARGE");
      expect(attempts[0]?.state).to.equal("pending"); // retried later
      expect(peer.sent).to.be.below(DISCARD_MAX_BYTES + SLACK);
      expect(rise).to.be.below(RSS_NOISE);
    } finally {
      await notifier.stop();
      log.close();
      store.close();
      rmSync(work, { recursive: true, force: true });
    }
  });

  it("radz doctor's probe: the RESPONSE_TOO_LARGE outcome", async () => {
    peer = await startHostilePeer(() => ({ contentType: "application/json" }));
    const { rise, outcome } = await rssRiseDuring(() =>
      probe((u, i) => fetch(u, i), `${peer!.url}/system`, { timeoutMs: 20_000 }),
    );
    expect(outcome.status === "fulfilled" ? outcome.value : outcome.reason).to.deep.include({
      kind: "error",
      code: "RESPONSE_TOO_LARGE",
    });
    expect(peer.sent).to.be.below(1024 * 1024 + SLACK);
    expect(rise).to.be.below(RSS_NOISE);
  });
});
