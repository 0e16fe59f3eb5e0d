import { KubeConfig } from "@kubernetes/client-node";
import { KubernetesError, KubernetesErrorCode } from "./kubernetes-error.js";

/** Where the Kubernetes credentials come from. */
export interface KubeConfigSource {
  /**
   * A kubeconfig file. @defaultValue none: in a pod, the mounted ServiceAccount; outside, `$KUBECONFIG`
   * or `~/.kube/config` (client-node's `loadFromDefault`)
   */
  readonly kubeconfigPath?: string;
  /** A context of that kubeconfig other than its current one. */
  readonly context?: string;
  /** Use the pod's ServiceAccount even if a kubeconfig is around. @defaultValue false */
  readonly inCluster?: boolean;
}

/**
 * Builds the `KubeConfig` the Kubernetes adapters make their clients from. Throws `KubernetesError`
 * (`invalidConfig`) when the source names a context that does not exist or yields no cluster.
 */
export function loadKubeConfig(source: KubeConfigSource = {}): KubeConfig {
  const config = new KubeConfig();
  if (source.inCluster === true) config.loadFromCluster();
  else if (source.kubeconfigPath !== undefined) config.loadFromFile(source.kubeconfigPath);
  else config.loadFromDefault();
  if (source.context !== undefined) {
    if (!config.getContexts().some((context) => context.name === source.context)) {
      throw new KubernetesError(
        KubernetesErrorCode.invalidConfig,
        `kubernetes.context (${JSON.stringify(source.context)}) is not a context of the kubeconfig (${config
          .getContexts()
          .map((context) => context.name)
          .join(", ")})`,
      );
    }
    config.setCurrentContext(source.context);
  }
  if (config.getCurrentCluster() === null) {
    throw new KubernetesError(KubernetesErrorCode.invalidConfig, "the kubeconfig has no current cluster");
  }
  return config;
}
