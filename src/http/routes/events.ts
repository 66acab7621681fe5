/**
 * GET /api/events: Server-Sent Events for the worklist. Every job the runner
 * settles (and every job the API requeues) is sent as
 *
 *   id: <n>
 *   event: job
 *   data: <the study's worklist row, as GET /api/studies returns it>
 *
 * with a comment line every `sseHeartbeatMs` so proxies keep the stream open.
 */
import type { Request, Response, Router } from "express";
import { RadzError } from "../../errors.js";
import type { EventBus } from "../events.js";
import type { WorklistRouteDeps } from "./types.js";
import { studyView } from "./views.js";

export function registerEventRoutes(router: Router, deps: WorklistRouteDeps, bus: EventBus): void {
  const max = deps.maxEventClients ?? 100;
  const heartbeatMs = deps.sseHeartbeatMs ?? 15_000;
  let clients = 0;
  let seq = 0;

  router.get("/api/events", (req: Request, res: Response) => {
    if (clients >= max) {
      res.setHeader("Retry-After", "30");
      throw new RadzError("API_BUSY", `too many live-update clients (${max}); retry later`);
    }
    clients++;
    res.status(200);
    res.setHeader("Content-Type", "text/event-stream; charset=utf-8");
    res.setHeader("Cache-Control", "no-store");
    res.setHeader("X-Accel-Buffering", "no");
    res.flushHeaders();
    res.write("retry: 3000\n\n");
    const unsubscribe = bus.subscribe(
      (event) => {
        const data = JSON.stringify(studyView(event.job, deps.links));
        res.write(`id: ${++seq}\nevent: ${event.type}\ndata: ${data}\n\n`);
      },
      () => res.end(), // service shutdown
    );
    const ping = setInterval(() => res.write(": ping\n\n"), heartbeatMs);
    ping.unref();
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      clearInterval(ping);
      unsubscribe();
      clients--;
    };
    req.on("close", close);
    res.on("close", close);
  });
}
