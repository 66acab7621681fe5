/**
 * The worklist page's static files: GET / and /worklist (HTML), /ui/worklist.css
 * and the browser modules /ui/<name>.js. They hold no data (the page reads the
 * API with the user's session cookie), so they are served before the
 * authentication gate, which lets the page show its login form.
 *
 * Where the files come from:
 *   - HTML and CSS: src/ui/ (beside this file's tree when run from source,
 *     ../../../src/ui from dist/http/routes).
 *   - JS, compiled service (dist/): dist/ui/<name>.js, emitted by the
 *     project's tsc build (`npm ci` runs it through the prepare script).
 *   - JS, run from source (tsx: tests, `npx tsx src/cli/main.ts`): src/ui/<name>.ts
 *     transpiled on first request with the project's own TypeScript.
 * No inline scripts or styles: the page works under CSP script-src 'self'.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Request, Response, Router } from "express";
import { RadzError } from "../../errors.js";

const MODULE_FILE = /^([a-z][a-z0-9-]{0,40})\.js$/;

/** The page's CSP, the same policy the security headers use. */
export const UI_CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export interface UiAssets {
  page(): Promise<string>;
  stylesheet(): Promise<string>;
  /** A browser module by file name ("worklist.js"), or null when there is none. */
  module(file: string): Promise<string | null>;
}

export function uiAssets(moduleUrl: string = import.meta.url): UiAssets {
  const here = fileURLToPath(new URL(".", moduleUrl));
  const fromSource = moduleUrl.endsWith(".ts");
  const staticDir =
    [resolve(here, "../../ui"), resolve(here, "../../../src/ui")].find((d) =>
      existsSync(resolve(d, "worklist.html")),
    ) ?? null;
  const compiledDir = resolve(here, "../../ui");
  const cache = new Map<string, Promise<string | null>>();

  const cached = (key: string, load: () => Promise<string | null>) => {
    let p = cache.get(key);
    if (p === undefined) {
      p = load();
      cache.set(key, p);
      p.catch(() => cache.delete(key));
    }
    return p;
  };
  const staticFile = async (name: string): Promise<string> => {
    if (staticDir === null) {
      throw new RadzError(
        "INTERNAL",
        "the worklist's files (src/ui) are missing from this install",
      );
    }
    return readFile(resolve(staticDir, name), "utf8");
  };

  return {
    page: () => cached("page", () => staticFile("worklist.html")) as Promise<string>,
    stylesheet: () => cached("css", () => staticFile("worklist.css")) as Promise<string>,
    module(file) {
      const m = MODULE_FILE.exec(file);
      if (!m?.[1]) return Promise.resolve(null);
      const name = m[1];
      return cached(`js:${name}`, async () => {
        if (!fromSource) {
          const path = resolve(compiledDir, `${name}.js`);
          return existsSync(path) ? readFile(path, "utf8") : null;
        }
        if (staticDir === null) return null;
        const path = resolve(staticDir, `${name}.ts`);
        if (!existsSync(path)) return null;
        return transpile(await readFile(path, "utf8"), path);
      });
    },
  };
}

/** Running from source only: TypeScript is a dev dependency, present wherever tsx runs. */
async function transpile(source: string, fileName: string): Promise<string> {
  const ts = (await import("typescript")).default;
  return ts.transpileModule(source, {
    fileName,
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ES2022,
      verbatimModuleSyntax: true,
      sourceMap: false,
    },
  }).outputText;
}

export function registerUiRoutes(router: Router, assets: UiAssets = uiAssets()): void {
  const page = async (_req: Request, res: Response) => {
    res.setHeader("Content-Security-Policy", UI_CONTENT_SECURITY_POLICY);
    res.type("html").send(await assets.page());
  };
  router.get("/", page);
  router.get("/worklist", page);
  router.get("/ui/worklist.css", async (_req: Request, res: Response) => {
    res.type("css").send(await assets.stylesheet());
  });
  router.get("/ui/:file", async (req: Request, res: Response) => {
    const js = await assets.module(String(req.params.file));
    if (js === null) throw new RadzError("ROUTE_NOT_FOUND", "no such route");
    res.type("text/javascript").send(js);
  });
}
