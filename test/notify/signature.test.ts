import { createHmac } from "node:crypto";
import { expect } from "chai";
import { signWebhook, verifyWebhookSignature } from "../../src/notify/index.js";

const SECRET = "a-shared-secret-of-some-length";

describe("notify/signature", () => {
  it("is sha256= + hex HMAC-SHA256(secret, timestamp + '.' + body)", () => {
    const body = '{"event":"study.urgent"}';
    const expected = createHmac("sha256", SECRET).update(`1718000000.${body}`).digest("hex");
    expect(signWebhook(SECRET, 1718000000, body)).to.equal(`sha256=${expected}`);
    expect(signWebhook(SECRET, 1718000000, Buffer.from(body))).to.equal(`sha256=${expected}`);
  });

  it("verifies a fresh signature and refuses tampering, other keys, old or missing timestamps", () => {
    const body = '{"a":1}';
    const now = 1_718_000_000;
    const sig = signWebhook(SECRET, now, body);
    const ok = { secret: SECRET, timestamp: String(now), signature: sig, body, now };
    expect(verifyWebhookSignature(ok)).to.equal(true);
    expect(verifyWebhookSignature({ ...ok, body: '{"a":2}' })).to.equal(false);
    expect(verifyWebhookSignature({ ...ok, secret: "another-secret-entirely" })).to.equal(false);
    expect(verifyWebhookSignature({ ...ok, now: now + 301 })).to.equal(false);
    expect(verifyWebhookSignature({ ...ok, now: now + 299 })).to.equal(true);
    expect(verifyWebhookSignature({ ...ok, timestamp: undefined })).to.equal(false);
    expect(verifyWebhookSignature({ ...ok, timestamp: "12abc" })).to.equal(false);
    expect(verifyWebhookSignature({ ...ok, signature: sig.slice(0, -1) })).to.equal(false);
    expect(verifyWebhookSignature({ ...ok, signature: undefined })).to.equal(false);
  });
});
