import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { SqliteJobStore, studyFeedbackKey } from "../../src/jobs/index.js";
import { radz } from "../cli/run-cli.js";

describe("jobs: feedback", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "radz-feedback-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("is stored durably under hashed study keys; the latest verdict per (study, label) is current", () => {
    const db = path.join(dir, "radz.sqlite");
    let t = 1000;
    const store = new SqliteJobStore({ path: db, now: () => t });
    const { job } = store.enqueue("orthanc-1", "changes");
    store.setStudyInstanceUid(job.id, "1.2.3");
    expect(
      store.addFeedback(
        [
          { studyInstanceUid: "1.2.3", label: "nodule", verdict: "present" },
          { studyInstanceUid: "1.2.4", label: "nodule", verdict: "absent" },
        ],
        { author: "dr-a", source: "worklist" },
      ),
    ).to.equal(2);
    t = 2000;
    store.addFeedback([{ studyInstanceUid: "1.2.3", label: "nodule", verdict: "absent" }], {
      author: "dr-b",
      source: "worklist",
    });
    store.close();

    const reopened = new SqliteJobStore({ path: db });
    try {
      const current = reopened.listFeedback();
      expect(current.map((f) => [f.studyKey, f.verdict, f.author, f.jobId])).to.deep.equal([
        [studyFeedbackKey("1.2.3"), "absent", "dr-b", job.id],
        [studyFeedbackKey("1.2.4"), "absent", "dr-a", null],
      ]);
      expect(reopened.listFeedback({ current: false })).to.have.length(3);
      expect(reopened.listFeedback({ label: "pneumothorax" })).to.deep.equal([]);
      expect(current[0]!.createdAt).to.equal(2000);
    } finally {
      reopened.close();
    }
    // The UIDs themselves are not in the feedback table.
    expect(studyFeedbackKey("1.2.3")).to.match(/^[0-9a-f]{32}$/);
  });

  it("radz feedback import truth.csv stores one entry per known cell; list shows them", async () => {
    const truth = path.join(dir, "truth.csv");
    writeFileSync(truth, "studyInstanceUID,nodule,pneumothorax\n1.2.3,1,0\n1.2.4,,1\n");
    const env = { RADZ_JOBS__DB_PATH: path.join(dir, "radz.sqlite") };
    Object.assign(process.env, env);
    try {
      const r = await radz(["feedback", "import", truth, "--json"]);
      expect(r.status, r.stderr).to.equal(0);
      expect(JSON.parse(r.stdout)).to.deep.equal({ stored: 3, studies: 2 });
      const list = await radz(["feedback", "list", "--json"]);
      const rows = list.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { label: string; verdict: string; author: string });
      expect(rows.map((x) => `${x.label}=${x.verdict}`).sort()).to.deep.equal([
        "nodule=present",
        "pneumothorax=absent",
        "pneumothorax=present",
      ]);
      expect(rows[0]!.author).to.equal("import truth.csv");
      expect(list.stdout).to.not.include("1.2.3");
      expect(readFileSync(truth, "utf8")).to.include("1.2.3");
    } finally {
      delete process.env.RADZ_JOBS__DB_PATH;
    }
  });
});
