import { expect } from "chai";
import { EventBus, type RadzEvent } from "../../../src/http/events.js";
import { SqliteJobStore } from "../../../src/jobs/index.js";
import { STUDY_IDS, startApi } from "./helpers.js";

describe("http/events EventBus", () => {
  const store = new SqliteJobStore({ path: ":memory:" });
  after(() => store.close());
  const job = () => store.enqueue(STUDY_IDS[0], "changes").job;

  it("delivers to every listener; a throwing listener neither stops the others nor the publisher", () => {
    const errors: unknown[] = [];
    const bus = new EventBus({ onListenerError: (e) => errors.push(e) });
    const got: RadzEvent[] = [];
    bus.subscribe(() => {
      throw new Error("boom");
    });
    const off = bus.subscribe((e) => got.push(e));
    bus.publish({ type: "job", job: job() });
    expect(got).to.have.length(1);
    expect(errors).to.have.length(1);
    off();
    bus.publish({ type: "job", job: job() });
    expect(got).to.have.length(1);
    expect(bus.listenerCount).to.equal(1);
  });

  it("close() runs every onClose once and refuses later subscribers", () => {
    const bus = new EventBus();
    let closed = 0;
    bus.subscribe(
      () => undefined,
      () => closed++,
    );
    bus.close();
    bus.close();
    expect(closed).to.equal(1);
    expect(bus.listenerCount).to.equal(0);
    bus.subscribe(
      () => undefined,
      () => closed++,
    );
    expect(closed).to.equal(2);
  });

  it("closing the bus ends open SSE streams, so the HTTP server can shut down", async () => {
    const bus = new EventBus();
    const api = await startApi(store, { events: bus });
    try {
      const res = await api.fetch("/api/events");
      const reader = res.body!.getReader();
      await reader.read(); // "retry:" preamble
      bus.close();
      let done = false;
      const deadline = Date.now() + 3_000;
      while (!done && Date.now() < deadline) done = (await reader.read()).done;
      expect(done).to.equal(true);
    } finally {
      await api.close();
    }
  });
});
