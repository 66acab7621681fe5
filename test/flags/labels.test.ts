/**
 * The labels path against a fake of Orthanc 1.12's REST API:
 * GET /system, GET /plugins, GET /studies/{id}/labels,
 * PUT/DELETE /studies/{id}/labels/{label}.
 */
import { expect } from "chai";
import {
  DEFAULT_METADATA_NAMES,
  StudyFlagger,
  type FlagInput,
  type FlagMode,
} from "../../src/flags/index.js";
import { silentLogger } from "../../src/observability/index.js";
import { OrthancClient } from "../../src/orthanc/index.js";
import { startFakeServer, type FakeServer } from "../helpers/http.js";

const STUDY = "6b3c2a11-0d9e4f21-8a7b6c5d-4e3f2a1b-0c9d8e7f";

const urgent: FlagInput = {
  priority: "urgent",
  findings: [
    { labelId: "pneumothorax", probability: 0.97, positive: true },
    { labelId: "nodule", probability: 0.61, positive: true },
    { labelId: "cardiomegaly", probability: 0.05, positive: false },
  ],
  sr: { sopInstanceUid: "2.25.1" },
};

/** A minimal Orthanc 1.12 that keeps study labels in memory. */
async function fakeOrthanc112(version = "1.12.4", hasLabels: boolean | null = true) {
  const labels = new Map<string, Set<string>>([[STUDY, new Set(["teaching"])]]);
  const fake = await startFakeServer((req, res) => {
    const url = req.url ?? "";
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.method === "GET" && url === "/system") {
      return json(200, {
        Version: version,
        ApiVersion: 22,
        Name: "FAKE",
        ...(hasLabels === null ? {} : { HasLabels: hasLabels }),
      });
    }
    if (req.method === "GET" && url === "/plugins") return json(200, ["dicom-web"]);
    const m = /^\/studies\/([0-9a-f-]+)\/labels(?:\/([A-Za-z0-9_-]+))?$/.exec(url);
    const set = m ? labels.get(m[1] ?? "") : undefined;
    if (!m || !set) return json(404, { OrthancError: "Unknown resource" });
    const label = m[2];
    if (req.method === "GET" && label === undefined) return json(200, [...set].sort());
    if (req.method === "PUT" && label !== undefined) {
      set.add(label);
      return json(200, {});
    }
    if (req.method === "DELETE" && label !== undefined) {
      if (!set.delete(label)) return json(404, { OrthancError: "Inexistent item" });
      return json(200, {});
    }
    return json(405, { OrthancError: "Method not allowed" });
  });
  return { fake, labels: () => [...(labels.get(STUDY) ?? [])].sort() };
}

function flagger(fake: FakeServer, mode: FlagMode = "auto", labelPrefix = "ai-") {
  return new StudyFlagger({
    orthanc: new OrthancClient({ url: fake.url, timeoutMs: 5_000 }),
    mode,
    labelPrefix,
    metadataNames: DEFAULT_METADATA_NAMES,
    logger: silentLogger(),
  });
}

describe("flags/labels (mock Orthanc 1.12 REST API)", () => {
  let server: Awaited<ReturnType<typeof fakeOrthanc112>> | null = null;
  afterEach(async () => {
    await server?.fake.close();
    server = null;
  });

  it("adds ai-urgent and one label per positive finding with PUT, keeping foreign labels", async () => {
    server = await fakeOrthanc112();
    const applied = await flagger(server.fake).apply(STUDY, urgent);
    expect(applied.method).to.equal("labels");
    expect(server.labels()).to.deep.equal([
      "ai-nodule",
      "ai-pneumothorax",
      "ai-urgent",
      "teaching",
    ]);
    const puts = server.fake.requests.filter((r) => r.method === "PUT").map((r) => r.url);
    expect(puts).to.have.members([
      `/studies/${STUDY}/labels/ai-urgent`,
      `/studies/${STUDY}/labels/ai-pneumothorax`,
      `/studies/${STUDY}/labels/ai-nodule`,
    ]);
  });

  it("replaces, not accumulates: re-processing removes RadZ labels no longer wanted (DELETE)", async () => {
    server = await fakeOrthanc112();
    const f = flagger(server.fake);
    await f.apply(STUDY, urgent);
    const review: FlagInput = {
      priority: "review",
      findings: [{ labelId: "nodule", probability: 0.7, positive: true }],
      sr: { sopInstanceUid: "2.25.1" },
    };
    const applied = await f.apply(STUDY, review);
    expect(applied.removed).to.have.members(["ai-urgent", "ai-pneumothorax"]);
    expect(applied.set).to.deep.equal(["ai-review"]);
    expect(server.labels()).to.deep.equal(["ai-nodule", "ai-review", "teaching"]);
    await f.apply(STUDY, { priority: "routine", findings: [], sr: null });
    expect(server.labels()).to.deep.equal(["teaching"]);
    const deletes = server.fake.requests.filter((r) => r.method === "DELETE");
    expect(deletes.map((r) => r.url)).to.not.include(`/studies/${STUDY}/labels/teaching`);
  });

  it("asks /system once per flagger (feature detection is cached)", async () => {
    server = await fakeOrthanc112();
    const f = flagger(server.fake);
    await f.apply(STUDY, urgent);
    await f.apply(STUDY, urgent);
    expect(server.fake.requests.filter((r) => r.url === "/system")).to.have.length(1);
    // Idempotent: the second apply changed nothing.
    expect(server.fake.requests.filter((r) => r.method === "PUT")).to.have.length(3);
  });

  it("uses the configured prefix, and leaves labels with another prefix alone", async () => {
    server = await fakeOrthanc112();
    await flagger(server.fake, "auto", "ai-").apply(STUDY, urgent);
    await flagger(server.fake, "auto", "radz-").apply(STUDY, urgent);
    expect(server.labels()).to.include.members(["radz-urgent", "ai-urgent", "teaching"]);
  });

  it("detects labels from the version when /system has no HasLabels, and none before 1.12", async () => {
    server = await fakeOrthanc112("1.12.0", null);
    expect(await flagger(server.fake).method()).to.equal("labels");
    await server.fake.close();
    server = await fakeOrthanc112("1.11.3", null);
    expect(await flagger(server.fake).method()).to.equal("metadata");
    await server.fake.close();
    server = await fakeOrthanc112("1.12.4", false); // a backend without label support
    expect(await flagger(server.fake).method()).to.equal("metadata");
  });

  it("mode off writes nothing", async () => {
    server = await fakeOrthanc112();
    const applied = await flagger(server.fake, "off").apply(STUDY, urgent);
    expect(applied.method).to.equal("none");
    expect(server.fake.requests).to.have.length(0);
  });

  it("does not cache a failed detection", async () => {
    server = await fakeOrthanc112();
    const f = flagger(server.fake);
    const ok = server.fake.handler;
    server.fake.handler = (_req, res) => {
      res.writeHead(503);
      res.end();
    };
    let failed = false;
    await f.method().catch(() => (failed = true));
    expect(failed).to.equal(true);
    server.fake.handler = ok;
    expect(await f.method()).to.equal("labels");
  });
});
