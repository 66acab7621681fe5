/**
 * Draws the summary picture: an SVG page (findings table, priority badge,
 * model identity, the "machine-generated, not verified" warning) rasterised
 * by sharp (libvips + librsvg, shipped inside the sharp npm package) with a
 * thumbnail of the image read composited on the left.
 *
 * Text is drawn in one of two ways:
 *  - "font":   SVG <text> with a sans-serif family; librsvg/pango find the
 *              font through fontconfig.
 *  - "bitmap": each glyph as filled rectangles from a built-in 12x24 bitmap
 *              font (bitmap-font.ts), needing no font on the machine. Only
 *              printable ASCII; anything else is drawn as "?".
 * "auto" (the default) probes whether fontconfig renders text at all and
 * falls back to "bitmap" when it does not (a slim container image without
 * fonts would otherwise get a summary with no words on it).
 *
 * No patient-identifying text is drawn: no name, ID, birth date, accession
 * number or study date (the DICOM header carries those).
 */
import sharp from "sharp";
import { RadzError } from "../errors.js";
import type { LabelScore, ModelIdentity } from "../model/index.js";
import { BITMAP_FONT, BITMAP_GLYPHS } from "./bitmap-font.js";
import type { GreyImage } from "../imaging/index.js";
import type { TriagePriority, TriageResult } from "./triage.js";

// libvips keeps the results of recent operations (up to 50 MB by default) in
// a process-wide cache, to reuse them when the same input comes again. Every
// summary page is new, so the cache never hits and only holds memory: off.
sharp.cache(false);

export type TextRenderer = "font" | "bitmap";

export interface SummaryPictureInput {
  readonly findings: readonly LabelScore[];
  readonly triage: TriageResult;
  readonly model: ModelIdentity;
  /** The first image read, as an 8-bit grey thumbnail (thumbnail.ts). */
  readonly thumbnail: GreyImage;
  /** How many images the findings rest on (the caption says "1 of N"). */
  readonly imageCount: number;
  /** RadZ software version, shown in the footer. */
  readonly softwareVersion: string;
  /** Shown in the footer, UTC. */
  readonly createdAt: Date;
  /** "auto" (default): fonts when fontconfig renders text, the bitmap font otherwise. */
  readonly textRenderer?: TextRenderer | "auto";
  /**
   * The image the thumbnail shows (the first image read): the regions of
   * positive findings on it are outlined on the thumbnail. Without it (or
   * without its size) no outlines are drawn.
   */
  readonly thumbnailSource?: {
    readonly sopInstanceUid: string;
    readonly columns?: number;
    readonly rows?: number;
  };
}

export interface SummaryPicture {
  readonly width: number;
  readonly height: number;
  /** width x height x 3 bytes, RGB interleaved, row-major. */
  readonly rgb: Uint8Array;
  readonly textRenderer: TextRenderer;
}

/** Page geometry, in pixels. Tests read pixel regions through these. */
export const SUMMARY_LAYOUT = {
  width: 1024,
  minHeight: 640,
  headerHeight: 64,
  thumbnail: { left: 24, top: 152, size: 400 },
  table: { left: 448, top: 152, width: 552, headerHeight: 36, rowHeight: 34 },
  footerHeight: 84,
} as const;

const COLOURS = {
  background: "#101418",
  header: "#1f2933",
  text: "#f5f7fa",
  muted: "#aab4be",
  warning: "#ffd54f",
  synthetic: "#ff8a80",
  tableHeader: "#263238",
  rowEven: "#172026",
  rowOdd: "#1b262d",
  rowPositive: "#4a1c1c",
  positive: "#ff5252",
  frame: "#455a64",
} as const;

/**
 * Outline colours of positive findings, in the order of the findings table
 * (the n-th positive row gets the n-th colour; a swatch in the row and the
 * legend under the image say which is which). Chosen to stand out on a grey
 * radiograph and from each other.
 */
const FINDING_COLOURS = ["#00e5ff", "#ffea00", "#ff4081", "#76ff03", "#b388ff", "#ff9100"] as const;

/** The outline colour of each positive finding, by label id (table order). */
export function findingColours(findings: readonly LabelScore[]): Map<string, string> {
  const colours = new Map<string, string>();
  for (const f of findings) {
    if (!f.positive) continue;
    colours.set(f.labelId, FINDING_COLOURS[colours.size % FINDING_COLOURS.length]!);
  }
  return colours;
}

/** Legend rows under the image: one per positive finding with a region on the thumbnail's image. */
function legendEntries(input: SummaryPictureInput): { label: string; colour: string }[] {
  const source = input.thumbnailSource;
  if (source?.columns === undefined || source.rows === undefined) return [];
  const colours = findingColours(input.findings);
  return input.findings.flatMap((f) => {
    const colour = colours.get(f.labelId);
    const onImage = (f.regions ?? []).some((r) => r.sopInstanceUid === source.sopInstanceUid);
    return colour !== undefined && onImage
      ? [{ label: `${f.display} ${formatProbability(f.probability)}`, colour }]
      : [];
  });
}

const LEGEND_ROW_HEIGHT = 26;

const PRIORITY_STYLE: Readonly<Record<TriagePriority, { fill: string; text: string }>> = {
  urgent: { fill: "#c62828", text: "#ffffff" },
  review: { fill: "#f9a825", text: "#101418" },
  routine: { fill: "#2e7d32", text: "#ffffff" },
};

const FONT_FAMILY = "DejaVu Sans, Liberation Sans, Noto Sans, Arial, Helvetica, sans-serif";
/** Average advance of a glyph relative to the font size (DejaVu Sans Mono and the bitmap font: 0.6). */
const ADVANCE_PER_SIZE = BITMAP_FONT.cellWidth / 20;

interface TextRun {
  readonly x: number;
  /** Baseline. */
  readonly y: number;
  readonly text: string;
  readonly size: number;
  readonly fill: string;
  readonly bold?: boolean;
  readonly anchor?: "start" | "middle" | "end";
}

function escapeXml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

/** Keeps at most `maxChars` characters, ending in "..." when cut. */
export function fitText(text: string, maxChars: number): string {
  const chars = Array.from(text);
  if (chars.length <= maxChars) return text;
  return `${chars.slice(0, Math.max(0, maxChars - 3)).join("")}...`;
}

function maxCharsFor(widthPx: number, size: number): number {
  return Math.max(1, Math.floor(widthPx / (size * ADVANCE_PER_SIZE)));
}

function fontText(run: TextRun): string {
  return (
    `<text x="${run.x}" y="${run.y}" font-family="${FONT_FAMILY}" font-size="${run.size}"` +
    `${run.bold === true ? ' font-weight="bold"' : ""} fill="${run.fill}"` +
    ` text-anchor="${run.anchor ?? "start"}" xml:space="preserve">${escapeXml(run.text)}</text>`
  );
}

/** The run's glyphs as one SVG path of rectangles (one per horizontal run of set bits). */
function bitmapText(run: TextRun): string {
  const scale = run.size / 20;
  const advance = BITMAP_FONT.cellWidth * scale;
  const chars = Array.from(run.text);
  const width = chars.length * advance;
  const startX =
    run.anchor === "end" ? run.x - width : run.anchor === "middle" ? run.x - width / 2 : run.x;
  const top = run.y - BITMAP_FONT.baseline * scale;
  const r = (v: number): string => (Math.round(v * 100) / 100).toString();
  const parts: string[] = [];
  chars.forEach((char, i) => {
    const code = char.codePointAt(0) ?? 0x3f;
    const glyph =
      BITMAP_GLYPHS[code - BITMAP_FONT.firstCode] ?? BITMAP_GLYPHS[0x3f - BITMAP_FONT.firstCode];
    if (glyph === undefined) return;
    const gx = startX + i * advance;
    for (let row = 0; row < BITMAP_FONT.cellHeight; row++) {
      let bits = parseInt(glyph.slice(row * 3, row * 3 + 3), 16);
      if (run.bold === true) bits |= bits >> 1; // one column wider
      let col = 0;
      while (col < BITMAP_FONT.cellWidth) {
        const set = (bits >> (BITMAP_FONT.cellWidth - 1 - col)) & 1;
        if (set === 0) {
          col++;
          continue;
        }
        const start = col;
        while (
          col < BITMAP_FONT.cellWidth &&
          ((bits >> (BITMAP_FONT.cellWidth - 1 - col)) & 1) === 1
        )
          col++;
        parts.push(
          `M${r(gx + start * scale)} ${r(top + row * scale)}h${r((col - start) * scale)}v${r(scale)}h${r(-(col - start) * scale)}z`,
        );
      }
    }
  });
  return parts.length === 0 ? "" : `<path fill="${run.fill}" d="${parts.join("")}"/>`;
}

function textSvg(run: TextRun, renderer: TextRenderer): string {
  if (renderer === "font") return fontText(run);
  // The bitmap font has printable ASCII only.
  const ascii = Array.from(run.text)
    .map((c) => (/^[\x20-\x7e]$/.test(c) ? c : "?"))
    .join("");
  return bitmapText({ ...run, text: ascii });
}

/** Pixels above mid-grey when `text` is drawn white on black with the page's font family. */
async function litPixels(text: string): Promise<number> {
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="160" height="40">` +
    `<rect width="160" height="40" fill="#000"/>` +
    fontText({ x: 4, y: 30, text, size: 28, fill: "#fff" }) +
    `</svg>`;
  const { data, info } = await sharp(Buffer.from(svg))
    .greyscale()
    .raw()
    .toBuffer({ resolveWithObject: true });
  let lit = 0;
  for (let i = 0; i < data.length; i += info.channels) if ((data[i] ?? 0) > 127) lit++;
  return lit;
}

/**
 * True when fontconfig finds a font that draws Latin text. Without one, pango
 * draws nothing or the same empty "tofu" box for every character, so the
 * probe draws "WWWW" and "iiii": real glyphs differ greatly in ink, boxes do not.
 */
export async function systemFontsRenderText(): Promise<boolean> {
  try {
    const [wide, narrow] = await Promise.all([litPixels("WWWW"), litPixels("iiii")]);
    return wide >= 200 && wide > 2 * narrow;
  } catch {
    return false;
  }
}

function formatProbability(value: number): string {
  return value.toFixed(2);
}

/** The page height for this many findings (the table grows; the page never shrinks below minHeight). */
export function summaryHeight(findingCount: number, legendRows = 0): number {
  const L = SUMMARY_LAYOUT;
  const thumbnailBottom = L.thumbnail.top + L.thumbnail.size + 40 + legendRows * LEGEND_ROW_HEIGHT;
  const tableBottom =
    L.table.top + L.table.headerHeight + Math.max(1, findingCount) * L.table.rowHeight + 16;
  return Math.max(L.minHeight, Math.max(thumbnailBottom, tableBottom) + L.footerHeight);
}

/** The thumbnail's placement inside its square box (aspect ratio kept, centred). */
export function thumbnailPlacement(thumbnail: Pick<GreyImage, "rows" | "columns">): {
  left: number;
  top: number;
  width: number;
  height: number;
} {
  const box = SUMMARY_LAYOUT.thumbnail;
  const scale = Math.min(box.size / thumbnail.columns, box.size / thumbnail.rows);
  const width = Math.max(1, Math.min(box.size, Math.round(thumbnail.columns * scale)));
  const height = Math.max(1, Math.min(box.size, Math.round(thumbnail.rows * scale)));
  return {
    left: box.left + Math.floor((box.size - width) / 2),
    top: box.top + Math.floor((box.size - height) / 2),
    width,
    height,
  };
}

function pageSvg(input: SummaryPictureInput, renderer: TextRenderer, height: number): string {
  const L = SUMMARY_LAYOUT;
  const { model, triage, findings } = input;
  const shapes: string[] = [];
  const texts: TextRun[] = [];
  const W = L.width;

  shapes.push(`<rect width="${W}" height="${height}" fill="${COLOURS.background}"/>`);
  // Header: title and priority badge.
  shapes.push(`<rect width="${W}" height="${L.headerHeight}" fill="${COLOURS.header}"/>`);
  texts.push({ x: 24, y: 43, text: "RadZ AI findings", size: 30, fill: COLOURS.text, bold: true });
  const badge = PRIORITY_STYLE[triage.priority];
  shapes.push(`<rect x="704" y="12" width="296" height="40" rx="6" fill="${badge.fill}"/>`);
  texts.push({
    x: 852,
    y: 41,
    text: `PRIORITY: ${triage.priority.toUpperCase()}`,
    size: 22,
    fill: badge.text,
    bold: true,
    anchor: "middle",
  });

  // Warnings.
  texts.push({
    x: 24,
    y: 96,
    text: "MACHINE-GENERATED, NOT VERIFIED - not for clinical use without review",
    size: 20,
    fill: COLOURS.warning,
    bold: true,
  });
  if (model.synthetic) {
    texts.push({
      x: 24,
      y: 128,
      text: "SYNTHETIC demonstration model - scores are not from a trained clinical model",
      size: 20,
      fill: COLOURS.synthetic,
      bold: true,
    });
  }

  // Thumbnail frame and caption (the picture itself is composited afterwards).
  const box = L.thumbnail;
  shapes.push(
    `<rect x="${box.left - 2}" y="${box.top - 2}" width="${box.size + 4}" height="${box.size + 4}" fill="#000" stroke="${COLOURS.frame}" stroke-width="2"/>`,
  );
  texts.push({
    x: box.left + box.size / 2,
    y: box.top + box.size + 30,
    text: `Image read${input.imageCount > 1 ? ` (1 of ${input.imageCount})` : ""}`,
    size: 18,
    fill: COLOURS.muted,
    anchor: "middle",
  });

  // Legend: which outline is which finding (colours as in the table's swatches).
  legendEntries(input).forEach((entry, i) => {
    const y = box.top + box.size + 44 + i * LEGEND_ROW_HEIGHT;
    shapes.push(`<rect x="${box.left}" y="${y}" width="28" height="4" fill="${entry.colour}"/>`);
    texts.push({
      x: box.left + 38,
      y: y + 8,
      text: fitText(entry.label, maxCharsFor(box.size - 38, 16)),
      size: 16,
      fill: COLOURS.text,
    });
  });

  // Findings table.
  const t = L.table;
  const col = {
    finding: t.left + 12,
    probability: t.left + 324,
    threshold: t.left + 424,
    flag: t.left + 440,
  };
  shapes.push(
    `<rect x="${t.left}" y="${t.top}" width="${t.width}" height="${t.headerHeight}" fill="${COLOURS.tableHeader}"/>`,
  );
  const headerY = t.top + 25;
  texts.push({
    x: col.finding,
    y: headerY,
    text: "Finding",
    size: 18,
    fill: COLOURS.muted,
    bold: true,
  });
  texts.push({
    x: col.probability,
    y: headerY,
    text: "Prob.",
    size: 18,
    fill: COLOURS.muted,
    bold: true,
    anchor: "end",
  });
  texts.push({
    x: col.threshold,
    y: headerY,
    text: "Thresh.",
    size: 18,
    fill: COLOURS.muted,
    bold: true,
    anchor: "end",
  });
  texts.push({ x: col.flag, y: headerY, text: "Flag", size: 18, fill: COLOURS.muted, bold: true });
  const findingChars = maxCharsFor(col.probability - col.finding - 76, 20);
  if (findings.length === 0) {
    texts.push({
      x: col.finding,
      y: t.top + t.headerHeight + 24,
      text: "No findings in this model's label set",
      size: 20,
      fill: COLOURS.muted,
    });
  }
  const colours = findingColours(findings);
  findings.forEach((f, i) => {
    const y = t.top + t.headerHeight + i * t.rowHeight;
    const fill = f.positive ? COLOURS.rowPositive : i % 2 === 0 ? COLOURS.rowEven : COLOURS.rowOdd;
    shapes.push(
      `<rect x="${t.left}" y="${y}" width="${t.width}" height="${t.rowHeight}" fill="${fill}"/>`,
    );
    const baseline = y + 24;
    const colour = colours.get(f.labelId);
    if (colour !== undefined)
      shapes.push(
        `<rect x="${t.left + 2}" y="${y + 4}" width="6" height="${t.rowHeight - 8}" fill="${colour}"/>`,
      );
    texts.push({
      x: col.finding,
      y: baseline,
      text: fitText(f.display, findingChars),
      size: 20,
      fill: COLOURS.text,
      bold: f.positive,
    });
    texts.push({
      x: col.probability,
      y: baseline,
      text: formatProbability(f.probability),
      size: 20,
      fill: f.positive ? COLOURS.positive : COLOURS.text,
      bold: f.positive,
      anchor: "end",
    });
    texts.push({
      x: col.threshold,
      y: baseline,
      text: formatProbability(f.threshold),
      size: 20,
      fill: COLOURS.muted,
      anchor: "end",
    });
    texts.push({
      x: col.flag,
      y: baseline,
      text: f.positive ? "POSITIVE" : "-",
      size: 18,
      fill: f.positive ? COLOURS.positive : COLOURS.muted,
      bold: f.positive,
    });
  });

  // Footer: model identity and how to read the table.
  const footerTop = height - L.footerHeight;
  shapes.push(`<rect x="0" y="${footerTop}" width="${W}" height="1" fill="${COLOURS.frame}"/>`);
  const footerChars = maxCharsFor(W - 48, 16);
  texts.push({
    x: 24,
    y: footerTop + 30,
    text: fitText(
      `Model: ${model.name} ${model.version} (bundle ${model.id}, label set ${model.labelSetHash})`,
      footerChars,
    ),
    size: 16,
    fill: COLOURS.text,
  });
  texts.push({
    x: 24,
    y: footerTop + 58,
    text: fitText(
      `RadZ ${input.softwareVersion} | ${utcStamp(input.createdAt)} | Prob. = calibrated probability; flag when Prob. >= Thresh.`,
      footerChars,
    ),
    size: 16,
    fill: COLOURS.muted,
  });

  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}">` +
    shapes.join("") +
    texts.map((run) => textSvg(run, renderer)).join("") +
    `</svg>`
  );
}

/** How far the overlay's strokes and peak dots may reach beyond the thumbnail (page pixels). */
const OVERLAY_MARGIN = 6;

/**
 * The regions of positive findings on the thumbnail's image, as an SVG the
 * size of the thumbnail plus OVERLAY_MARGIN on each side (transparent
 * elsewhere; a page-sized one cost several times the rendering and
 * compositing for the same pixels): contour outline, dashed box, a dot at the
 * peak, each in its finding's colour. Composited over the thumbnail at
 * (left, top).
 */
function overlaySvg(input: SummaryPictureInput): { svg: string; left: number; top: number } | null {
  const source = input.thumbnailSource;
  if (source?.columns === undefined || source.rows === undefined) return null;
  const place = thumbnailPlacement(input.thumbnail);
  const sx = place.width / source.columns;
  const sy = place.height / source.rows;
  // Whole page pixels, so the shapes fall on the same pixels as on a page-sized overlay.
  const left = Math.max(0, place.left - OVERLAY_MARGIN);
  const top = Math.max(0, place.top - OVERLAY_MARGIN);
  const width = place.left + place.width + OVERLAY_MARGIN - left;
  const height = place.top + place.height + OVERLAY_MARGIN - top;
  const px = (x: number): string => (place.left - left + x * sx).toFixed(1);
  const py = (y: number): string => (place.top - top + y * sy).toFixed(1);
  const colours = findingColours(input.findings);
  const shapes: string[] = [];
  for (const f of input.findings) {
    const colour = colours.get(f.labelId);
    if (colour === undefined) continue;
    for (const r of f.regions ?? []) {
      if (r.sopInstanceUid !== source.sopInstanceUid) continue;
      const [x0, y0, x1, y1] = r.box;
      shapes.push(
        `<rect x="${px(x0)}" y="${py(y0)}" width="${(Math.max(0, x1 - x0) * sx).toFixed(1)}" height="${(Math.max(0, y1 - y0) * sy).toFixed(1)}" fill="none" stroke="${colour}" stroke-width="1.5" stroke-dasharray="5 4"/>`,
      );
      if (r.polygon.length >= 3)
        shapes.push(
          `<polygon points="${r.polygon.map(([x, y]) => `${px(x)},${py(y)}`).join(" ")}" fill="${colour}" fill-opacity="0.18" stroke="${colour}" stroke-width="3"/>`,
        );
      shapes.push(
        `<circle cx="${px(r.peak[0])}" cy="${py(r.peak[1])}" r="4" fill="${colour}" stroke="#000" stroke-width="1"/>`,
      );
    }
  }
  if (shapes.length === 0) return null;
  return {
    svg: `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${shapes.join("")}</svg>`,
    left,
    top,
  };
}

function utcStamp(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** Renders the summary picture as RGB pixels. */
export async function renderSummaryPicture(input: SummaryPictureInput): Promise<SummaryPicture> {
  const { thumbnail } = input;
  if (
    thumbnail.rows < 1 ||
    thumbnail.columns < 1 ||
    thumbnail.data.length < thumbnail.rows * thumbnail.columns
  )
    throw new RadzError("SUMMARY_RENDER_FAILED", "The thumbnail has no pixels.");
  const wanted = input.textRenderer ?? "auto";
  const renderer: TextRenderer =
    wanted === "auto" ? ((await systemFontsRenderText()) ? "font" : "bitmap") : wanted;
  const height = summaryHeight(input.findings.length, legendEntries(input).length);
  const place = thumbnailPlacement(thumbnail);
  const overlay = overlaySvg(input);
  try {
    const picture = await sharp(
      Buffer.from(
        thumbnail.data.buffer,
        thumbnail.data.byteOffset,
        thumbnail.rows * thumbnail.columns,
      ),
      { raw: { width: thumbnail.columns, height: thumbnail.rows, channels: 1 } },
    )
      .resize(place.width, place.height, { fit: "fill", kernel: "lanczos3" })
      .toColourspace("srgb")
      .png()
      .toBuffer();
    const { data, info } = await sharp(Buffer.from(pageSvg(input, renderer, height)))
      .composite([
        { input: picture, left: place.left, top: place.top },
        ...(overlay === null
          ? []
          : [{ input: Buffer.from(overlay.svg), left: overlay.left, top: overlay.top }]),
      ])
      .flatten({ background: COLOURS.background })
      .removeAlpha()
      .toColourspace("srgb")
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || info.width !== SUMMARY_LAYOUT.width || info.height !== height)
      throw new Error(`unexpected raster ${info.width}x${info.height}x${info.channels}`);
    return {
      width: info.width,
      height: info.height,
      rgb: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      textRenderer: renderer,
    };
  } catch (cause) {
    throw new RadzError("SUMMARY_RENDER_FAILED", "sharp could not render the summary image.", {
      cause,
    });
  }
}
