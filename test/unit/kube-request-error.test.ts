import { ApiException } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import {
  KubeRequestError,
  describeObject,
  toKubeRequestError,
  type KubeRequestContext,
} from "../../src/kubernetes/kube-request-error.js";
import {
  KubernetesError,
  KubernetesErrorCode,
  toKubernetesError,
} from "../../src/kubernetes/kubernetes-error.js";
import { resolveKubeRetryPolicy, retryKubeRequests } from "../../src/kubernetes/retry-kube-requests.js";
import { toScalerError } from "../../src/scaler/kubernetes/to-scaler-error.js";
import { ScalerError, ScalerErrorCode } from "../../src/scaler/scaler-error.js";

const PATCH_HPA: KubeRequestContext = {
  verb: "patch",
  resource: "horizontalpodautoscalers",
  group: "autoscaling",
  namespace: "shop",
  name: "web",
};

/** What client-node v2 throws for a non-2xx answer: the raw body text and lower-case headers. */
function apiException(
  code: number,
  status: Record<string, unknown>,
  headers: Record<string, string> = {},
): ApiException<string> {
  return new ApiException(code, "Unknown API Status Code!", JSON.stringify(status), headers);
}

function statusBody(
  code: number,
  reason: string,
  message: string,
  details: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason,
    details,
    code,
  };
}

function fetchFailed(code: string): TypeError {
  const cause = Object.assign(new Error(`connect ${code} 127.0.0.1:6443`), { code });
  return new TypeError("fetch failed", { cause });
}

describe("toKubeRequestError", () => {
  it("reads status, reason and message from a Status body and Retry-After from the header", () => {
    const error = toKubeRequestError(
      apiException(429, statusBody(429, "TooManyRequests", "Too many requests, please try again later."), {
        "retry-after": "7",
      }),
      PATCH_HPA,
    );
    expect(error).toBeInstanceOf(KubeRequestError);
    expect(error.status).toBe(429);
    expect(error.reason).toBe("TooManyRequests");
    expect(error.serverMessage).toBe("Too many requests, please try again later.");
    expect(error.retryAfterMs).toBe(7000);
    expect(error.retryable).toBe(true);
    expect(error.message).toBe(
      'patch horizontalpodautoscalers.autoscaling "web" in namespace "shop" failed with HTTP 429 TooManyRequests: Too many requests, please try again later.',
    );
    expect(error.cause).toBeInstanceOf(ApiException);
  });

  it("reads a Retry-After HTTP date as the time left until it (a proxy in front of the API may send one)", () => {
    const at = new Date(Date.now() + 60_000).toUTCString();
    const error = toKubeRequestError(
      apiException(503, statusBody(503, "ServiceUnavailable", "try later"), { "retry-after": at }),
      PATCH_HPA,
    );
    expect(error.retryAfterMs).toBeGreaterThan(50_000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(60_000);
  });

  it("falls back to details.retryAfterSeconds when there is no Retry-After header", () => {
    const error = toKubeRequestError(
      apiException(
        503,
        statusBody(503, "ServiceUnavailable", "etcd leader changed", { retryAfterSeconds: 2 }),
      ),
      PATCH_HPA,
    );
    expect(error.retryAfterMs).toBe(2000);
  });

  it("keeps the status of an answer whose body is not a Status (an HTML page from a proxy)", () => {
    const error = toKubeRequestError(
      new ApiException(502, "Unknown API Status Code!", "<html>Bad Gateway</html>", {}),
      PATCH_HPA,
    );
    expect(error.status).toBe(502);
    expect(error.serverMessage).toBe("<html>Bad Gateway</html>");
    expect(error.retryable).toBe(true);
  });

  it("treats undici's fetch failure as a retryable network failure", () => {
    const error = toKubeRequestError(fetchFailed("ECONNREFUSED"), PATCH_HPA);
    expect(error.status).toBeUndefined();
    expect(error.network).toBe(true);
    expect(error.retryable).toBe(true);
    expect(error.serverMessage).toBe("fetch failed (connect ECONNREFUSED 127.0.0.1:6443)");
  });

  it("does not retry an error thrown before any request was sent (a configuration problem)", () => {
    const error = toKubeRequestError(
      new Error("HTTP protocol is not allowed when skipTLSVerify is not set or false"),
      PATCH_HPA,
    );
    expect(error.network).toBe(false);
    expect(error.retryable).toBe(false);
    expect(toKubernetesError(error, 1).message).toContain("could not be sent");
  });

  it.each([
    [409, true],
    [429, true],
    [500, true],
    [503, true],
    [400, false],
    [401, false],
    [403, false],
    [404, false],
    [422, false],
  ])("HTTP %i is retryable: %s", (code, retryable) => {
    expect(toKubeRequestError(apiException(code, statusBody(code, "X", "m")), PATCH_HPA).retryable).toBe(
      retryable,
    );
  });
});

describe("toKubernetesError", () => {
  const failure = (code: number, reason: string, message: string, context = PATCH_HPA): KubeRequestError =>
    toKubeRequestError(apiException(code, statusBody(code, reason, message)), context);

  it("names the verb, resource, API group and RBAC for a 403", () => {
    const error = toKubernetesError(
      failure(
        403,
        "Forbidden",
        'horizontalpodautoscalers.autoscaling "web" is forbidden: User "system:serviceaccount:presage:presage" cannot patch resource "horizontalpodautoscalers" in API group "autoscaling" in the namespace "shop"',
      ),
      1,
    );
    expect(error.code).toBe(KubernetesErrorCode.forbidden);
    expect(error.message).toBe(
      'presage may not patch horizontalpodautoscalers.autoscaling "web" in namespace "shop" (403 Forbidden): RBAC must grant verb "patch" on resource "horizontalpodautoscalers" in API group "autoscaling" through a Role in "shop" or a ClusterRole bound to presage\'s ServiceAccount (see deploy/rbac.yaml). Server said: horizontalpodautoscalers.autoscaling "web" is forbidden: User "system:serviceaccount:presage:presage" cannot patch resource "horizontalpodautoscalers" in API group "autoscaling" in the namespace "shop"',
    );
    expect(error).toBeInstanceOf(KubernetesError);
    expect(error.cause).toBeInstanceOf(KubeRequestError);
  });

  it("says a cluster-wide list needs a ClusterRole, and names the core group", () => {
    const error = toKubernetesError(
      failure(403, "Forbidden", "forbidden", { verb: "list", resource: "pods", group: "" }),
      1,
    );
    expect(error.message).toContain("presage may not list pods in all namespaces");
    expect(error.message).toContain('in API group "" (core) through a ClusterRole');
  });

  it.each([
    [401, "Unauthorized", KubernetesErrorCode.unauthorized, "credentials"],
    [404, "NotFound", KubernetesErrorCode.notFound, "does not exist (404)"],
    [422, "Invalid", KubernetesErrorCode.invalid, "rejected patch"],
    [400, "BadRequest", KubernetesErrorCode.invalid, "as invalid (400 BadRequest)"],
    [409, "Conflict", KubernetesErrorCode.conflict, "kept conflicting with other writers (after 5 attempts)"],
    [429, "TooManyRequests", KubernetesErrorCode.unavailable, "was throttled (429) (after 5 attempts)"],
    [500, "InternalError", KubernetesErrorCode.unavailable, "failed with HTTP 500 (after 5 attempts)"],
  ])("maps HTTP %i (%s) to %s", (code, reason, kubernetesCode, phrase) => {
    const error = toKubernetesError(failure(code, reason, "server message"), 5);
    expect(error.code).toBe(kubernetesCode);
    expect(error.message).toContain(phrase);
    expect(error.message).toContain("server message");
  });

  it("describes objects the way kubectl names them", () => {
    expect(
      describeObject({
        verb: "get",
        resource: "leases",
        group: "coordination.k8s.io",
        namespace: "presage",
        name: "presage-scaler",
      }),
    ).toBe('leases.coordination.k8s.io "presage-scaler" in namespace "presage"');
    expect(describeObject({ verb: "create", resource: "events", group: "", namespace: "shop" })).toBe(
      'events in namespace "shop"',
    );
  });
});

describe("toScalerError", () => {
  const failure = (code: number, reason: string): KubernetesError =>
    toKubernetesError(
      toKubeRequestError(apiException(code, statusBody(code, reason, "server message")), PATCH_HPA),
      5,
    );

  it.each([
    [401, "Unauthorized", ScalerErrorCode.forbidden],
    [403, "Forbidden", ScalerErrorCode.forbidden],
    [404, "NotFound", ScalerErrorCode.hpaNotFound],
    [422, "Invalid", ScalerErrorCode.invalidPatch],
    [409, "Conflict", ScalerErrorCode.conflict],
    [429, "TooManyRequests", ScalerErrorCode.unavailable],
    [500, "InternalError", ScalerErrorCode.unavailable],
  ])("counts HTTP %i (%s) under the scaler code %s, keeping the message", (code, reason, scalerCode) => {
    const shared = failure(code, reason);
    const error = toScalerError(shared);
    expect(error).toBeInstanceOf(ScalerError);
    expect(error.code).toBe(scalerCode);
    expect(error.message).toBe(shared.message);
    expect(error.cause).toBe(shared);
  });
});

describe("retryKubeRequests", () => {
  const policy = (sleeps: number[], overrides: Parameters<typeof resolveKubeRetryPolicy>[0] = {}) =>
    resolveKubeRetryPolicy(overrides, {
      sleep: (ms) => {
        sleeps.push(ms);
        return Promise.resolve();
      },
      random: () => 0,
    });

  it("waits Retry-After, capped at maxRetryAfterMs, and backs off exponentially otherwise", async () => {
    const sleeps: number[] = [];
    const failures = [
      toKubeRequestError(
        apiException(429, statusBody(429, "TooManyRequests", "slow down"), { "retry-after": "120" }),
        PATCH_HPA,
      ),
      toKubeRequestError(apiException(500, statusBody(500, "InternalError", "boom")), PATCH_HPA),
      toKubeRequestError(apiException(409, statusBody(409, "Conflict", "modified")), PATCH_HPA),
    ];
    let attempts = 0;
    const result = await retryKubeRequests(
      () => {
        const failure = failures[attempts++];
        return failure === undefined ? Promise.resolve("done") : Promise.reject(failure);
      },
      policy(sleeps, { maxRetryAfterMs: 10_000 }),
    );
    expect(result).toBe("done");
    // random() = 0: half of 200·2^n.
    expect(sleeps).toEqual([10_000, 200, 400]);
  });

  it("stops at once on a non-retryable failure and passes other errors through untouched", async () => {
    const sleeps: number[] = [];
    const forbidden = toKubeRequestError(apiException(403, statusBody(403, "Forbidden", "no")), PATCH_HPA);
    await expect(retryKubeRequests(() => Promise.reject(forbidden), policy(sleeps))).rejects.toMatchObject({
      code: KubernetesErrorCode.forbidden,
    });
    const own = new ScalerError(ScalerErrorCode.invalidPatch, "below baseline");
    await expect(retryKubeRequests(() => Promise.reject(own), policy(sleeps))).rejects.toBe(own);
    expect(sleeps).toEqual([]);
  });

  it("rejects a negative maxRetryAfterMs, naming the field", () => {
    expect(() => resolveKubeRetryPolicy({ maxRetryAfterMs: -1 })).toThrow(
      "retry.maxRetryAfterMs (-1) must be ≥ 0",
    );
    expect(() => resolveKubeRetryPolicy({ attempts: 0 })).toThrow(
      "retry.attempts (0) must be an integer ≥ 1",
    );
  });
});
