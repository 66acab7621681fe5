/**
 * `radz token create --name N --role read|reviewer|admin [--json]`: a new random API
 * token, printed once, with the `http.tokens` entry that holds only its hash.
 * `radz token hash` reads a token on stdin and prints its hash (to re-create
 * an entry for a token you already hold).
 */
import type { Command } from "commander";
import { InvalidArgumentError, Option } from "commander";
import {
  API_ROLES,
  generateApiToken,
  hashApiToken,
  type ApiRole,
  type ApiTokenEntry,
} from "../security/index.js";

const NAME = /^[A-Za-z0-9_.@-]{1,64}$/;

export interface CreatedToken {
  /** The secret: shown once, stored nowhere. */
  readonly token: string;
  /** The entry for http.tokens. */
  readonly entry: ApiTokenEntry;
}

export function createToken(name: string, role: ApiRole): CreatedToken {
  if (!NAME.test(name)) throw new InvalidArgumentError("name must be 1-64 of A-Z a-z 0-9 _ . @ -");
  const token = generateApiToken();
  return { token, entry: { name, sha256: hashApiToken(token), role } };
}

function parseName(v: string): string {
  if (!NAME.test(v)) throw new InvalidArgumentError("1-64 of A-Z a-z 0-9 _ . @ -");
  return v;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
}

export function registerTokenCommands(program: Command): void {
  const token = program.command("token").description("API tokens for the service's HTTP API.");
  token
    .command("create")
    .description(
      "Create a random API token. Prints the token ONCE and the http.tokens entry (name, sha256, role) to add to the configuration; only the hash is stored.",
    )
    .requiredOption("--name <name>", "who holds the token (appears in audit logs)", parseName)
    .addOption(
      new Option(
        "--role <role>",
        "read (GET routes), reviewer (read + feedback on findings) or admin (every route)",
      )
        .choices([...API_ROLES])
        .default("read"),
    )
    .option("--json", "print one JSON object {token, entry} instead of text")
    .action((opts: { name: string; role: ApiRole; json?: boolean }) => {
      const created = createToken(opts.name, opts.role);
      if (opts.json === true) {
        process.stdout.write(`${JSON.stringify(created)}\n`);
        return;
      }
      process.stdout.write(
        [
          `token (shown once; give it to ${opts.name}, store it in a secret manager):`,
          "",
          `  ${created.token}`,
          "",
          "add this entry to http.tokens in the configuration (it holds only the hash):",
          "",
          `  ${JSON.stringify(created.entry)}`,
          "",
          "then restart the service. Send the token as `Authorization: Bearer <token>`.",
          "",
        ].join("\n"),
      );
    });
  token
    .command("hash")
    .description("Read a token on stdin and print its sha256 (for an http.tokens entry).")
    .action(async () => {
      const t = await readStdin();
      if (t === "") throw new InvalidArgumentError("no token on stdin");
      process.stdout.write(`${hashApiToken(t)}\n`);
    });
}
