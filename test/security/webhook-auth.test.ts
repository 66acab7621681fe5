import { expect } from "chai";
import { RadzError } from "../../src/errors.js";
import {
  ReplayGuard,
  signWebhook,
  verifyWebhook,
  webhookBearerToken,
  type WebhookAuthOptions,
} from "../../src/security/webhook-auth.js";

const SECRET = "0123456789abcdef-test-secret";
const BODY = '{"ChangeType":"StableStudy","ID":"0a1b2c3d-0a1b2c3d-0a1b2c3d-0a1b2c3d-0a1b2c3d"}';
const T0 = 1_700_000_000;

function opts(over: Partial<WebhookAuthOptions> = {}): WebhookAuthOptions {
  return {
    secret: SECRET,
    maxSkewSeconds: 300,
    acceptBearer: true,
    now: () => T0 * 1000,
    ...over,
  };
}

function signed(ts: number, body = BODY, secret = SECRET) {
  return {
    headers: {
      "x-radz-timestamp": String(ts),
      "x-radz-signature": signWebhook(secret, String(ts), body),
    },
    body: Buffer.from(body),
  };
}

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(RadzError);
    expect((err as RadzError).code).to.equal("WEBHOOK_UNAUTHORIZED");
    return (err as RadzError).message;
  }
  expect.fail("expected WEBHOOK_UNAUTHORIZED");
}

describe("security/webhook-auth", () => {
  it("signs as HMAC-SHA256(secret, timestamp + '.' + body), matching Python's hmac module", () => {
    // Vectors computed with python3: hmac.new(secret, b"1700000000." + body, hashlib.sha256)
    expect(signWebhook(SECRET, String(T0), BODY)).to.equal(
      "sha256=c03d9404df4963a8f82426bf24b8929aa0e2a63565e060b1863e0d7d5b9976f3",
    );
    expect(webhookBearerToken(SECRET)).to.equal(
      "9210a6fd13ca11f0b71704ae8e4ce2c66669f993fe5954a51dda31c086199094",
    );
  });

  it("accepts a fresh signed request, including one at the edge of the window", () => {
    expect(verifyWebhook(signed(T0), opts())).to.equal("hmac");
    expect(verifyWebhook(signed(T0 - 300), opts())).to.equal("hmac");
    expect(verifyWebhook(signed(T0 + 300), opts())).to.equal("hmac");
  });

  it("refuses stale, future, unsigned, malformed and wrongly keyed requests", () => {
    expect(refusal(() => verifyWebhook(signed(T0 - 301), opts()))).to.match(/replay window/);
    expect(refusal(() => verifyWebhook(signed(T0 + 301), opts()))).to.match(/replay window/);
    expect(refusal(() => verifyWebhook({ headers: {}, body: Buffer.from(BODY) }, opts()))).to.match(
      /no x-radz-signature/,
    );
    expect(
      refusal(() => verifyWebhook(signed(T0, BODY, "another-secret-0123456"), opts())),
    ).to.match(/bad signature/);
    const tampered = { ...signed(T0), body: Buffer.from(BODY.replace("0a1b", "ffff")) };
    expect(refusal(() => verifyWebhook(tampered, opts()))).to.match(/bad signature/);
    const noTs = signed(T0);
    expect(
      refusal(() =>
        verifyWebhook(
          { body: noTs.body, headers: { "x-radz-signature": noTs.headers["x-radz-signature"] } },
          opts(),
        ),
      ),
    ).to.match(/x-radz-timestamp/);
    expect(
      refusal(() =>
        verifyWebhook(
          { body: noTs.body, headers: { ...noTs.headers, "x-radz-signature": "deadbeef" } },
          opts(),
        ),
      ),
    ).to.match(/malformed/);
  });

  it("accepts each signature once within the window (replay guard)", () => {
    const guard = new ReplayGuard();
    const req = signed(T0);
    expect(verifyWebhook(req, opts({ replayGuard: guard }))).to.equal("hmac");
    expect(refusal(() => verifyWebhook(req, opts({ replayGuard: guard })))).to.match(/replayed/);
    // A new timestamp is a new signature.
    expect(verifyWebhook(signed(T0 + 1), opts({ replayGuard: guard }))).to.equal("hmac");
  });

  it("keeps the replay guard bounded and forgets expired signatures", () => {
    const guard = new ReplayGuard(3);
    for (let i = 0; i < 10; i++) expect(guard.remember(`s${i}`, 2_000, 1_000)).to.equal(true);
    expect(guard.size).to.equal(3);
    expect(guard.remember("s9", 2_000, 1_500)).to.equal(false);
    expect(guard.remember("s9", 4_000, 2_500)).to.equal(true); // expired entry may come back
  });

  it("accepts the derived bearer token when allowed, and only the exact token", () => {
    const bearer = (token: string) => ({
      headers: { authorization: `Bearer ${token}` },
      body: Buffer.from(BODY),
    });
    expect(verifyWebhook(bearer(webhookBearerToken(SECRET)), opts())).to.equal("bearer");
    expect(refusal(() => verifyWebhook(bearer(SECRET), opts()))).to.match(/wrong bearer/);
    expect(refusal(() => verifyWebhook(bearer(webhookBearerToken(SECRET) + "0"), opts()))).to.match(
      /wrong bearer/,
    );
    expect(
      refusal(() =>
        verifyWebhook(bearer(webhookBearerToken(SECRET)), opts({ acceptBearer: false })),
      ),
    ).to.match(/disabled/);
  });

  it("never puts the secret, token or body into the refusal", () => {
    const msg = refusal(() =>
      verifyWebhook(
        { headers: { authorization: `Bearer ${SECRET}` }, body: Buffer.from(BODY) },
        opts(),
      ),
    );
    expect(msg).not.to.include(SECRET);
    expect(msg).not.to.include("0a1b2c3d");
  });
});
