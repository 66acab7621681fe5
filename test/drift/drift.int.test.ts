/**
 * Issue 21 acceptance: the synthetic site switches mid-stream and the drift
 * alert fires after the switch and not before. A real Orthanc, the service
 * with the demo bundle, a local webhook receiver:
 *
 *   1. 60 studies from site `default` (seed 21): the reference window
 *   2. 60 more from `default`: the first full current window; no alert
 *      (no drift.alert webhook, no DRIFT_ALERT log line, every radz_drift_psi
 *      below the alert level)
 *   3. 60 from site `shifted` (seed 22): a drift.alert webhook with a valid
 *      signature, the log line, radz_drift_psi past the alert level and
 *      radz_drift_alerts_total = 1 for that label
 *
 * Small windows keep the test short, so its levels are scaled to them: with
 * 60 + 60 studies and 5 bins, PSI from sampling noise alone averages
 * 4 × (1/60 + 1/60) = 0.13 (docs/drift.md), hence watch 0.3 and alert 0.6
 * here instead of the defaults' 0.1 and 0.25 (made for 500 + 500 studies and
 * 10 bins). Measured offline with `radz infer` on the same studies: the
 * largest PSI before the switch is 0.19 (pleural effusion); with the window
 * all `shifted`, every label's is 0.86 or more.
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import { Writable } from "node:stream";
import { expect } from "chai";
import { isTerminal } from "../../src/jobs/index.js";
import { verifyWebhookSignature } from "../../src/notify/index.js";
import { createLogger } from "../../src/observability/index.js";
import { OrthancClient } from "../../src/orthanc/index.js";
import { generateSyntheticStudy, type SyntheticSite } from "../../src/synthetic/index.js";
import type { Service } from "../../src/app.js";
import { useOrthanc } from "../helpers/orthanc.js";
import { useService } from "../helpers/service.js";
import { waitFor } from "../helpers/wait.js";
import { authHeaders } from "../security/fixtures.js";

interface PromFamily {
  name: string;
  metrics: { labels?: Record<string, string>; value?: string }[];
}
const parsePrometheus = createRequire(import.meta.url)("parse-prometheus-text-format") as (
  text: string,
) => PromFamily[];

const SECRET = "drift-test-secret-0123456789";
const WINDOW = 60;
const ALERT_LEVEL = 0.6;
const SIZE = 256;

interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

describe("drift: the synthetic site switches mid-stream (real Orthanc, demo bundle)", function () {
  this.timeout(600_000);
  const orthanc = useOrthanc({ stableAgeSeconds: 1 });
  const received: Received[] = [];
  let receiver: Server;
  let receiverUrl = "";
  const logs: Record<string, unknown>[] = [];
  const radz = useService({
    prefix: "radz-drift-int-",
    orthancUrl: () => orthanc.url,
    config: {
      jobs: { concurrency: 2 },
      drift: {
        referenceSize: WINDOW,
        windowSize: WINDOW,
        // Only a full window is judged: before the switch that is exactly studies 61-120.
        minWindowSize: WINDOW,
        bins: 5,
        watchLevel: 0.3,
        alertLevel: ALERT_LEVEL,
      },
    },
  });

  before(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  });
  after(async () => {
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  });

  const driftEvents = () => received.filter((r) => r.headers["x-radz-event"] === "drift.alert");
  const driftLogLines = () => logs.filter((l) => l.code === "DRIFT_ALERT");

  /** Uploads studies `from` … `from + count − 1` of a site and seed; waits until all are done. */
  async function feed(
    svc: Service,
    site: SyntheticSite,
    seed: number,
    from: number,
    count = WINDOW,
  ): Promise<void> {
    const client = new OrthancClient({ url: orthanc.url, timeoutMs: 30_000 });
    const ids: string[] = [];
    for (let i = from; i < from + count; i++) {
      const options = { count: from + count, seed, site, rows: SIZE, columns: SIZE };
      const study = generateSyntheticStudy(options, i);
      for (const bytes of study.instances)
        ids.push((await client.uploadInstance(bytes)).parentStudy);
    }
    await waitFor(
      () => ids.every((id) => isTerminal(svc.store.getByStudy(id)?.state ?? "queued")),
      300_000,
      `the ${site} studies to finish`,
      200,
    );
    for (const id of ids) {
      const job = svc.store.getByStudy(id)!;
      expect(job.state, JSON.stringify(job.lastError)).to.equal("done");
    }
  }

  async function driftMetrics(svc: Service): Promise<{
    psi: Map<string, number>;
    alerts: Map<string, number>;
  }> {
    const res = await fetch(`${svc.url}/metrics`, { headers: authHeaders("read") });
    expect(res.status).to.equal(200);
    const families = parsePrometheus(await res.text());
    const series = (name: string) =>
      new Map(
        (families.find((f) => f.name === name)?.metrics ?? []).map((m) => [
          m.labels?.label ?? "",
          Number(m.value),
        ]),
      );
    return { psi: series("radz_drift_psi"), alerts: series("radz_drift_alerts_total") };
  }

  it("alerts after the switch to the shifted site, and not before", async () => {
    const sink = new Writable({
      write(chunk: Buffer, _e, cb) {
        for (const line of chunk.toString("utf8").split("\n").filter(Boolean)) {
          logs.push(JSON.parse(line) as Record<string, unknown>);
        }
        cb();
      },
    });
    const start = () =>
      radz.start(
        { notify: { webhookUrl: receiverUrl, secret: SECRET, backoffBaseMs: 100 } },
        { logger: createLogger({ level: "info", destination: sink }) },
      );
    let svc = await start();

    // 1 + 2: the reference window, then a full current window, both from the default site.
    await feed(svc, "default", 21, 0);
    const api = async () =>
      (await (await fetch(`${svc.url}/api/drift`, { headers: authHeaders("read") })).json()) as {
        referenceCount: number;
        windowCount: number;
        labels: { label: string; level: string; psi: number | null }[];
      };
    expect((await api()).referenceCount).to.equal(WINDOW);
    expect((await api()).labels.every((l) => l.level === "collecting")).to.equal(true);
    const defaultStudies = generateSyntheticStudyIds("default", 21, 2 * WINDOW);
    await feed(svc, "default", 21, WINDOW);
    const before = await api();
    expect(before.windowCount).to.equal(WINDOW);
    const m0 = await driftMetrics(svc);
    expect([...m0.psi.keys()].sort()).to.deep.equal(before.labels.map((l) => l.label).sort());
    for (const [label, psi] of m0.psi) expect(psi, label).to.be.below(ALERT_LEVEL);
    expect(before.labels.map((l) => l.level)).to.not.include("alert");
    expect(driftEvents(), "no drift alert before the switch").to.deep.equal([]);
    expect(driftLogLines(), "no drift log line before the switch").to.deep.equal([]);
    expect(m0.alerts.size).to.equal(0);
    expect(defaultStudies.size).to.equal(2 * WINDOW);

    // 3: the switch.
    await feed(svc, "shifted", 22, 0);
    await waitFor(() => driftEvents().length > 0, 60_000, "the drift.alert webhook", 100);
    const event = driftEvents()[0]!;
    expect(
      verifyWebhookSignature({
        secret: SECRET,
        timestamp: event.headers["x-radz-timestamp"] as string,
        signature: event.headers["x-radz-signature"] as string,
        body: event.body,
      }),
      "signature",
    ).to.equal(true);
    const payload = JSON.parse(event.body) as {
      event: string;
      drift: { labelId: string; psi: number; alertLevel: number; orthancStudyId: string };
    };
    expect(payload.event).to.equal("drift.alert");
    expect(payload.drift.psi).to.be.at.least(ALERT_LEVEL);
    expect(payload.drift.alertLevel).to.equal(ALERT_LEVEL);
    // The study that made the label cross is one of the shifted site's.
    const crossing = svc.store.getByStudy(payload.drift.orthancStudyId)!;
    expect(defaultStudies.has(crossing.studyInstanceUid!)).to.equal(false);
    // No PHI: the synthetic patient name, ID and accession number never leave.
    expect(event.body).to.not.match(/SYNTHETIC\^|SYN\d{6}-|SYNACC/);

    const labels = new Set(
      driftEvents().map((e) => (JSON.parse(e.body) as typeof payload).drift.labelId),
    );
    const lines = driftLogLines();
    expect(new Set(lines.map((l) => l.label))).to.deep.equal(labels);
    expect(lines).to.have.length(labels.size); // once per crossing, not per study
    const m1 = await driftMetrics(svc);
    for (const label of labels) {
      expect(m1.psi.get(label), label).to.be.at.least(ALERT_LEVEL);
      expect(m1.alerts.get(label), label).to.equal(1);
    }
    const after = await api();
    expect(after.labels.filter((l) => l.level === "alert").map((l) => l.label)).to.include.members([
      ...labels,
    ]);

    // A restart neither forgets the alert nor repeats it as more shifted studies come in.
    await radz.stop(svc);
    svc = await start();
    const restarted = await api();
    expect(restarted.windowCount).to.equal(WINDOW);
    expect(restarted.labels.filter((l) => labels.has(l.label)).map((l) => l.level)).to.deep.equal(
      [...labels].map(() => "alert"),
    );
    await feed(svc, "shifted", 22, WINDOW, 10);
    expect((await driftMetrics(svc)).psi.size).to.equal(after.labels.length);
    expect(driftEvents()).to.have.length(labels.size);
    expect(driftLogLines()).to.have.length(labels.size);
  });

  /** Study Instance UIDs of the first `n` studies of a site and seed (UIDs do not depend on the size). */
  function generateSyntheticStudyIds(site: SyntheticSite, seed: number, n: number): Set<string> {
    const out = new Set<string>();
    for (let i = 0; i < n; i++) {
      out.add(
        generateSyntheticStudy({ count: n, seed, site, rows: 16, columns: 16 }, i).studyInstanceUid,
      );
    }
    return out;
  }
});
