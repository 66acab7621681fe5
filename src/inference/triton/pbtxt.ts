/**
 * A writer for Protocol Buffers text format, enough for Triton's
 * config.pbtxt (inference.ModelConfig): scalar, enum, nested message and
 * repeated fields. Field order follows the object.
 */

/** An enum value, written bare (TYPE_FP32), unlike a string ("name"). */
export class PbEnum {
  constructor(readonly name: string) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`invalid enum name ${name}`);
  }
}

export type PbScalar = string | number | boolean | PbEnum;
export interface PbMessage {
  readonly [field: string]:
    PbScalar | PbMessage | readonly PbScalar[] | readonly PbMessage[] | undefined;
}

function isScalar(v: unknown): v is PbScalar {
  return (
    typeof v === "string" || typeof v === "number" || typeof v === "boolean" || v instanceof PbEnum
  );
}

/** A text-format string literal: printable ASCII kept, the rest as C escapes (UTF-8 octal). */
export function pbString(s: string): string {
  let out = '"';
  for (const byte of Buffer.from(s, "utf8")) {
    if (byte === 0x22) out += '\\"';
    else if (byte === 0x5c) out += "\\\\";
    else if (byte === 0x0a) out += "\\n";
    else if (byte === 0x0d) out += "\\r";
    else if (byte === 0x09) out += "\\t";
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else out += `\\${byte.toString(8).padStart(3, "0")}`;
  }
  return `${out}"`;
}

function scalar(v: PbScalar): string {
  if (v instanceof PbEnum) return v.name;
  if (typeof v === "string") return pbString(v);
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new Error("text format numbers must be finite");
    return String(v);
  }
  return v ? "true" : "false";
}

function messageBody(m: PbMessage, indent: string): string[] {
  const lines: string[] = [];
  for (const [key, value] of Object.entries(m)) {
    if (value === undefined) continue;
    if (!/^[a-z_][a-z0-9_]*$/.test(key)) throw new Error(`invalid field name ${key}`);
    if (isScalar(value)) {
      lines.push(`${indent}${key}: ${scalar(value)}`);
    } else if (Array.isArray(value)) {
      if (value.length === 0) continue;
      if (value.every(isScalar)) {
        lines.push(`${indent}${key}: [ ${value.map(scalar).join(", ")} ]`);
      } else {
        lines.push(`${indent}${key} [`);
        (value as PbMessage[]).forEach((item, i) => {
          lines.push(`${indent}  {`);
          lines.push(...messageBody(item, `${indent}    `));
          lines.push(`${indent}  }${i < value.length - 1 ? "," : ""}`);
        });
        lines.push(`${indent}]`);
      }
    } else {
      lines.push(`${indent}${key} {`);
      lines.push(...messageBody(value as PbMessage, `${indent}  `));
      lines.push(`${indent}}`);
    }
  }
  return lines;
}

/** The message in text format, with optional leading # comment lines. */
export function toPbtxt(message: PbMessage, comments: readonly string[] = []): string {
  const head = comments.map((c) => `# ${c.replace(/[\r\n]+/g, " ")}`);
  return [...head, ...messageBody(message, "")].join("\n") + "\n";
}
