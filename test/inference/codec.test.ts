import { expect } from "chai";
import fc from "fast-check";
import {
  decodeInferenceRequest,
  decodeInferenceResponse,
  encodeInferenceRequest,
  encodeInferenceResponse,
  splitBody,
  OipFormatError,
  type EncodedBody,
} from "../../src/inference/index.js";
import { tensorDataFromJson } from "../../src/inference/oip/datatypes.js";
import { fromLeBytes, leBytes } from "./oip-conformance.js";

const nums = (d: ArrayLike<number | bigint>): number[] => Array.from(d, Number);

const join = (b: EncodedBody) => Buffer.concat(b.chunks.map((c) => Buffer.from(c)));

describe("inference/oip codec", () => {
  it("lays binary inputs out as JSON header + little-endian bytes in input order", () => {
    const a = new Float32Array([1.5, -2, 3.25, 0]);
    const ids = new BigInt64Array([1n, 2n, 300n]);
    const body = encodeInferenceRequest({
      id: "x",
      binaryInputs: true,
      inputs: [
        { name: "a", datatype: "FP32", shape: [2, 2], parts: [a.subarray(0, 2), a.subarray(2)] },
        { name: "ids", datatype: "INT64", shape: [1, 3], parts: [ids] },
      ],
      outputs: [{ name: "out", binary: true }],
    });
    const bytes = join(body);
    expect(body.length).to.equal(bytes.length);
    expect(body.contentType).to.equal("application/octet-stream");
    const head = JSON.parse(bytes.subarray(0, body.headerLength).toString("utf8"));
    expect(head).to.deep.equal({
      id: "x",
      inputs: [
        { name: "a", shape: [2, 2], datatype: "FP32", parameters: { binary_data_size: 16 } },
        { name: "ids", shape: [1, 3], datatype: "INT64", parameters: { binary_data_size: 24 } },
      ],
      outputs: [{ name: "out", parameters: { binary_data: true } }],
    });
    const tail = bytes.subarray(body.headerLength);
    expect(fromLeBytes("FP32", tail.subarray(0, 16))).to.deep.equal([1.5, -2, 3.25, 0]);
    expect(fromLeBytes("INT64", tail.subarray(16))).to.deep.equal([1, 2, 300]);
  });

  it("JSON inputs carry data and no header length", () => {
    const body = encodeInferenceRequest({
      binaryInputs: false,
      inputs: [{ name: "a", datatype: "FP32", shape: [1, 2], parts: [new Float32Array([0.1, 2])] }],
    });
    expect(body.headerLength).to.equal(undefined);
    expect(body.contentType).to.equal("application/json");
    const json = JSON.parse(join(body).toString("utf8"));
    expect(json.inputs[0].data).to.deep.equal([Math.fround(0.1), 2]);
  });

  it("round-trips requests and responses for every numeric datatype, JSON and binary", () => {
    const cases = [
      ["FP32", (v: number) => Math.fround(v)],
      ["FP64", (v: number) => v],
      ["INT32", (v: number) => Math.trunc(v * 1000)],
      ["INT64", (v: number) => Math.trunc(v * 1e6)],
      ["UINT8", (v: number) => Math.abs(Math.trunc(v * 100)) % 256],
      ["INT8", (v: number) => Math.trunc(v * 100) % 128],
      ["UINT16", (v: number) => Math.abs(Math.trunc(v * 1000)) % 65536],
      ["INT16", (v: number) => Math.trunc(v * 1000) % 32768],
      ["UINT32", (v: number) => Math.abs(Math.trunc(v * 1e6))],
    ] as const;
    for (const [datatype, norm] of cases) {
      fc.assert(
        fc.property(
          fc.array(fc.double({ min: -100, max: 100, noNaN: true }), {
            minLength: 1,
            maxLength: 12,
          }),
          fc.boolean(),
          (raw, binary) => {
            const values = raw.map(norm);
            const data = tensorDataFromJson(datatype, [values.length], values);
            const req = encodeInferenceRequest({
              binaryInputs: binary,
              inputs: [{ name: "t", datatype, shape: [1, values.length], parts: [data] }],
            });
            const decoded = decodeInferenceRequest(
              join(req),
              req.headerLength === undefined ? undefined : String(req.headerLength),
            );
            // JSON has no negative zero; compare -0 and 0 as equal.
            const z = (x: number) => (x === 0 ? 0 : x);
            const got = nums(decoded.inputs[0]!.data).map(z);
            expect(got).to.deep.equal(values.map(z));
            const res = encodeInferenceResponse({
              model_name: "m",
              outputs: [{ tensor: decoded.inputs[0]!, binary }],
            });
            const back = decodeInferenceResponse(
              join(res),
              res.headerLength === undefined ? undefined : String(res.headerLength),
            );
            expect(nums(back.outputs[0]!.data).map(z)).to.deep.equal(got);
          },
        ),
        { numRuns: 20 },
      );
    }
  });

  it("decodes BOOL as booleans in JSON and single bytes in binary", () => {
    const body = Buffer.from(
      JSON.stringify({
        inputs: [{ name: "b", datatype: "BOOL", shape: [3], data: [true, false, true] }],
      }),
    );
    const req = decodeInferenceRequest(body, undefined);
    expect(nums(req.inputs[0]!.data)).to.deep.equal([1, 0, 1]);
    const res = encodeInferenceResponse({
      model_name: "m",
      outputs: [{ tensor: req.inputs[0]!, binary: false }],
    });
    expect(JSON.parse(join(res).toString()).outputs[0].data).to.deep.equal([true, false, true]);
  });

  it("accepts nested JSON data and the request-level binary_data_output default", () => {
    const body = Buffer.from(
      JSON.stringify({
        parameters: { binary_data_output: true },
        inputs: [
          {
            name: "x",
            datatype: "FP32",
            shape: [2, 2],
            data: [
              [1, 2],
              [3, 4],
            ],
          },
        ],
        outputs: [{ name: "a" }, { name: "b", parameters: { binary_data: false } }],
      }),
    );
    const req = decodeInferenceRequest(body, undefined);
    expect(nums(req.inputs[0]!.data)).to.deep.equal([1, 2, 3, 4]);
    expect(req.outputs).to.deep.equal([
      { name: "a", binary: true },
      { name: "b", binary: false },
    ]);
  });

  it("refuses malformed requests with OipFormatError naming the problem", () => {
    const bad = (json: unknown, tail = Buffer.alloc(0), hl?: number) => {
      const head = Buffer.from(JSON.stringify(json));
      return () =>
        decodeInferenceRequest(
          Buffer.concat([head, tail]),
          hl !== undefined ? String(hl) : tail.length ? String(head.length) : undefined,
        );
    };
    const t = (extra: object) => ({ name: "x", datatype: "FP32", shape: [1, 2], ...extra });
    expect(bad({ inputs: [] })).to.throw(OipFormatError, /non-empty/);
    expect(bad({ inputs: [t({ data: [1] })] })).to.throw(OipFormatError, /needs 2 elements/);
    expect(bad({ inputs: [t({ data: [1, "a"] })] })).to.throw(OipFormatError, /not a number/);
    expect(bad({ inputs: [t({ datatype: "FP17", data: [1, 2] })] })).to.throw(/unknown datatype/);
    expect(bad({ inputs: [t({ datatype: "BYTES", data: [1, 2] })] })).to.throw(/not supported/);
    expect(bad({ inputs: [t({ shape: [1, -2], data: [] })] })).to.throw(/shape/);
    expect(bad({ inputs: [t({ data: [1, 2] }), t({ data: [1, 2] })] })).to.throw(/twice/);
    expect(bad({ inputs: [t({})] })).to.throw(/neither data nor binary_data_size/);
    expect(bad({ inputs: [{ name: "i", datatype: "INT32", shape: [1], data: [1.5] }] })).to.throw(
      /integer/,
    );
    expect(bad({ inputs: [{ name: "i", datatype: "UINT8", shape: [1], data: [256] }] })).to.throw(
      /range/,
    );
    expect(bad({ inputs: [t({ parameters: { binary_data_size: 8 } })] }, Buffer.alloc(4))).to.throw(
      /ends before/,
    );
    expect(bad({ inputs: [t({ parameters: { binary_data_size: 4 } })] }, Buffer.alloc(4))).to.throw(
      /binary_data_size is 4/,
    );
    expect(
      bad({ inputs: [t({ parameters: { binary_data_size: 8 } })] }, Buffer.alloc(12)),
    ).to.throw(/4 bytes after the JSON header/);
    expect(
      bad({ inputs: [t({ data: [1, 2], parameters: { binary_data_size: 8 } })] }, Buffer.alloc(8)),
    ).to.throw(/both data and binary_data_size/);
    expect(() => decodeInferenceRequest(Buffer.from("{}"), "99")).to.throw(/larger than the body/);
    expect(() => decodeInferenceRequest(Buffer.from("{}"), "x")).to.throw(/decimal/);
    expect(() => decodeInferenceRequest(Buffer.from("\x00\x01"), undefined)).to.throw(
      /not valid JSON/,
    );
  });

  it("splitBody honours the header length exactly", () => {
    const head = Buffer.from('{"a":1}');
    const { json, binary } = splitBody(
      Buffer.concat([head, leBytes("FP32", [1, 2])]),
      String(head.length),
    );
    expect(json).to.deep.equal({ a: 1 });
    expect(fromLeBytes("FP32", Buffer.from(binary))).to.deep.equal([1, 2]);
  });

  it("refuses responses without model_name or with bad outputs", () => {
    expect(() => decodeInferenceResponse(Buffer.from('{"outputs":[]}'), undefined)).to.throw(
      /model_name/,
    );
    expect(() =>
      decodeInferenceResponse(
        Buffer.from(
          '{"model_name":"m","outputs":[{"name":"o","datatype":"FP32","shape":[2],"data":[1]}]}',
        ),
        undefined,
      ),
    ).to.throw(/needs 2 elements/);
  });
});
