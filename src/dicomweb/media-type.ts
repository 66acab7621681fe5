/**
 * Media types with parameters (RFC 9110 §8.3.1): `type/subtype *(OWS ";" OWS
 * name=(token / quoted-string))`. Parameter names are case-insensitive; values
 * keep their case, quoted-strings are unescaped. Used for Content-Type of
 * DICOMweb responses (multipart boundary, type) and to build Accept headers.
 */

export interface MediaType {
  /** Lower-case "type/subtype", e.g. "multipart/related". */
  readonly essence: string;
  /** Parameters by lower-case name. */
  readonly params: ReadonlyMap<string, string>;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function isToken(s: string): boolean {
  return TOKEN.test(s);
}

/** Parses a Content-Type value; null when it is not a well-formed media type. */
export function parseMediaType(header: string): MediaType | null {
  let i = 0;
  const s = header;
  const skipOws = (): void => {
    while (i < s.length && (s[i] === " " || s[i] === "\t")) i++;
  };
  const readToken = (): string => {
    const start = i;
    while (i < s.length && TOKEN.test(s[i] ?? "")) i++;
    return s.slice(start, i);
  };

  skipOws();
  const type = readToken();
  if (type === "" || s[i] !== "/") return null;
  i++;
  const subtype = readToken();
  if (subtype === "") return null;
  const params = new Map<string, string>();
  for (;;) {
    skipOws();
    if (i >= s.length) break;
    if (s[i] !== ";") return null;
    i++;
    skipOws();
    if (i >= s.length) break; // tolerate a trailing ';'
    const name = readToken().toLowerCase();
    if (name === "" || s[i] !== "=") return null;
    i++;
    let value: string;
    if (s[i] === '"') {
      i++;
      let out = "";
      let closed = false;
      while (i < s.length) {
        const c = s[i] ?? "";
        if (c === "\\" && i + 1 < s.length) {
          out += s[i + 1];
          i += 2;
        } else if (c === '"') {
          i++;
          closed = true;
          break;
        } else {
          out += c;
          i++;
        }
      }
      if (!closed) return null;
      value = out;
    } else {
      // RFC 9110 wants a token here, but servers send e.g. type=application/dicom
      // unquoted ('/' is not a token character): accept up to ';' or whitespace.
      const start = i;
      while (i < s.length && isLooseValueChar(s.charCodeAt(i))) i++;
      value = s.slice(start, i);
      if (value === "") return null;
    }
    // The first occurrence wins (RFC 9110 leaves duplicates undefined).
    if (!params.has(name)) params.set(name, value);
  }
  return { essence: `${type}/${subtype}`.toLowerCase(), params };
}

/** Visible ASCII except ';' and '"' (unquoted parameter values, leniently). */
function isLooseValueChar(code: number): boolean {
  return code > 0x20 && code < 0x7f && code !== 0x3b && code !== 0x22;
}

/** Formats a parameter value: a token as is, anything else as an escaped quoted-string. */
export function formatParamValue(value: string): string {
  if (isToken(value)) return value;
  return `"${value.replace(/(["\\])/g, "\\$1")}"`;
}

/**
 * A multipart boundary as RFC 2046 allows it: 1-70 characters from
 * `DIGIT / ALPHA / ' ( ) + _ , - . / : = ?` and space, not ending in a space.
 * (Parsing is more lenient: see isAcceptableBoundary.)
 */
export function isRfc2046Boundary(boundary: string): boolean {
  return /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/.test(boundary);
}

/** Boundaries we accept from servers: printable ASCII, no CR/LF, at most 200 characters. */
export function isAcceptableBoundary(boundary: string): boolean {
  return boundary.length > 0 && boundary.length <= 200 && /^[\x20-\x7e]+$/.test(boundary);
}
