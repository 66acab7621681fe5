import { randomBytes } from "node:crypto";
import { expect } from "chai";
import fc from "fast-check";
import { RadzError } from "../../src/errors.js";
import { MultipartRelatedReader } from "../../src/dicomweb/multipart.js";

function body(
  boundary: string,
  parts: Buffer[],
  opts: { preamble?: string; epilogue?: string; close?: boolean } = {},
): Buffer {
  const pieces: Buffer[] = [Buffer.from(opts.preamble ?? "")];
  for (const p of parts) {
    pieces.push(
      Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`),
      p,
      Buffer.from("\r\n"),
    );
  }
  if (opts.close !== false) pieces.push(Buffer.from(`--${boundary}--${opts.epilogue ?? ""}`));
  return Buffer.concat(pieces);
}

function read(
  boundary: string,
  data: Buffer,
  chunkSizes: number[] = [data.length],
  maxPartBytes = 1 << 20,
  maxParts = 4,
) {
  const reader = new MultipartRelatedReader(boundary, { maxPartBytes, maxParts }, "test");
  let offset = 0;
  let i = 0;
  while (offset < data.length) {
    const size = Math.max(1, chunkSizes[i++ % chunkSizes.length] ?? 1);
    reader.write(data.subarray(offset, offset + size));
    offset += size;
  }
  return reader.finish();
}

function expectCode(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(RadzError);
    expect((err as RadzError).code).to.equal(code);
    return;
  }
  expect.fail(`expected ${code}`);
}

describe("dicomweb/multipart", () => {
  it("reads one part regardless of how the bytes are chunked", () => {
    const payload = randomBytes(3000);
    const boundary = "b0undary-with:special=chars?";
    // Payload containing boundary-like bytes that are not a delimiter.
    const tricky = Buffer.concat([
      payload,
      Buffer.from(`\r\n--${boundary.slice(0, -1)}X`),
      payload,
    ]);
    const data = body(boundary, [tricky], {
      preamble: "preamble text\r\n",
      epilogue: "\r\nepilogue",
    });
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 8 }),
        (sizes) => {
          const parts = read(boundary, data, sizes);
          expect(parts).to.have.length(1);
          expect(Buffer.compare(Buffer.from(parts[0]?.bytes ?? []), tricky)).to.equal(0);
          expect(parts[0]?.contentType?.essence).to.equal("application/dicom");
        },
      ),
      { numRuns: 60 },
    );
  });

  it("reads several parts and returns fresh, exactly sized arrays", () => {
    const a = randomBytes(10);
    const b = randomBytes(5000);
    const parts = read("xyz", body("xyz", [a, b]), [7]);
    expect(parts.map((p) => p.bytes.length)).to.deep.equal([10, 5000]);
    expect(parts[0]?.bytes.byteOffset).to.equal(0);
    expect(parts[0]?.bytes.buffer.byteLength).to.equal(10);
  });

  it("reports a body without the closing boundary as DICOMWEB_BAD_RESPONSE", () => {
    const data = body("xyz", [randomBytes(100)], { close: false });
    expectCode(() => read("xyz", data), "DICOMWEB_BAD_RESPONSE");
    expectCode(() => read("xyz", data.subarray(0, 60)), "DICOMWEB_BAD_RESPONSE");
  });

  it("reports a body without any delimiter as DICOMWEB_BAD_RESPONSE", () => {
    expectCode(
      () => read("xyz", Buffer.from("<html>not multipart</html>")),
      "DICOMWEB_BAD_RESPONSE",
    );
    expectCode(() => read("other", body("xyz", [randomBytes(10)])), "DICOMWEB_BAD_RESPONSE");
  });

  it("stops as soon as a part exceeds the limit (DICOMWEB_INSTANCE_TOO_LARGE)", () => {
    const reader = new MultipartRelatedReader("xyz", { maxPartBytes: 1000, maxParts: 1 }, "test");
    reader.write(Buffer.from("--xyz\r\nContent-Type: application/dicom\r\n\r\n"));
    reader.write(randomBytes(900));
    expectCode(() => reader.write(randomBytes(200)), "DICOMWEB_INSTANCE_TOO_LARGE");
  });

  it("refuses more parts than allowed", () => {
    expectCode(
      () => read("xyz", body("xyz", [randomBytes(10), randomBytes(10)]), undefined, 100, 1),
      "DICOMWEB_BAD_RESPONSE",
    );
  });
});
