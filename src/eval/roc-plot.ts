/**
 * ROC curves as an SVG drawn here and rendered to PNG with sharp (librsvg):
 * one curve per label, the chance diagonal, each label's operating point, and
 * a legend with AUROC and its 95% CI.
 */
import sharp from "sharp";
import type { RocPoint } from "./metrics.js";

export interface RocSeries {
  readonly label: string;
  readonly auroc: number;
  readonly aurocCi: readonly [number, number];
  readonly points: readonly RocPoint[];
  /** The operating point at the label's threshold (1 - specificity, sensitivity). */
  readonly operatingPoint?: { readonly fpr: number; readonly tpr: number };
}

export interface RocPlotOptions {
  readonly title: string;
  /** A line under the title (e.g. "synthetic demonstration model"). */
  readonly subtitle?: string;
  /** Pixel width and height (square), default 900. */
  readonly size?: number;
}

/** Colour-blind-safe palette (Okabe-Ito), then a few more. */
const COLOURS = [
  "#0072B2",
  "#D55E00",
  "#009E73",
  "#CC79A7",
  "#E69F00",
  "#56B4E9",
  "#000000",
  "#F0E442",
  "#7F7F7F",
  "#8C564B",
];

function escapeXml(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

const fmt = (v: number): string => (Number.isFinite(v) ? v.toFixed(3) : "n/a");

export function rocSvg(series: readonly RocSeries[], options: RocPlotOptions): string {
  const size = options.size ?? 900;
  const left = 90;
  const top = options.subtitle ? 90 : 70;
  const plot = size - left - 40;
  const legendHeight = 24 * series.length + 20;
  const height = top + plot + 70 + legendHeight;
  const x = (fpr: number): number => left + fpr * plot;
  const y = (tpr: number): number => top + (1 - tpr) * plot;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${height}" viewBox="0 0 ${size} ${height}" font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${size / 2}" y="34" font-size="22" text-anchor="middle" fill="#000">${escapeXml(options.title)}</text>`,
  );
  if (options.subtitle)
    parts.push(
      `<text x="${size / 2}" y="62" font-size="15" text-anchor="middle" fill="#444">${escapeXml(options.subtitle)}</text>`,
    );
  // Grid and ticks.
  for (let i = 0; i <= 10; i++) {
    const v = i / 10;
    parts.push(
      `<line x1="${x(v)}" y1="${y(0)}" x2="${x(v)}" y2="${y(1)}" stroke="#e6e6e6" stroke-width="1"/>`,
      `<line x1="${x(0)}" y1="${y(v)}" x2="${x(1)}" y2="${y(v)}" stroke="#e6e6e6" stroke-width="1"/>`,
    );
    if (i % 2 === 0) {
      parts.push(
        `<text x="${x(v)}" y="${y(0) + 22}" font-size="14" text-anchor="middle">${v.toFixed(1)}</text>`,
        `<text x="${x(0) - 10}" y="${y(v) + 5}" font-size="14" text-anchor="end">${v.toFixed(1)}</text>`,
      );
    }
  }
  parts.push(
    `<rect x="${x(0)}" y="${y(1)}" width="${plot}" height="${plot}" fill="none" stroke="#000" stroke-width="1.5"/>`,
    `<line x1="${x(0)}" y1="${y(0)}" x2="${x(1)}" y2="${y(1)}" stroke="#999" stroke-width="1.5" stroke-dasharray="6,5"/>`,
    `<text x="${x(0.5)}" y="${y(0) + 50}" font-size="16" text-anchor="middle">1 - specificity (false-positive rate)</text>`,
    `<text transform="translate(${left - 60},${y(0.5)}) rotate(-90)" font-size="16" text-anchor="middle">sensitivity (true-positive rate)</text>`,
  );
  series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    const pts = s.points
      .filter((p) => Number.isFinite(p.fpr) && Number.isFinite(p.tpr))
      .map((p) => `${x(p.fpr).toFixed(2)},${y(p.tpr).toFixed(2)}`);
    // Stepwise ROC as scikit-learn draws it: straight segments between successive points.
    if (pts.length > 1)
      parts.push(
        `<polyline points="${pts.join(" ")}" fill="none" stroke="${colour}" stroke-width="2.5" stroke-linejoin="round"/>`,
      );
    if (
      s.operatingPoint &&
      Number.isFinite(s.operatingPoint.fpr) &&
      Number.isFinite(s.operatingPoint.tpr)
    )
      parts.push(
        `<circle cx="${x(s.operatingPoint.fpr)}" cy="${y(s.operatingPoint.tpr)}" r="6" fill="${colour}" stroke="#000" stroke-width="1"/>`,
      );
    const ly = top + plot + 80 + i * 24;
    parts.push(
      `<line x1="${left}" y1="${ly - 5}" x2="${left + 30}" y2="${ly - 5}" stroke="${colour}" stroke-width="4"/>`,
      `<text x="${left + 40}" y="${ly}" font-size="15">${escapeXml(s.label)}: AUROC ${fmt(s.auroc)} (95% CI ${fmt(s.aurocCi[0])}-${fmt(s.aurocCi[1])})</text>`,
    );
  });
  parts.push(
    `<text x="${size - 40}" y="${top + plot + 80 + series.length * 24}" font-size="13" text-anchor="end" fill="#444">dots: operating point at the label's threshold</text>`,
    "</svg>",
  );
  return parts.join("\n");
}

/** Renders the ROC SVG to PNG bytes. */
export async function rocPng(
  series: readonly RocSeries[],
  options: RocPlotOptions,
): Promise<Buffer> {
  return sharp(Buffer.from(rocSvg(series, options)))
    .png()
    .toBuffer();
}
