import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadKubeConfig } from "../../src/kubernetes/load-kube-config.js";
import { KubernetesErrorCode } from "../../src/kubernetes/kubernetes-error.js";

const KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
  - name: prod
    cluster: { server: "https://prod.example:6443" }
  - name: staging
    cluster: { server: "https://staging.example:6443" }
users:
  - name: presage
    user: { token: "t" }
contexts:
  - name: prod
    context: { cluster: prod, user: presage }
  - name: staging
    context: { cluster: staging, user: presage }
current-context: prod
`;

let dir: string;
let path: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "presage-kubeconfig-"));
  path = join(dir, "config");
  await writeFile(path, KUBECONFIG);
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("loadKubeConfig", () => {
  it("reads a kubeconfig file and its current context", () => {
    expect(loadKubeConfig({ kubeconfigPath: path }).getCurrentCluster()?.server).toBe(
      "https://prod.example:6443",
    );
  });

  it("switches to another context when asked", () => {
    const config = loadKubeConfig({ kubeconfigPath: path, context: "staging" });
    expect(config.getCurrentCluster()?.server).toBe("https://staging.example:6443");
  });

  it("names the unknown context and the ones there are", () => {
    expect(() => loadKubeConfig({ kubeconfigPath: path, context: "dev" })).toThrow(
      expect.objectContaining({
        code: KubernetesErrorCode.invalidConfig,
        message: 'kubernetes.context ("dev") is not a context of the kubeconfig (prod, staging)',
      }) as Error,
    );
  });
});
