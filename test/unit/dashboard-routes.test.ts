import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { dashboardRoutes } from "../../src/api/routes/dashboard-routes.js";

describe("dashboardRoutes", () => {
  let root = "";
  let assets = "";
  let app: FastifyInstance | undefined;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "presage-dashboard-"));
    assets = join(root, "dashboard");
    await mkdir(join(assets, "vendor"), { recursive: true });
    await writeFile(join(assets, "index.html"), "<!doctype html><title>t</title>");
    await writeFile(join(assets, "main.js"), "export {};\n");
    await writeFile(join(assets, "vendor", "chart.css"), "body{}\n");
    await writeFile(join(assets, "notes.txt"), "not a servable type\n");
    await writeFile(join(root, "secret.json"), '{"secret": true}\n');
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
    await rm(root, { recursive: true, force: true });
  });

  async function serve(assetsDirectory: string): Promise<FastifyInstance> {
    app = Fastify();
    await app.register(dashboardRoutes, { assetsDirectory });
    return app;
  }

  it("serves index.html at / with a CSP, and built files with their content types, ETags and no-cache", async () => {
    const server = await serve(assets);
    const index = await server.inject({ method: "GET", url: "/" });
    expect(index.statusCode).toBe(200);
    expect(index.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(index.headers["content-security-policy"]).toContain("default-src 'none'");
    expect(index.body).toContain("<title>t</title>");
    const script = await server.inject({ method: "GET", url: "/dashboard/main.js" });
    expect(script.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(script.headers["cache-control"]).toBe("no-cache");
    expect(script.headers["x-content-type-options"]).toBe("nosniff");
    const css = await server.inject({ method: "GET", url: "/dashboard/vendor/chart.css" });
    expect(css.headers["content-type"]).toBe("text/css; charset=utf-8");
    expect(css.body).toBe("body{}\n");
  });

  it("answers 304 when the browser already has the file", async () => {
    const server = await serve(assets);
    const first = await server.inject({ method: "GET", url: "/dashboard/main.js" });
    const etag = first.headers.etag;
    expect(typeof etag).toBe("string");
    const second = await server.inject({
      method: "GET",
      url: "/dashboard/main.js",
      headers: { "if-none-match": `"other", ${String(etag)}` },
    });
    expect(second.statusCode).toBe(304);
    expect(second.body).toBe("");
  });

  it("serves nothing outside the files read at registration: no traversal, no unknown types", async () => {
    const server = await serve(assets);
    for (const url of [
      "/dashboard/../secret.json",
      "/dashboard/..%2fsecret.json",
      "/dashboard/%2e%2e/secret.json",
      "/dashboard/vendor/../../secret.json",
      "/dashboard//etc/passwd",
      "/dashboard/notes.txt",
      "/dashboard/missing.js",
    ]) {
      const response = await server.inject({ method: "GET", url });
      expect(response.statusCode, url).toBe(404);
      expect(response.body, url).not.toContain('"secret": true');
    }
  });

  it("does not see files added after registration", async () => {
    const server = await serve(assets);
    await writeFile(join(assets, "late.js"), "export {};\n");
    expect((await server.inject({ method: "GET", url: "/dashboard/late.js" })).statusCode).toBe(404);
  });

  it("says the dashboard is not built (503) instead of failing start-up when the directory is missing", async () => {
    const server = await serve(join(root, "absent"));
    const index = await server.inject({ method: "GET", url: "/" });
    expect(index.statusCode).toBe(503);
    expect(index.body).toContain("npm run build");
    expect((await server.inject({ method: "GET", url: "/dashboard/main.js" })).statusCode).toBe(404);
  });
});
