/**
 * The bundle's text side: a @huggingface/tokenizers tokenizer plus an ONNX
 * text encoder that maps token ids (and an optional attention mask) to one
 * embedding per text.
 */
import { readFile } from "node:fs/promises";
import { Tokenizer } from "@huggingface/tokenizers";
import * as ort from "onnxruntime-node";
import { RadzError } from "../errors.js";
import type { BundleManifest } from "./bundle-schema.js";
import { verifiedBundleFile } from "./bundle-files.js";
import {
  dimAccepts,
  formatShape,
  openSession,
  tensorMetadata,
  type SessionOptions,
} from "./onnx-session.js";

export type TextEncoderSpec = NonNullable<BundleManifest["textEncoder"]>;

/** Texts per session.run. */
const TEXT_BATCH = 64;

async function readJson(path: string, rel: string): Promise<object> {
  try {
    const parsed: unknown = JSON.parse(await readFile(path, "utf8"));
    if (parsed === null || typeof parsed !== "object") throw new Error("not a JSON object");
    return parsed;
  } catch (err) {
    throw new RadzError(
      "BUNDLE_INVALID",
      `bundle file "${rel}" is not valid JSON: ${err instanceof Error ? err.message : String(err)}`,
      {
        cause: err,
        details: { file: rel },
      },
    );
  }
}

/** Loads tokenizer.json (+ optional tokenizer_config.json) after verifying their hashes. */
export async function loadTokenizer(
  bundleDir: string,
  spec: TextEncoderSpec["tokenizer"],
): Promise<{ tokenizer: Tokenizer; config: Record<string, unknown> }> {
  const tokenizerPath = await verifiedBundleFile(bundleDir, spec);
  const configPath = spec.config ? await verifiedBundleFile(bundleDir, spec.config) : undefined;
  const json = await readJson(tokenizerPath, spec.file);
  const config = (
    configPath && spec.config ? await readJson(configPath, spec.config.file) : {}
  ) as Record<string, unknown>;
  try {
    return { tokenizer: new Tokenizer(json, config), config };
  } catch (err) {
    throw new RadzError(
      "BUNDLE_INVALID",
      `tokenizer "${spec.file}" could not be loaded: ${err instanceof Error ? err.message : String(err)}`,
      {
        cause: err,
        details: { file: spec.file },
      },
    );
  }
}

type IntType = "int64" | "int32";

function intTensor(type: IntType, rows: readonly number[][], width: number): ort.Tensor {
  const n = rows.length;
  if (type === "int64") {
    const data = new BigInt64Array(n * width);
    rows.forEach((r, i) => r.forEach((v, j) => (data[i * width + j] = BigInt(v))));
    return new ort.Tensor("int64", data, [n, width]);
  }
  const data = new Int32Array(n * width);
  rows.forEach((r, i) => data.set(r, i * width));
  return new ort.Tensor("int32", data, [n, width]);
}

function intType(t: string, file: string, name: string): IntType {
  if (t === "int64" || t === "int32") return t;
  throw new RadzError(
    "BUNDLE_MODEL_MISMATCH",
    `"${file}" input "${name}" has type ${t}; expected int64 or int32`,
    { details: { file } },
  );
}

export class BundleTextEncoder {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly tokenizer: Tokenizer,
    private readonly spec: TextEncoderSpec,
    private readonly padId: number,
    private readonly idsType: IntType,
    private readonly maskType: IntType | undefined,
    readonly embeddingSize: number,
  ) {}

  /** Verifies files, opens the session and checks its inputs/outputs. */
  static async open(
    bundleDir: string,
    spec: TextEncoderSpec,
    embeddingSize: number,
    sessionOptions: Omit<SessionOptions, "role" | "file">,
  ): Promise<BundleTextEncoder> {
    const modelPath = await verifiedBundleFile(bundleDir, spec);
    const { tokenizer, config } = await loadTokenizer(bundleDir, spec.tokenizer);
    const { session } = await openSession(modelPath, {
      ...sessionOptions,
      role: "text encoder",
      file: spec.file,
    });
    try {
      const ids = tensorMetadata(session, "input", spec.inputIdsName, spec.file);
      const idsType = intType(ids.type, spec.file, spec.inputIdsName);
      let maskType: IntType | undefined;
      if (spec.attentionMaskName) {
        const mask = tensorMetadata(session, "input", spec.attentionMaskName, spec.file);
        maskType = intType(mask.type, spec.file, spec.attentionMaskName);
      }
      const out = tensorMetadata(session, "output", spec.outputName, spec.file);
      if (out.shape.length !== 2 || !dimAccepts(out.shape[1], embeddingSize)) {
        throw new RadzError(
          "BUNDLE_MODEL_MISMATCH",
          `"${spec.file}" output "${spec.outputName}" has shape ${formatShape(out.shape)}; expected [batch, ${embeddingSize}] (imageEncoder.embeddingSize)`,
          { details: { file: spec.file } },
        );
      }
      const padToken = typeof config.pad_token === "string" ? config.pad_token : undefined;
      const padId =
        spec.padTokenId ??
        (padToken !== undefined ? tokenizer.token_to_id(padToken) : undefined) ??
        0;
      return new BundleTextEncoder(
        session,
        tokenizer,
        spec,
        padId,
        idsType,
        maskType,
        embeddingSize,
      );
    } catch (err) {
      await session.release();
      throw err;
    }
  }

  /** Token ids of one text, truncated to maxLength. */
  tokenize(text: string): number[] {
    return this.tokenizer
      .encode(text, { add_special_tokens: true })
      .ids.slice(0, this.spec.maxLength);
  }

  /** One embedding per text, as the encoder outputs it (not renormalised). */
  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let start = 0; start < texts.length; start += TEXT_BATCH) {
      const chunk = texts.slice(start, start + TEXT_BATCH);
      const ids = chunk.map((t) => this.tokenize(t));
      const width = Math.max(1, ...ids.map((r) => r.length));
      const padded = ids.map((r) => [
        ...r,
        ...new Array<number>(width - r.length).fill(this.padId),
      ]);
      const masks = ids.map((r) => [
        ...new Array<number>(r.length).fill(1),
        ...new Array<number>(width - r.length).fill(0),
      ]);
      const feeds: Record<string, ort.Tensor> = {
        [this.spec.inputIdsName]: intTensor(this.idsType, padded, width),
      };
      if (this.spec.attentionMaskName && this.maskType)
        feeds[this.spec.attentionMaskName] = intTensor(this.maskType, masks, width);
      let result: ort.InferenceSession.OnnxValueMapType;
      try {
        result = await this.session.run(feeds, [this.spec.outputName]);
      } catch (err) {
        throw new RadzError(
          "INFERENCE_FAILED",
          `text encoder run failed: ${err instanceof Error ? err.message : String(err)}`,
          { cause: err },
        );
      }
      const tensor = result[this.spec.outputName];
      const dims = tensor?.dims ?? [];
      if (
        !tensor ||
        tensor.type !== "float32" ||
        dims.length !== 2 ||
        dims[0] !== chunk.length ||
        dims[1] !== this.embeddingSize
      ) {
        throw new RadzError(
          "INFERENCE_BAD_OUTPUT",
          `text encoder output has shape ${formatShape(dims)}; expected [${chunk.length}, ${this.embeddingSize}]`,
        );
      }
      const data = tensor.data as Float32Array;
      for (let i = 0; i < chunk.length; i++) {
        const row = data.slice(i * this.embeddingSize, (i + 1) * this.embeddingSize);
        if (!row.every(Number.isFinite))
          throw new RadzError("INFERENCE_BAD_OUTPUT", "text encoder output contains NaN or Inf");
        out.push(row);
      }
    }
    return out;
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
