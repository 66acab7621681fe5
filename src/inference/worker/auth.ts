/**
 * Bearer-token authentication for the worker, with the service's token table
 * (security/api-tokens.ts: only SHA-256 digests are configured, compared in
 * constant time). Failures answer in the protocol's error shape.
 */
import type { NextFunction, Request, Response } from "express";
import { ApiTokenTable } from "../../security/index.js";

export interface WorkerTokenEntry {
  readonly name: string;
  readonly sha256: string;
}

/**
 * Middleware that admits requests carrying `Authorization: Bearer <token>`
 * whose SHA-256 is configured. With no tokens and `allowUnauthenticated`,
 * everything is admitted (a worker on a private network, like Triton).
 */
export function workerAuth(
  tokens: readonly WorkerTokenEntry[],
  allowUnauthenticated: boolean,
): (req: Request, res: Response, next: NextFunction) => void {
  const table = new ApiTokenTable(tokens.map((t) => ({ ...t, role: "read" as const })));
  const open = table.size === 0 && allowUnauthenticated;
  return (req, res, next) => {
    if (open) {
      next();
      return;
    }
    const header = req.headers.authorization ?? "";
    const match = /^Bearer[ ]+([^\s]+)\s*$/i.exec(header);
    const principal = match ? table.verify(match[1]!) : null;
    if (!principal) {
      res
        .status(401)
        .set("WWW-Authenticate", 'Bearer realm="radz-worker"')
        .json({ error: "a valid bearer token is required (Authorization: Bearer <token>)" });
      return;
    }
    res.locals.principal = principal.name;
    next();
  };
}
