/**
 * Labels without retraining: label definitions from the configuration
 * (`model.labels`) merged into a bundle's label set at load.
 *
 * A definition whose id names a bundle label overrides it: every field it
 * gives replaces the bundle's (prompts.positive and prompts.negative
 * separately; `remove: true` drops the label). A definition with a new id adds
 * a label: it needs text (positive prompts or knowledge, and negative prompts
 * in posneg-softmax mode) and a concept, unless RadZ's concept table knows the
 * id (src/model/concepts.ts); threshold defaults to 0.5, triage weight and
 * combine weights to the bundle schema's defaults. The merged manifest is
 * validated like bundle.json; problems are reported as CONFIG_INVALID naming
 * the configured label.
 */
import { RadzError } from "../errors.js";
import {
  BundleManifestSchema,
  type BundleLabel,
  type BundleManifest,
  type BundleManifestInput,
} from "./bundle-schema.js";
import { RADZ_CODING_SCHEME, findingConcept } from "./concepts.js";
import type { CodedConcept } from "./types.js";

/** One entry of config `model.labels` (validated by the config schema). */
export interface LabelDefinition {
  readonly id: string;
  readonly remove?: boolean;
  readonly display?: string;
  readonly concept?: CodedConcept;
  readonly prompts?: {
    readonly positive?: readonly string[];
    readonly negative?: readonly string[];
  };
  readonly knowledge?: readonly string[];
  readonly combine?: { readonly promptWeight?: number; readonly knowledgeWeight?: number };
  readonly threshold?: number;
  readonly triageWeight?: number;
}

export interface MergedLabels {
  readonly manifest: BundleManifest;
  /** Labels whose text (prompts, knowledge, combine) differs from the bundle's, or that are new. */
  readonly textChanged: ReadonlySet<string>;
  readonly added: readonly string[];
  readonly overridden: readonly string[];
  readonly removed: readonly string[];
}

const DEFAULT_NEW_LABEL_THRESHOLD = 0.5;

function sameText(a: BundleLabel, b: BundleLabel): boolean {
  return (
    JSON.stringify([a.prompts, a.knowledge, a.combine]) ===
    JSON.stringify([b.prompts, b.knowledge, b.combine])
  );
}

function override(label: BundleLabel, d: LabelDefinition): BundleLabel {
  return {
    ...label,
    ...(d.display !== undefined ? { display: d.display } : {}),
    ...(d.concept !== undefined ? { concept: { ...d.concept } } : {}),
    prompts: {
      positive: d.prompts?.positive ? [...d.prompts.positive] : label.prompts.positive,
      negative: d.prompts?.negative ? [...d.prompts.negative] : label.prompts.negative,
    },
    knowledge: d.knowledge ? [...d.knowledge] : label.knowledge,
    combine: { ...label.combine, ...d.combine },
    ...(d.threshold !== undefined ? { threshold: d.threshold } : {}),
    ...(d.triageWeight !== undefined ? { triageWeight: d.triageWeight } : {}),
  };
}

function formatPath(p: readonly PropertyKey[]): string {
  return p.map((k) => (typeof k === "number" ? `[${k}]` : `.${String(k)}`)).join("");
}

/** Merges config label definitions into the manifest's labels (bundle order, new labels last). */
export function mergeLabelDefinitions(
  manifest: BundleManifest,
  definitions: readonly LabelDefinition[],
): MergedLabels {
  if (definitions.length === 0)
    return { manifest, textChanged: new Set(), added: [], overridden: [], removed: [] };
  const byId = new Map(definitions.map((d) => [d.id, d]));
  const bundleIds = new Set(manifest.labels.map((l) => l.id));
  const added: string[] = [];
  const overridden: string[] = [];
  const removed: string[] = [];
  const problems: string[] = [];
  const labels: unknown[] = [];
  const origin: string[] = [];

  for (const label of manifest.labels) {
    const d = byId.get(label.id);
    if (!d) {
      labels.push(label);
      origin.push("");
      continue;
    }
    if (d.remove) {
      removed.push(label.id);
      continue;
    }
    overridden.push(label.id);
    labels.push(override(label, d));
    origin.push(label.id);
  }
  let codingSchemes = manifest.codingSchemes;
  for (const d of definitions) {
    if (bundleIds.has(d.id)) continue;
    if (d.remove) {
      problems.push(`"${d.id}": remove is set but the bundle has no such label`);
      continue;
    }
    const concept = d.concept ?? findingConcept(d.id);
    if (!concept) {
      problems.push(
        `"${d.id}": a new label needs a concept ({ value, scheme, meaning }; SNOMED CT "SCT" where one exists)`,
      );
      continue;
    }
    if (
      concept.scheme === RADZ_CODING_SCHEME.designator &&
      !codingSchemes.some((s) => s.designator === concept.scheme)
    ) {
      codingSchemes = [...codingSchemes, { ...RADZ_CODING_SCHEME }];
    }
    added.push(d.id);
    origin.push(d.id);
    labels.push({
      id: d.id,
      display: d.display ?? concept.meaning,
      concept: { ...concept },
      prompts: {
        positive: [...(d.prompts?.positive ?? [])],
        negative: [...(d.prompts?.negative ?? [])],
      },
      knowledge: [...(d.knowledge ?? [])],
      ...(d.combine ? { combine: { promptWeight: 1, knowledgeWeight: 0, ...d.combine } } : {}),
      calibration: { method: "none" },
      threshold: d.threshold ?? DEFAULT_NEW_LABEL_THRESHOLD,
      ...(d.triageWeight !== undefined ? { triageWeight: d.triageWeight } : {}),
    });
  }
  if (labels.length === 0 && problems.length === 0)
    problems.push("every bundle label is removed; at least one label must remain");

  let merged: BundleManifest | undefined;
  // Validated even when some definitions were already refused, so every problem is reported at once.
  if (labels.length > 0) {
    // Precomputed rows were read from the bundle's own manifest; they are not re-checked against the merged labels.
    const input = {
      ...manifest,
      codingSchemes,
      labels,
      labelEmbeddings: undefined,
    } as BundleManifestInput;
    const result = BundleManifestSchema.safeParse(input);
    if (result.success) {
      merged = { ...result.data, labelEmbeddings: manifest.labelEmbeddings };
    } else {
      for (const issue of result.error.issues) {
        const [head, index, ...rest] = issue.path;
        const id = head === "labels" && typeof index === "number" ? origin[index] : undefined;
        if (id)
          problems.push(
            `"${id}": ${formatPath(rest).replace(/^\./, "") || "label"}: ${issue.message}`,
          );
        else problems.push(`${formatPath(issue.path).replace(/^\./, "")}: ${issue.message}`);
      }
    }
  }
  if (problems.length > 0 || !merged) {
    throw new RadzError(
      "CONFIG_INVALID",
      `model.labels: ${problems.length} problem${problems.length === 1 ? "" : "s"}: ${problems.join("; ")}`,
      { details: { problems } },
    );
  }
  const textChanged = new Set<string>(added);
  const original = new Map(manifest.labels.map((l) => [l.id, l]));
  for (const id of overridden) {
    const before = original.get(id)!;
    const after = merged.labels.find((l) => l.id === id)!;
    if (!sameText(before, after)) textChanged.add(id);
  }
  return { manifest: merged, textChanged, added, overridden, removed };
}
