/**
 * A reader for Protocol Buffers text format, checked against a protobufjs
 * message type: every field must exist in the type, enums must name a value
 * of their enum, singular fields appear once, numbers fit their field. The
 * result is a plain object for Type.fromObject. Independent of the writer in
 * src/inference/triton/pbtxt.ts (it is what the tests check that writer with).
 */
import type protobuf from "protobufjs";

type Token =
  | { kind: "ident"; text: string }
  | { kind: "number"; value: number }
  | { kind: "string"; value: string }
  | { kind: "punct"; text: string };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i]!;
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === "#") {
      while (i < src.length && src[i] !== "\n") i++;
    } else if ("{}[]:,;<>".includes(ch)) {
      out.push({ kind: "punct", text: ch });
      i++;
    } else if (ch === '"' || ch === "'") {
      const bytes: number[] = [];
      i++;
      while (src[i] !== ch) {
        if (i >= src.length) throw new Error("unterminated string");
        if (src[i] === "\\") {
          const e = src[i + 1]!;
          const simple: Record<string, number> = { n: 10, r: 13, t: 9, '"': 34, "'": 39, "\\": 92 };
          if (e in simple) {
            bytes.push(simple[e]!);
            i += 2;
          } else if (/[0-7]/.test(e)) {
            const oct = /^[0-7]{1,3}/.exec(src.slice(i + 1))![0];
            bytes.push(parseInt(oct, 8));
            i += 1 + oct.length;
          } else throw new Error(`unknown escape \\${e}`);
        } else {
          bytes.push(...Buffer.from(src[i]!, "utf8"));
          i++;
        }
      }
      i++;
      out.push({ kind: "string", value: Buffer.from(bytes).toString("utf8") });
    } else if (/[-0-9.]/.test(ch)) {
      const m = /^-?(\d+\.?\d*([eE][-+]?\d+)?|\.\d+)/.exec(src.slice(i));
      if (!m) throw new Error(`bad number at ${i}`);
      out.push({ kind: "number", value: Number(m[0]) });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(ch)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))!;
      out.push({ kind: "ident", text: m[0] });
      i += m[0].length;
    } else throw new Error(`unexpected character ${JSON.stringify(ch)} at ${i}`);
  }
  return out;
}

const INTEGER_TYPES = new Set([
  "int32",
  "int64",
  "uint32",
  "uint64",
  "sint32",
  "sint64",
  "fixed32",
  "fixed64",
]);

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token | undefined {
    return this.tokens[this.pos];
  }
  private take(): Token {
    const t = this.tokens[this.pos++];
    if (!t) throw new Error("unexpected end of input");
    return t;
  }
  private isPunct(text: string): boolean {
    const t = this.peek();
    return t?.kind === "punct" && t.text === text;
  }
  private expectPunct(text: string): void {
    const t = this.take();
    if (t.kind !== "punct" || t.text !== text) throw new Error(`expected "${text}"`);
  }

  message(type: protobuf.Type, end: string | undefined): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const seen = new Set<string>();
    while (this.peek() && !(end && this.isPunct(end))) {
      const nameTok = this.take();
      if (nameTok.kind !== "ident") throw new Error("expected a field name");
      const field = type.fields[nameTok.text];
      if (!field) throw new Error(`${type.name} has no field "${nameTok.text}"`);
      field.resolve();
      const isMessage = field.resolvedType !== null && "fields" in field.resolvedType;
      if (this.isPunct(":")) this.take();
      else if (!isMessage) throw new Error(`expected ":" after scalar field ${nameTok.text}`);
      const values: unknown[] = [];
      if (this.isPunct("[")) {
        this.take();
        if (!field.repeated) throw new Error(`field ${nameTok.text} is not repeated`);
        while (!this.isPunct("]")) {
          values.push(this.value(field, isMessage));
          if (this.isPunct(",")) this.take();
        }
        this.take();
      } else {
        values.push(this.value(field, isMessage));
      }
      if (this.isPunct(",") || this.isPunct(";")) this.take();
      if (field.repeated) {
        out[field.name] = [...((out[field.name] as unknown[] | undefined) ?? []), ...values];
      } else {
        if (seen.has(field.name)) throw new Error(`singular field ${field.name} given twice`);
        out[field.name] = values[0];
      }
      seen.add(field.name);
    }
    return out;
  }

  private value(field: protobuf.Field, isMessage: boolean): unknown {
    if (isMessage) {
      const open = this.take();
      if (open.kind !== "punct" || (open.text !== "{" && open.text !== "<"))
        throw new Error(`expected a message for ${field.name}`);
      const close = open.text === "{" ? "}" : ">";
      const v = this.message(field.resolvedType as protobuf.Type, close);
      this.expectPunct(close);
      return v;
    }
    const t = this.take();
    if (field.resolvedType) {
      const e = field.resolvedType as protobuf.Enum;
      if (t.kind !== "ident" || !(t.text in e.values))
        throw new Error(`${field.name}: "${JSON.stringify(t)}" is not a value of ${e.name}`);
      return t.text;
    }
    if (field.type === "string" || field.type === "bytes") {
      if (t.kind !== "string") throw new Error(`${field.name} needs a string`);
      return t.value;
    }
    if (field.type === "bool") {
      if (t.kind !== "ident" || (t.text !== "true" && t.text !== "false"))
        throw new Error(`${field.name} needs true or false`);
      return t.text === "true";
    }
    if (t.kind !== "number") throw new Error(`${field.name} needs a number`);
    if (INTEGER_TYPES.has(field.type)) {
      if (!Number.isInteger(t.value)) throw new Error(`${field.name} needs an integer`);
      if (field.type.startsWith("uint") && t.value < 0)
        throw new Error(`${field.name} is unsigned`);
    }
    return t.value;
  }
}

/** Parses text format against `type`; throws on anything the type does not allow. */
export function parseTextFormat(src: string, type: protobuf.Type): Record<string, unknown> {
  return new Parser(tokenize(src)).message(type, undefined);
}
