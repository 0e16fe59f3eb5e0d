import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { dirname, extname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { ApiErrorCode } from "../api-error-code.js";
import { sendProblem } from "../api-problem.js";

/** Options of {@link dashboardRoutes}. */
export interface DashboardRoutesOptions {
  /**
   * Directory of the built dashboard (index.html, compiled modules, vendor/uPlot).
   * @defaultValue `dist/dashboard` of the presage package this file belongs to
   */
  readonly assetsDirectory?: string;
}

/** A file of the dashboard as served: read once at registration. */
interface DashboardAsset {
  readonly body: Buffer;
  readonly contentType: string;
  readonly etag: string;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
};

/**
 * The page may load only its own scripts and styles and talk only to its own origin: nothing from
 * a CDN, no inline script, no framing.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** Largest single file served; the built dashboard is far below it. */
const MAX_ASSET_BYTES = 4 * 1024 * 1024;

/**
 * Serves the dashboard without authentication (it holds no data; it calls the API with the token
 * the viewer gives it): `/` is index.html, `/dashboard/<path>` the built files. Every file is read
 * into memory once, at registration, and requests are answered from that fixed map, so no request
 * path ever reaches the file system (no traversal, no symlink surprises). Files carry a strong ETag
 * and `Cache-Control: no-cache` (names are not content-hashed, so browsers revalidate: a 304 costs
 * a few bytes). When the dashboard is not built, `/` says so with a 503 rather than failing start-up.
 */
export const dashboardRoutes: FastifyPluginAsync<DashboardRoutesOptions> = async (app, options) => {
  const directory = options.assetsDirectory ?? defaultAssetsDirectory();
  const assets = await readDashboardAssets(directory);
  const index = assets.get("index.html");
  if (index === undefined) {
    app.log.warn({ directory }, "dashboard assets not found; run `npm run build` to build the dashboard");
  }

  app.get("/", { schema: { hide: true } }, (request, reply) => {
    if (index === undefined) {
      return reply
        .code(503)
        .type("text/html; charset=utf-8")
        .header("cache-control", "no-store")
        .send(
          "<!doctype html><title>presage</title><p>The presage dashboard is not built on this server " +
            '(run <code>npm run build</code>). The API is documented at <a href="/docs">/docs</a>.</p>',
        );
    }
    return sendAsset(request, reply, index);
  });

  app.get("/dashboard/*", { schema: { hide: true } }, (request, reply) => {
    const path = (request.params as { "*"?: string })["*"] ?? "";
    const asset = path === "" ? index : assets.get(path);
    if (asset === undefined) {
      return sendProblem(reply, ApiErrorCode.routeNotFound, `no dashboard file "${path.slice(0, 200)}"`);
    }
    return sendAsset(request, reply, asset);
  });
};

/** Reads every servable file under `directory` (relative `/`-separated path → asset); empty when absent. */
export async function readDashboardAssets(directory: string): Promise<Map<string, DashboardAsset>> {
  const assets = new Map<string, DashboardAsset>();
  if (!existsSync(directory)) return assets;
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const contentType = CONTENT_TYPES[extname(entry.name).toLowerCase()];
    if (contentType === undefined) continue;
    const file = join(entry.parentPath, entry.name);
    const body = await readFile(file);
    if (body.length > MAX_ASSET_BYTES) continue;
    const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`;
    assets.set(relative(directory, file).split(sep).join("/"), { body, contentType, etag });
  }
  return assets;
}

function sendAsset(request: FastifyRequest, reply: FastifyReply, asset: DashboardAsset): FastifyReply {
  reply
    .header("content-type", asset.contentType)
    .header("cache-control", "no-cache")
    .header("etag", asset.etag)
    .header("x-content-type-options", "nosniff");
  if (asset.contentType.startsWith("text/html")) {
    reply
      .header("content-security-policy", CONTENT_SECURITY_POLICY)
      .header("referrer-policy", "no-referrer")
      .header("x-frame-options", "DENY");
  }
  const ifNoneMatch = request.headers["if-none-match"];
  if (ifNoneMatch !== undefined && ifNoneMatch.split(",").some((tag) => tag.trim() === asset.etag)) {
    return reply.code(304).send();
  }
  return reply.send(asset.body);
}

/** `dist/dashboard` under the package root: the nearest ancestor of this module with a package.json. */
function defaultAssetsDirectory(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(directory, "package.json"))) return join(directory, "dist", "dashboard");
    const parent = dirname(directory);
    if (parent === directory) return join(dirname(fileURLToPath(import.meta.url)), "dashboard");
    directory = parent;
  }
}
