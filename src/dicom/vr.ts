/**
 * Value Representations (PS3.5 Section 6.2) and the element encoding rules
 * that depend on them (PS3.5 Section 7.1).
 */

/**
 * VRs with a 2-byte reserved field and a 4-byte length in explicit VR
 * (PS3.5 7.1.2); every other VR has a 2-byte length.
 */
export const LONG_VRS: ReadonlySet<string> = new Set([
  "OB",
  "OD",
  "OF",
  "OL",
  "OV",
  "OW",
  "SQ",
  "UC",
  "UN",
  "UR",
  "UT",
  "SV",
  "UV",
]);

/** The Value Length that means "undefined length, delimited" (PS3.5 7.1.1). */
export const UNDEFINED_LENGTH = 0xffffffff;

/** PS3.5 Table 6.2-1 maximum lengths (characters) of the string VRs RadZ writes. */
export const VR_MAX_LENGTH = { SH: 16, LO: 64, ST: 1024, DS: 16, CS: 16 } as const;
