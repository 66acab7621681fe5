/**
 * A hostile peer on loopback: answers chosen requests with a body streamed
 * without a length (chunked) for up to 1 GiB, as fast as the reader takes it,
 * and counts what it got to send before the reader hung up. Other requests go
 * to `fallback`. The chunk is one buffer written again and again, so the peer
 * itself adds nothing to the process's memory.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

setFlagsFromString("--expose-gc");
/** A full garbage collection (the flag above makes `gc` exist in new contexts). */
const collectGarbage = runInNewContext("gc") as () => void;

export const FLOOD_BYTES = 1024 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 0x20); // spaces: valid inside JSON, never its end

export interface HostilePeer {
  readonly url: string;
  /** Bytes written to flooded responses, so far. */
  readonly sent: number;
  close(): Promise<void>;
}

export type FloodSpec = {
  readonly status?: number;
  readonly contentType: string;
  /** Bytes sent first (e.g. a multipart boundary and part headers, or `[`). */
  readonly prefix?: Buffer | string;
};

export type PeerHandler = (
  req: IncomingMessage,
  body: Buffer,
) => FloodSpec | { readonly respond: (res: ServerResponse) => void | Promise<void> };

export async function startHostilePeer(handler: PeerHandler): Promise<HostilePeer> {
  let sent = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const what = handler(req, Buffer.concat(chunks));
      if ("respond" in what) {
        void Promise.resolve(what.respond(res)).catch(() => res.destroy());
        return;
      }
      res.writeHead(what.status ?? 200, { "Content-Type": what.contentType });
      if (what.prefix !== undefined) res.write(what.prefix);
      let written = 0;
      const pump = (): void => {
        while (written < FLOOD_BYTES && !res.destroyed) {
          written += CHUNK.length;
          sent += CHUNK.length;
          if (!res.write(CHUNK)) {
            res.once("drain", pump);
            return;
          }
        }
        if (!res.destroyed) res.end();
      };
      res.on("error", () => undefined);
      pump();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    get sent() {
      return sent;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * Runs `fn` and reports the largest rise of the process's resident set over
 * its value just before (sampled every millisecond), in bytes.
 */
export async function rssRiseDuring<T>(
  fn: () => Promise<T>,
): Promise<{ rise: number; outcome: PromiseSettledResult<T> }> {
  collectGarbage();
  const before = process.memoryUsage.rss();
  let peak = before;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 1);
  try {
    const [outcome] = await Promise.allSettled([fn()]);
    peak = Math.max(peak, process.memoryUsage.rss());
    return { rise: peak - before, outcome: outcome };
  } finally {
    clearInterval(timer);
  }
}
