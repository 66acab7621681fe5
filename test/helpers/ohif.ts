/**
 * The OHIF Viewer for integration tests:
 *
 *   ohifDist(ctx)          the built viewer (npm's @ohif/app dist/, fetched once by
 *                          tools/ohif-fetch.sh into .radz/, or $RADZ_OHIF_DIST)
 *   serveOhif(opts)        an HTTP server on 127.0.0.1 serving that dist/ with an
 *                          app-config.js whose DICOMweb data source is the same
 *                          server's /dicom-web, a proxy to Orthanc's DICOMweb
 *
 * Same origin, so the browser needs no CORS from Orthanc, and the proxy keeps
 * the Host header: Orthanc's DICOMweb plugin builds the BulkDataURIs of its
 * metadata from it, so they point back at the proxy.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { request, type Server } from "node:http";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import express from "express";

const REPO_ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));

/**
 * The dist/ directory of OHIF 3.13: $RADZ_OHIF_DIST when set (an unpacked
 * `dist/` of @ohif/app), else the cache tools/ohif-fetch.sh fills (it
 * downloads the package with `npm pack` when the cache is empty).
 *
 * When it cannot be had, the test fails with the reason — unless
 * RADZ_OHIF_SKIP=1 is set outside CI, the one way to skip it (e.g. offline).
 */
export async function ohifDist(ctx: Mocha.Context): Promise<string> {
  const skip = (why: string): never => {
    if (process.env.RADZ_OHIF_SKIP === "1" && process.env.CI !== "true") {
      console.warn(`    skipped (RADZ_OHIF_SKIP=1): ${why}`);
      ctx.skip();
    }
    throw new Error(
      `${why}. The OHIF acceptance test needs the built viewer: run tools/ohif-fetch.sh ` +
        `(npm registry access), or set RADZ_OHIF_DIST to an unpacked @ohif/app dist/; ` +
        `RADZ_OHIF_SKIP=1 skips it outside CI`,
    );
  };
  const fromEnv = process.env.RADZ_OHIF_DIST;
  if (fromEnv !== undefined && fromEnv !== "") {
    const dist = resolve(fromEnv);
    if (!existsSync(join(dist, "index.html"))) skip(`RADZ_OHIF_DIST=${dist} has no index.html`);
    return dist;
  }
  try {
    const { stdout } = await promisify(execFile)(join(REPO_ROOT, "tools", "ohif-fetch.sh"), [], {
      cwd: REPO_ROOT,
      timeout: 300_000,
    });
    return resolve(REPO_ROOT, stdout.trim().split("\n").pop() ?? "");
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    return skip(`tools/ohif-fetch.sh failed: ${(err.stderr ?? err.message).trim()}`);
  }
}

export interface ServeOhifOptions {
  /** OHIF's dist/ directory (ohifDist). */
  readonly dist: string;
  /** Orthanc's REST root, e.g. http://127.0.0.1:8042 (its DICOMweb is <url>/dicom-web). */
  readonly orthancUrl: string;
}

export interface OhifServer {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** Every proxied DICOMweb request that Orthanc answered with 4xx/5xx ("404 GET /dicom-web/…"). */
  readonly proxyErrors: readonly string[];
  close(): Promise<void>;
}

/**
 * OHIF's configuration: one DICOMweb data source on this origin's /dicom-web,
 * with the options Orthanc's DICOMweb plugin (1.7 and later) supports —
 * no includefield, WADO-RS rendering, thumbnails from WADO-RS pixel data
 * (the plugin has no /thumbnail), bulk data by the URIs in the metadata.
 */
export function ohifAppConfig(): string {
  const root = "window.location.origin + '/dicom-web'";
  return `window.config = {
  routerBasename: '/',
  extensions: [],
  modes: [],
  showStudyList: true,
  maxNumberOfWebWorkers: 1,
  showWarningMessageForCrossOrigin: false,
  showCPUFallbackMessage: false,
  showLoadingIndicator: true,
  investigationalUseDialog: { option: 'never' },
  // No onboarding tour over the viewport.
  customizationService: { 'ohif.tours': { $set: [] } },
  defaultDataSourceName: 'orthanc',
  dataSources: [
    {
      namespace: '@ohif/extension-default.dataSourcesModule.dicomweb',
      sourceName: 'orthanc',
      configuration: {
        friendlyName: 'RadZ test Orthanc',
        name: 'orthanc',
        wadoUriRoot: ${root},
        qidoRoot: ${root},
        wadoRoot: ${root},
        qidoSupportsIncludeField: false,
        supportsReject: false,
        imageRendering: 'wadors',
        thumbnailRendering: 'wadors',
        enableStudyLazyLoad: true,
        supportsFuzzyMatching: false,
        supportsWildcard: true,
        staticWado: false,
        singlepart: 'bulkdata,video',
        bulkDataURI: { enabled: true },
        omitQuotationForMultipartRequest: true,
      },
    },
  ],
};
`;
}

/** Serves OHIF's dist/ and proxies /dicom-web to Orthanc, on a free port of 127.0.0.1. */
export async function serveOhif(opts: ServeOhifOptions): Promise<OhifServer> {
  const orthanc = new URL(opts.orthancUrl);
  const dist = resolve(opts.dist);
  const proxyErrors: string[] = [];
  const app = express();
  app.disable("x-powered-by");
  app.get("/app-config.js", (_req, res) => {
    res.type("application/javascript").send(ohifAppConfig());
  });
  app.use("/dicom-web", (req, res) => {
    const upstream = request(
      {
        host: orthanc.hostname,
        port: orthanc.port,
        method: req.method,
        path: `/dicom-web${req.url}`,
        headers: req.headers, // Host included: the BulkDataURIs name this server
      },
      (answer) => {
        if ((answer.statusCode ?? 500) >= 400)
          proxyErrors.push(`${answer.statusCode} ${req.method} /dicom-web${req.url}`);
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", (e) => {
      proxyErrors.push(`proxy ${req.method} /dicom-web${req.url}: ${e.message}`);
      if (!res.headersSent) res.status(502);
      res.end();
    });
    req.pipe(upstream);
  });
  app.use(express.static(dist, { index: "index.html" }));
  // The single-page app's routes (/viewer?StudyInstanceUIDs=…): index.html.
  app.use((req, res) => {
    if (req.method !== "GET") return void res.status(404).end();
    res.sendFile("index.html", { root: dist }); // root: a dotted cache path (.radz) is allowed
  });

  const server: Server = await new Promise((ok, fail) => {
    const s = app.listen(0, "127.0.0.1", (e?: Error) => (e ? fail(e) : ok(s)));
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no TCP address");
  return {
    url: `http://127.0.0.1:${address.port}`,
    proxyErrors,
    close: () =>
      new Promise((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
