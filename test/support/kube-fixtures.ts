import { KubeConfig } from "@kubernetes/client-node";
import { PresageAnnotation } from "../../src/scaler/scaler-actuator.js";
import type { KubeApiStandIn, KubeObject } from "./kube-api-stand-in.js";

/** A `KubeConfig` whose current context talks to the stand-in (plain HTTP, bearer token). */
export function kubeConfigFor(standIn: KubeApiStandIn): KubeConfig {
  const config = new KubeConfig();
  config.loadFromOptions(standIn.kubeConfigOptions());
  return config;
}

/** An autoscaling/v2 HPA as a user declares it, opted in to presage unless `annotations` say otherwise. */
/**
 * A kubeconfig file's text for a `presage` process talking to the stand-in (token auth, default
 * namespace `presage`).
 */
export function kubeconfigYamlFor(standIn: KubeApiStandIn): string {
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "  - name: stand-in",
    `    cluster: { server: "${standIn.url}", insecure-skip-tls-verify: true }`,
    "users:",
    "  - name: presage",
    "    user: { token: stand-in-token }",
    "contexts:",
    "  - name: stand-in",
    "    context: { cluster: stand-in, user: presage, namespace: presage }",
    "current-context: stand-in",
  ].join("\n");
}

export function hpaObject(options: {
  namespace: string;
  name: string;
  minReplicas?: number;
  maxReplicas: number;
  currentReplicas?: number;
  annotations?: Record<string, string>;
  ownedByScaledObject?: string;
}): KubeObject {
  return {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: {
      name: options.name,
      namespace: options.namespace,
      annotations: options.annotations ?? {
        [PresageAnnotation.enabled]: "true",
        [PresageAnnotation.loadQuery]: `sum(rate(http_requests_total{app="${options.name}"}[1m]))`,
        [PresageAnnotation.podCapacity]: "700",
        [PresageAnnotation.mode]: "active",
      },
      ...(options.ownedByScaledObject === undefined
        ? {}
        : {
            ownerReferences: [
              {
                apiVersion: "keda.sh/v1alpha1",
                kind: "ScaledObject",
                name: options.ownedByScaledObject,
                uid: "5f6a0c1e-0000-4000-8000-000000000001",
                controller: true,
              },
            ],
          }),
    },
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: options.name },
      ...(options.minReplicas === undefined ? {} : { minReplicas: options.minReplicas }),
      maxReplicas: options.maxReplicas,
      metrics: [
        {
          type: "Resource",
          resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } },
        },
      ],
    },
    status: {
      currentReplicas: options.currentReplicas ?? options.minReplicas ?? 1,
      desiredReplicas: options.currentReplicas ?? options.minReplicas ?? 1,
    },
  };
}

/** A KEDA ScaledObject scaling Deployment `name` (KEDA names its HPA `keda-hpa-<name>`). */
export function scaledObjectObject(options: {
  namespace: string;
  name: string;
  minReplicaCount?: number;
  maxReplicaCount?: number;
}): KubeObject {
  return {
    apiVersion: "keda.sh/v1alpha1",
    kind: "ScaledObject",
    metadata: { name: options.name, namespace: options.namespace },
    spec: {
      scaleTargetRef: { name: options.name },
      ...(options.minReplicaCount === undefined ? {} : { minReplicaCount: options.minReplicaCount }),
      ...(options.maxReplicaCount === undefined ? {} : { maxReplicaCount: options.maxReplicaCount }),
      triggers: [
        { type: "prometheus", metadata: { query: "sum(rate(http_requests_total[1m]))", threshold: "700" } },
      ],
    },
  };
}

/** A Deployment with `replicas`, for tests that want the workload around. */
export function deploymentObject(options: { namespace: string; name: string; replicas: number }): KubeObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: options.name, namespace: options.namespace, labels: { app: options.name } },
    spec: {
      replicas: options.replicas,
      selector: { matchLabels: { app: options.name } },
      template: {
        metadata: { labels: { app: options.name } },
        spec: { containers: [{ name: "app", image: "registry.example/app:1" }] },
      },
    },
  };
}
