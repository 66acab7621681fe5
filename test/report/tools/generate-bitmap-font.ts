/**
 * Regenerates src/report/bitmap-font.ts: printable ASCII (0x20-0x7E) from
 * DejaVu Sans Mono rendered by sharp/librsvg into a 12x24 cell and
 * thresholded at half coverage. Run (needs the font installed):
 *
 *   npx tsx test/report/tools/generate-bitmap-font.ts > src/report/bitmap-font.ts
 *   npx prettier --write src/report/bitmap-font.ts
 */
import sharp from "sharp";

const CELL_WIDTH = 12;
const CELL_HEIGHT = 24;
const BASELINE = 18;
const FONT_SIZE = 20;

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

async function glyph(char: string): Promise<string> {
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${CELL_WIDTH}" height="${CELL_HEIGHT}">` +
    `<rect width="100%" height="100%" fill="black"/>` +
    `<text x="0" y="${BASELINE}" font-family="DejaVu Sans Mono" font-size="${FONT_SIZE}" fill="white" xml:space="preserve">${escapeXml(char)}</text></svg>`;
  const { data, info } = await sharp(Buffer.from(svg))
    .greyscale()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const rows: string[] = [];
  for (let y = 0; y < CELL_HEIGHT; y++) {
    let bits = 0;
    for (let x = 0; x < CELL_WIDTH; x++) {
      const v = data[(y * info.width + x) * info.channels] ?? 0;
      if (v >= 128) bits |= 1 << (CELL_WIDTH - 1 - x);
    }
    rows.push(bits.toString(16).padStart(3, "0"));
  }
  return rows.join("");
}

const lines: string[] = [];
for (let code = 0x20; code <= 0x7e; code++) {
  const char = String.fromCharCode(code);
  lines.push(`  ${JSON.stringify(await glyph(char))}, // ${JSON.stringify(char)}`);
}

process.stdout.write(`/**
 * A bitmap font for the summary image when no system font renders text
 * (summary-image.ts probes; a server image without fonts would otherwise
 * write a summary with no words on it).
 *
 * Printable ASCII 0x20-0x7E, one ${CELL_WIDTH}x${CELL_HEIGHT} cell per glyph, baseline at row ${BASELINE};
 * each glyph is ${CELL_HEIGHT} rows of ${CELL_WIDTH} bits written as 3 hex digits, most
 * significant bit = leftmost pixel. Rasterised from DejaVu Sans Mono (Bitstream
 * Vera licence: free use, derived works allowed under another name) by
 * test/report/tools/generate-bitmap-font.ts.
 */

export const BITMAP_FONT = {
  cellWidth: ${CELL_WIDTH},
  cellHeight: ${CELL_HEIGHT},
  baseline: ${BASELINE},
  firstCode: 0x20,
} as const;

/** Glyph rows, index = char code - 0x20. */
export const BITMAP_GLYPHS: readonly string[] = [
${lines.join("\n")}
];
`);
