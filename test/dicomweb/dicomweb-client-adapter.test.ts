import { expect } from "chai";
import {
  asBuffer,
  sendBytesWithoutCopy,
  type XhrInstance,
} from "../../src/dicomweb/dicomweb-client-adapter.js";

describe("dicomweb-client adapter: request bodies", () => {
  it("asBuffer views an ArrayBuffer and a typed array's range without copying", () => {
    const ab = new Uint8Array([1, 2, 3, 4, 5]).buffer;
    const whole = asBuffer(ab) as Buffer;
    expect(Buffer.isBuffer(whole)).to.equal(true);
    expect(whole.buffer).to.equal(ab);
    expect([...whole]).to.deep.equal([1, 2, 3, 4, 5]);

    const part = asBuffer(new Uint8Array(ab, 1, 3)) as Buffer;
    expect(part.buffer).to.equal(ab);
    expect([part.byteOffset, part.length]).to.deep.equal([1, 3]);
    new Uint8Array(ab)[2] = 9;
    expect(part[1], "the same memory").to.equal(9);
  });

  it("asBuffer leaves strings, Buffers and nothing as they are", () => {
    const b = Buffer.from("x");
    expect(asBuffer(b)).to.equal(b);
    expect(asBuffer("text")).to.equal("text");
    expect(asBuffer(undefined)).to.equal(undefined);
  });

  it("the request hook has dicomweb-client's two-parameter shape and sends a Buffer view", () => {
    expect(sendBytesWithoutCopy).to.have.length(2);
    const sent: unknown[] = [];
    const xhr = {
      send(body?: unknown) {
        sent.push(body);
      },
    } as unknown as XhrInstance;
    const hooked = sendBytesWithoutCopy(xhr, { method: "post" });
    expect(hooked).to.equal(xhr);
    const body = new Uint8Array([7, 8, 9]).buffer;
    hooked.send(body);
    hooked.send();
    expect(Buffer.isBuffer(sent[0])).to.equal(true);
    expect((sent[0] as Buffer).buffer).to.equal(body);
    expect(sent[1]).to.equal(undefined);
  });
});
