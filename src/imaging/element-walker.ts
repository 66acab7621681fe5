/**
 * A structural walk over a Part-10 byte stream (PS3.10 7.1, PS3.5 7): element
 * headers, value lengths, sequence items and delimiters, without decoding any
 * value. Used to say WHERE a file is broken (tag and offset only, never a
 * value, so error messages carry no PHI), and to confirm that a file which a
 * strict dcmjs read refused (e.g. for an unsupported character set) is
 * nevertheless complete before a lenient read is trusted.
 */
import { keywordOf } from "./dcmjs-binding.js";
import {
  LONG_VRS,
  Tag,
  TransferSyntaxUid,
  UNDEFINED_LENGTH,
  formatTag,
  hexTag,
} from "../dicom/index.js";

export interface WalkProblem {
  /** Byte offset (from the start of the file, or of the inflated dataset) of the bad element header. */
  offset: number;
  /** "(0028,0010) Rows" when the tag is known, else "(GGGG,EEEE)"; undefined when no tag could be read. */
  element: string | undefined;
  /** What is wrong, in words that carry no values. */
  problem: string;
  /** True when a safety limit (elements, fragments, nesting) was exceeded rather than the syntax broken. */
  limit?: boolean;
}

export interface WalkResult {
  /** Transfer Syntax UID from the file meta, when it could be read. */
  transferSyntaxUid: string | undefined;
  /** Offset of the first dataset byte after the file meta group. */
  datasetOffset: number;
  /** Top-level elements of the dataset (file meta excluded), when the walk succeeded. */
  topLevelElements: number;
  /**
   * Absolute [start, end) byte ranges of top-level UN elements with undefined
   * length (PS3.5 6.2.2, CP-246: a sequence whose VR the writer did not know).
   * Empty for the deflated syntax (its offsets are not file offsets).
   */
  undefinedLengthUn: { start: number; end: number }[];
  /**
   * The top-level Pixel Data element when it has a defined, non-zero length
   * and a 4-byte length field: [start, end) of its value and the offset of
   * that length field. Offsets count from the start of the file, or of the
   * inflated dataset for the deflated syntax.
   */
  pixelData?: { start: number; end: number; lengthAt: number };
  /**
   * The top-level Pixel Data element when it is encapsulated (undefined
   * length, PS3.5 A.4): [start, end) of the whole element, from its tag to the
   * end of its Sequence Delimitation Item, its VR (undefined in implicit VR),
   * and the [start, end) value range of each item: the Basic Offset Table
   * first, then the fragments. Offsets count from the start of the file; not
   * set for the deflated syntax.
   */
  encapsulatedPixelData?: {
    start: number;
    end: number;
    vr: string | undefined;
    items: { start: number; end: number }[];
  };
  problem: WalkProblem | undefined;
}

/**
 * Safety limits, checked before dcmjs allocates anything (a 256 MB file of
 * 8-byte elements would otherwise become 32 million objects). Far above real
 * radiographs (a few hundred elements, one to a few thousand fragments).
 */
export const WALK_LIMITS = Object.freeze({
  /** Sequence nesting depth. */
  maxDepth: 64,
  /** Data elements and sequence items, all nesting levels together (fragments count apart). */
  maxElements: 1_000_000,
  /** Encapsulated Pixel Data fragments (items), Basic Offset Table included. */
  maxFragments: 1 << 20,
});
const MAX_DEPTH = WALK_LIMITS.maxDepth;

function describe(tagHex: string): string {
  const kw = keywordOf(tagHex);
  return kw === undefined ? formatTag(tagHex) : `${formatTag(tagHex)} ${kw}`;
}

class WalkError extends Error {
  constructor(readonly detail: WalkProblem) {
    super(detail.problem);
  }
}

interface Syntax {
  explicit: boolean;
  little: boolean;
}

class Walker {
  private readonly view: DataView;
  /** Top-level UN elements of undefined length: [start, end) offsets within `bytes`. */
  readonly undefinedLengthUn: { start: number; end: number }[] = [];
  /** Top-level encapsulated Pixel Data (offsets within `bytes`; WalkResult.encapsulatedPixelData). */
  encapsulatedPixelData: WalkResult["encapsulatedPixelData"];
  private elements = 0;
  private fragmentCount = 0;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly offsetBase: number,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private fail(offset: number, tagHex: string | undefined, problem: string, limit = false): never {
    throw new WalkError({
      offset: offset + this.offsetBase,
      element: tagHex === undefined ? undefined : describe(tagHex),
      problem,
      ...(limit ? { limit } : {}),
    });
  }

  /** Counts one element or item against WALK_LIMITS.maxElements. */
  private counted(off: number, tagHex: string): void {
    if (++this.elements > WALK_LIMITS.maxElements) {
      this.fail(off, tagHex, `more than ${WALK_LIMITS.maxElements} data elements and items`, true);
    }
  }

  private u16(off: number, little: boolean): number {
    return this.view.getUint16(off, little);
  }
  private u32(off: number, little: boolean): number {
    return this.view.getUint32(off, little);
  }

  /**
   * Walks elements from `start` until `end`, or until a delimiter when
   * `untilDelimiter` names one. Returns [offset after, elements seen].
   */
  walk(
    start: number,
    end: number,
    syntax: Syntax,
    depth: number,
    untilDelimiter: string | undefined,
    stopAtGroup?: number,
    onElement?: (
      tagHex: string,
      valueStart: number,
      length: number,
      vr: string | undefined,
    ) => void,
  ): [number, number] {
    let off = start;
    let count = 0;
    while (off < end) {
      if (end - off < 8)
        this.fail(off, undefined, `element header cut short (${end - off} bytes left)`);
      const group = this.u16(off, syntax.little);
      if (stopAtGroup !== undefined && group !== stopAtGroup) return [off, count];
      const element = this.u16(off + 2, syntax.little);
      const tagHex = hexTag(group, element);
      if (tagHex === Tag.ItemDelimitationItem || tagHex === Tag.SequenceDelimitationItem) {
        if (tagHex === untilDelimiter) return [off + 8, count];
        this.fail(off, tagHex, "unexpected delimitation item");
      }
      let vr: string | undefined;
      let length: number;
      let headerLen: number;
      if (syntax.explicit && group !== 0xfffe) {
        const a = this.bytes[off + 4] ?? 0;
        const b = this.bytes[off + 5] ?? 0;
        if (a < 0x41 || a > 0x5a || b < 0x41 || b > 0x5a)
          this.fail(off, tagHex, "invalid VR bytes");
        vr = String.fromCharCode(a, b);
        if (LONG_VRS.has(vr)) {
          if (end - off < 12) this.fail(off, tagHex, "element header cut short");
          length = this.u32(off + 8, syntax.little);
          headerLen = 12;
        } else {
          length = this.u16(off + 6, syntax.little);
          headerLen = 8;
        }
      } else {
        length = this.u32(off + 4, syntax.little);
        headerLen = 8;
      }
      const valueStart = off + headerLen;
      count++;
      this.counted(off, tagHex);
      if (length === UNDEFINED_LENGTH) {
        if (depth >= MAX_DEPTH)
          this.fail(off, tagHex, `sequences nested deeper than ${MAX_DEPTH}`, true);
        const isPixelData = tagHex === Tag.PixelData;
        const isSequence = vr === "SQ" || vr === "UN" || vr === undefined || isPixelData;
        if (!isSequence) this.fail(off, tagHex, `undefined length on VR ${vr ?? "?"}`);
        // UN with undefined length holds a sequence encoded in Implicit VR Little Endian (PS3.5 6.2.2).
        const itemSyntax = vr === "UN" ? { explicit: false, little: true } : syntax;
        const items = isPixelData && depth === 0 ? [] : undefined;
        const after = this.items(
          valueStart,
          end,
          itemSyntax,
          depth + 1,
          isPixelData,
          tagHex,
          true,
          items,
        );
        if (vr === "UN" && depth === 0) this.undefinedLengthUn.push({ start: off, end: after });
        if (items !== undefined) this.encapsulatedPixelData = { start: off, end: after, vr, items };
        off = after;
        continue;
      }
      if (length > end - valueStart) {
        this.fail(off, tagHex, `value length ${length} exceeds the ${end - valueStart} bytes left`);
      }
      onElement?.(tagHex, valueStart, length, vr);
      if (vr === "SQ" && length > 0) {
        if (depth >= MAX_DEPTH)
          this.fail(off, tagHex, `sequences nested deeper than ${MAX_DEPTH}`, true);
        const seqEnd = valueStart + length;
        const after = this.items(valueStart, seqEnd, syntax, depth + 1, false, tagHex, false);
        if (after !== seqEnd) this.fail(off, tagHex, "sequence items overrun the sequence length");
      }
      off = valueStart + length;
    }
    if (untilDelimiter !== undefined)
      this.fail(off, undefined, "missing delimitation item before end of data");
    return [off, count];
  }

  /**
   * Items of a sequence (or encapsulated pixel data fragments) from `start`.
   * Returns offset after. `collect` receives each item's value range.
   */
  private items(
    start: number,
    end: number,
    syntax: Syntax,
    depth: number,
    fragments: boolean,
    parentTag: string,
    undefinedLength: boolean,
    collect?: { start: number; end: number }[],
  ): number {
    let off = start;
    const definedEnd = end;
    while (off < definedEnd) {
      if (definedEnd - off < 8) this.fail(off, parentTag, "item header cut short");
      const tagHex = hexTag(this.u16(off, syntax.little), this.u16(off + 2, syntax.little));
      const length = this.u32(off + 4, syntax.little);
      if (tagHex === Tag.SequenceDelimitationItem) return off + 8;
      if (tagHex !== Tag.Item)
        this.fail(off, parentTag, "expected an item tag inside the sequence");
      if (!fragments) this.counted(off, parentTag);
      else if (++this.fragmentCount > WALK_LIMITS.maxFragments) {
        this.fail(
          off,
          parentTag,
          `more than ${WALK_LIMITS.maxFragments} pixel data fragments`,
          true,
        );
      }
      const valueStart = off + 8;
      if (length === UNDEFINED_LENGTH) {
        if (fragments) this.fail(off, parentTag, "pixel data fragment with undefined length");
        const [after] = this.walk(valueStart, definedEnd, syntax, depth, Tag.ItemDelimitationItem);
        off = after;
        continue;
      }
      if (length > definedEnd - valueStart) {
        this.fail(
          off,
          parentTag,
          `item length ${length} exceeds the ${definedEnd - valueStart} bytes left`,
        );
      }
      if (!fragments && length > 0) {
        const [after] = this.walk(valueStart, valueStart + length, syntax, depth, undefined);
        if (after !== valueStart + length)
          this.fail(off, parentTag, "item content overruns the item length");
      }
      collect?.push({ start: valueStart, end: valueStart + length });
      off = valueStart + length;
    }
    if (undefinedLength)
      this.fail(off, parentTag, "sequence delimitation item missing before end of data");
    return off;
  }
}

/**
 * Walks a Part-10 file. For the deflated transfer syntax, `inflate` must turn
 * the raw-deflated dataset into its bytes (offsets then count from the start
 * of the inflated dataset); without it the dataset is not walked.
 */
export function walkPart10(
  bytes: Uint8Array,
  options: { inflate?: (deflated: Uint8Array) => Uint8Array } = {},
): WalkResult {
  let datasetOffset = 0;
  let transferSyntaxUid: string | undefined;
  try {
    if (bytes.byteLength < 132) {
      throw new WalkError({
        offset: 0,
        element: undefined,
        problem: `file is only ${bytes.byteLength} bytes`,
      });
    }
    if (bytes[128] !== 0x44 || bytes[129] !== 0x49 || bytes[130] !== 0x43 || bytes[131] !== 0x4d) {
      throw new WalkError({ offset: 128, element: undefined, problem: 'missing "DICM" prefix' });
    }
    const meta = new Walker(bytes, 0);
    [datasetOffset] = meta.walk(
      132,
      bytes.byteLength,
      { explicit: true, little: true },
      0,
      undefined,
      0x0002,
      (tagHex, start, length) => {
        if (tagHex === Tag.TransferSyntaxUID) {
          transferSyntaxUid = String.fromCharCode(
            ...bytes.subarray(start, start + Math.min(length, 64)),
          ).replace(/[\0 ]+$/, "");
        }
      },
    );
    if (transferSyntaxUid === undefined) {
      throw new WalkError({
        offset: 132,
        element: describe(Tag.TransferSyntaxUID),
        problem: "file meta information lacks the transfer syntax",
      });
    }
    let ds = bytes.subarray(datasetOffset);
    let base = datasetOffset;
    if (transferSyntaxUid === TransferSyntaxUid.DeflatedExplicitVRLittleEndian) {
      if (options.inflate === undefined) {
        return {
          transferSyntaxUid,
          datasetOffset,
          topLevelElements: 0,
          undefinedLengthUn: [],
          problem: undefined,
        };
      }
      try {
        ds = options.inflate(ds);
      } catch {
        throw new WalkError({
          offset: datasetOffset,
          element: undefined,
          problem: "deflated dataset could not be inflated",
        });
      }
      base = 0;
    }
    const explicit = transferSyntaxUid !== TransferSyntaxUid.ImplicitVRLittleEndian;
    const little = transferSyntaxUid !== TransferSyntaxUid.ExplicitVRBigEndian;
    const walker = new Walker(ds, base);
    let pixelData: WalkResult["pixelData"];
    const [, count] = walker.walk(
      0,
      ds.byteLength,
      { explicit, little },
      0,
      undefined,
      undefined,
      (tagHex, start, length, vr) => {
        // Implicit VR and the long explicit VRs (OB, OW, UN) carry a 4-byte length.
        if (tagHex === Tag.PixelData && length > 0 && (vr === undefined || LONG_VRS.has(vr)))
          pixelData = {
            start: start + base,
            end: start + base + length,
            lengthAt: start + base - 4,
          };
      },
    );
    // Byte ranges only make sense in the file itself, not in an inflated copy.
    const undefinedLengthUn =
      base === 0
        ? []
        : walker.undefinedLengthUn.map((r) => ({ start: r.start + base, end: r.end + base }));
    const e = base === 0 ? undefined : walker.encapsulatedPixelData;
    const encapsulatedPixelData = e && {
      start: e.start + base,
      end: e.end + base,
      vr: e.vr,
      items: e.items.map((r) => ({ start: r.start + base, end: r.end + base })),
    };
    return {
      transferSyntaxUid,
      datasetOffset,
      topLevelElements: count,
      undefinedLengthUn,
      ...(pixelData === undefined ? {} : { pixelData }),
      ...(encapsulatedPixelData === undefined ? {} : { encapsulatedPixelData }),
      problem: undefined,
    };
  } catch (err) {
    const failed = { transferSyntaxUid, datasetOffset, topLevelElements: 0, undefinedLengthUn: [] };
    if (err instanceof WalkError) return { ...failed, problem: err.detail };
    if (err instanceof RangeError) {
      return {
        ...failed,
        problem: {
          offset: datasetOffset,
          element: undefined,
          problem: "read past the end of the data",
        },
      };
    }
    throw err;
  }
}

export function formatWalkProblem(p: WalkProblem): string {
  return p.element === undefined
    ? `at offset ${p.offset}: ${p.problem}`
    : `${p.element} at offset ${p.offset}: ${p.problem}`;
}
