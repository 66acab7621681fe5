/**
 * JSON with comments, as Orthanc's configuration files are written (jsoncpp:
 * `//` and `/* *\/` comments; Debian's /etc/orthanc/*.json are full of them).
 *
 * The parser keeps each value's byte span, so an edit can splice a few
 * characters into the user's file and leave every other byte — comments,
 * indentation, key order — exactly as it was. That is what makes
 * `radz orthanc install` reviewable as a small diff and `uninstall` exact.
 */

interface Span {
  /** Offset of the value's first character. */
  readonly start: number;
  /** Offset just after the value's last character. */
  readonly end: number;
}

export interface JsoncMember {
  readonly key: string;
  readonly keyStart: number;
  readonly value: JsoncNode;
}

export type JsoncNode =
  | (Span & { readonly kind: "object"; readonly members: readonly JsoncMember[] })
  | (Span & {
      readonly kind: "array";
      readonly items: readonly JsoncNode[];
      /** Offset of a comma after the last item (jsoncpp tolerates one), or null. */
      readonly trailingComma: number | null;
    })
  | (Span & { readonly kind: "string"; readonly value: string })
  | (Span & { readonly kind: "number"; readonly value: number })
  | (Span & { readonly kind: "boolean"; readonly value: boolean })
  | (Span & { readonly kind: "null" });

export type JsoncObject = Extract<JsoncNode, { kind: "object" }>;
export type JsoncArray = Extract<JsoncNode, { kind: "array" }>;

export class JsoncSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
    readonly line: number,
  ) {
    super(`${message} at line ${line}`);
    this.name = "JsoncSyntaxError";
  }
}

class Parser {
  private i = 0;

  constructor(private readonly text: string) {}

  fail(message: string, at = this.i): never {
    const line = this.text.slice(0, at).split("\n").length;
    throw new JsoncSyntaxError(message, at, line);
  }

  skip(): void {
    const t = this.text;
    for (;;) {
      const c = t[this.i];
      if (c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\uFEFF") {
        this.i++;
      } else if (c === "/" && t[this.i + 1] === "/") {
        const nl = t.indexOf("\n", this.i);
        this.i = nl === -1 ? t.length : nl + 1;
      } else if (c === "/" && t[this.i + 1] === "*") {
        const close = t.indexOf("*/", this.i + 2);
        if (close === -1) this.fail("unterminated /* comment");
        this.i = close + 2;
      } else {
        return;
      }
    }
  }

  document(): JsoncNode {
    this.skip();
    const node = this.value();
    this.skip();
    if (this.i !== this.text.length) this.fail("unexpected text after the JSON value");
    return node;
  }

  value(): JsoncNode {
    const t = this.text;
    const c = t[this.i];
    const start = this.i;
    if (c === "{") return this.object();
    if (c === "[") return this.array();
    if (c === '"') return { kind: "string", start, value: this.string(), end: this.i };
    if (t.startsWith("true", start)) return this.literal("boolean", 4, true);
    if (t.startsWith("false", start)) return this.literal("boolean", 5, false);
    if (t.startsWith("null", start)) {
      this.i += 4;
      return { kind: "null", start, end: this.i };
    }
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(t.slice(start, start + 64));
    if (m) {
      this.i += m[0].length;
      return { kind: "number", start, end: this.i, value: Number(m[0]) };
    }
    return this.fail(c === undefined ? "unexpected end of file" : `unexpected character '${c}'`);
  }

  literal(kind: "boolean", length: number, value: boolean): JsoncNode {
    const start = this.i;
    this.i += length;
    return { kind, start, end: this.i, value };
  }

  string(): string {
    const t = this.text;
    const start = this.i;
    this.i++; // opening quote
    let out = "";
    for (;;) {
      const c = t[this.i];
      if (c === undefined || c === "\n") this.fail("unterminated string", start);
      if (c === '"') {
        this.i++;
        return out;
      }
      if (c === "\\") {
        const e = t[this.i + 1];
        const simple: Record<string, string> = {
          '"': '"',
          "\\": "\\",
          "/": "/",
          b: "\b",
          f: "\f",
          n: "\n",
          r: "\r",
          t: "\t",
        };
        if (e !== undefined && e in simple) {
          out += simple[e];
          this.i += 2;
        } else if (e === "u" && /^[0-9a-fA-F]{4}$/.test(t.slice(this.i + 2, this.i + 6))) {
          out += String.fromCharCode(Number.parseInt(t.slice(this.i + 2, this.i + 6), 16));
          this.i += 6;
        } else {
          this.fail("invalid escape in string");
        }
      } else {
        out += c;
        this.i++;
      }
    }
  }

  object(): JsoncNode {
    const start = this.i;
    this.i++;
    const members: JsoncMember[] = [];
    for (;;) {
      this.skip();
      if (this.text[this.i] === "}") break;
      if (this.text[this.i] !== '"') this.fail("expected a quoted key or '}'");
      const keyStart = this.i;
      const key = this.string();
      this.skip();
      if (this.text[this.i] !== ":") this.fail("expected ':'");
      this.i++;
      this.skip();
      members.push({ key, keyStart, value: this.value() });
      this.skip();
      if (this.text[this.i] === ",") {
        this.i++;
        continue;
      }
      if (this.text[this.i] !== "}") this.fail("expected ',' or '}'");
    }
    this.i++;
    return { kind: "object", start, end: this.i, members };
  }

  array(): JsoncNode {
    const start = this.i;
    this.i++;
    const items: JsoncNode[] = [];
    let trailingComma: number | null = null;
    for (;;) {
      this.skip();
      if (this.text[this.i] === "]") break;
      trailingComma = null;
      items.push(this.value());
      this.skip();
      if (this.text[this.i] === ",") {
        trailingComma = this.i;
        this.i++;
        continue;
      }
      if (this.text[this.i] !== "]") this.fail("expected ',' or ']'");
    }
    this.i++;
    return { kind: "array", start, end: this.i, items, trailingComma };
  }
}

/** Parses JSON with comments, keeping spans. Throws JsoncSyntaxError. */
export function parseJsonc(text: string): JsoncNode {
  return new Parser(text).document();
}

/** The plain value of a node. */
export function jsoncValue(node: JsoncNode): unknown {
  switch (node.kind) {
    case "object":
      return Object.fromEntries(node.members.map((m) => [m.key, jsoncValue(m.value)]));
    case "array":
      return node.items.map(jsoncValue);
    case "null":
      return null;
    case "string":
    case "number":
    case "boolean":
      return node.value;
  }
}

export function memberOf(node: JsoncObject, key: string): JsoncMember | undefined {
  return node.members.find((m) => m.key === key);
}

/** Leading whitespace of the line that contains `offset`. */
function lineIndent(text: string, offset: number): string {
  const lineStart = text.lastIndexOf("\n", offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart))?.[0] ?? "";
}

/** Indentation for a new child of the container starting at `at` (its key or bracket). */
function childIndent(
  text: string,
  containerLineAt: number,
  firstChildAt: number | undefined,
): string {
  if (firstChildAt !== undefined) {
    const lineStart = text.lastIndexOf("\n", firstChildAt - 1) + 1;
    const before = text.slice(lineStart, firstChildAt);
    if (/^[ \t]*$/.test(before)) return before;
  }
  const base = lineIndent(text, containerLineAt);
  return base + (base.includes("\t") ? "\t" : "  ");
}

/** A value as JSON text on one line ("a" : 1 style is the caller's business). */
export function jsonText(value: unknown): string {
  return JSON.stringify(value);
}

/**
 * Inserts members at the start of an object (right after "{"), one per line,
 * keeping the object's existing text — comments included — after them.
 * `lineAt` is where the object's line starts (its key, for a member value).
 */
export function insertMembers(
  text: string,
  object: JsoncObject,
  members: readonly (readonly [string, unknown])[],
  lineAt: number = object.start,
): string {
  if (members.length === 0) return text;
  const indent = childIndent(text, lineAt, object.members[0]?.keyStart);
  const lines = members.map(([k, v]) => `\n${indent}${jsonText(k)} : ${jsonText(v)}`);
  const insertion = lines.join(",") + (object.members.length > 0 ? "," : "");
  return text.slice(0, object.start + 1) + insertion + text.slice(object.start + 1);
}

/** Appends an item at the end of an array, on its own line. */
export function appendItem(
  text: string,
  array: JsoncArray,
  item: unknown,
  lineAt: number = array.start,
): string {
  const last = array.items[array.items.length - 1];
  const indent = childIndent(text, lineAt, array.items[0]?.start);
  if (last === undefined) {
    const at = array.start + 1;
    const closeOnOwnLine = /\n[ \t]*$/.test(text.slice(at, array.end - 1));
    const insertion = `\n${indent}${jsonText(item)}` + (closeOnOwnLine ? "" : " ");
    return text.slice(0, at) + insertion + text.slice(at);
  }
  if (array.trailingComma !== null) {
    const at = array.trailingComma + 1;
    return text.slice(0, at) + `\n${indent}${jsonText(item)},` + text.slice(at);
  }
  return text.slice(0, last.end) + `,\n${indent}${jsonText(item)}` + text.slice(last.end);
}

/** Replaces a node's text with a new value. */
export function replaceValue(text: string, node: JsoncNode, value: unknown): string {
  return text.slice(0, node.start) + jsonText(value) + text.slice(node.end);
}
