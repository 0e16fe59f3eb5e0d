import type { KubeConfig } from "@kubernetes/client-node";
import type { ModelRegistry } from "../../training/registry/model-registry.js";
import type { MetricSource } from "../sources/metric-source.js";
import { KubernetesActuator } from "./kubernetes/kubernetes-actuator.js";
import { LeaseElector } from "./kubernetes/lease-elector.js";
import { createOutageProbe } from "./outage-probe.js";
import { restoreFloorsLeftBehind } from "./restore-floors-left-behind.js";
import { ScalerLoop, type DecisionRecord } from "./scaler-loop.js";
import type { ScalerMetrics } from "./scaler-metrics.js";
import type { ScalerTargetSpec } from "./scaler-target.js";
import { StartupLeadTracker, type StartupLeadTrackerOptions } from "./startup/startup-lead-tracker.js";

export interface InClusterScalerOptions {
  readonly kubeConfig: KubeConfig;
  readonly registry: Pick<ModelRegistry, "current">;
  readonly source: MetricSource;
  /** Namespace of the leader Lease (the pod's own namespace). */
  readonly leaseNamespace: string;
  /** This replica's identity in the Lease (the pod name). */
  readonly identity: string;
  /** @defaultValue "presage-scaler" */
  readonly leaseName?: string;
  /** Targets declared in config (the `scaler.targets` section). @defaultValue none */
  readonly targets?: readonly ScalerTargetSpec[];
  /** Also manage HPAs annotated `presage.io/enabled: "true"`. @defaultValue true */
  readonly discover?: boolean;
  /**
   * Measure each target's lead from pod start-ups (kube-state-metrics through Prometheus).
   * @defaultValue none: configured leads only
   */
  readonly startupLead?: StartupLeadTrackerOptions;
  /** @defaultValue 60 000 */
  readonly tickMs?: number;
  /** Lease timings; client-go's defaults when absent (15 s lease, 10 s renew deadline, 2 s retry). */
  readonly lease?: {
    readonly durationSeconds: number;
    readonly renewDeadlineMs: number;
    readonly retryPeriodMs: number;
  };
  readonly metrics?: ScalerMetrics;
  readonly log?: (line: string) => void;
  readonly onDecision?: (record: DecisionRecord) => void;
}

/**
 * The in-cluster composition of the scaler: targets from config and from annotated HPAs, leads
 * measured from pod start-ups when configured, outages from each target's error-ratio query,
 * decisions by the loop, writes through the Kubernetes actuator — only while this replica holds the
 * Lease. A replica that takes the lease over from one that stopped renewing first restores the floors
 * it left behind. `stop()` restores this replica's floors (when leader) and then releases the lease.
 */
export class InClusterScaler {
  readonly loop: ScalerLoop;
  readonly elector: LeaseElector;
  readonly actuator: KubernetesActuator;

  constructor(options: InClusterScalerOptions) {
    const log = options.log ?? (() => undefined);
    this.actuator = new KubernetesActuator({
      kubeConfig: options.kubeConfig,
      instance: options.identity,
      log,
    });
    this.elector = new LeaseElector({
      kubeConfig: options.kubeConfig,
      namespace: options.leaseNamespace,
      identity: options.identity,
      ...(options.leaseName === undefined ? {} : { leaseName: options.leaseName }),
      ...(options.lease === undefined
        ? {}
        : {
            leaseDurationSeconds: options.lease.durationSeconds,
            renewDeadlineMs: options.lease.renewDeadlineMs,
            retryPeriodMs: options.lease.retryPeriodMs,
          }),
      onStartedLeading: () => {
        log(`scaler lease acquired identity=${options.identity}`);
      },
      onStoppedLeading: (reason) => {
        log(`scaler lease lost identity=${options.identity} reason="${reason}"`);
      },
      onTakeover: async (previousHolder) => {
        const restored = await restoreFloorsLeftBehind(this.actuator, log);
        log(`scaler takeover from=${previousHolder} restored=${restored}`);
      },
      onError: (error) => {
        log(`scaler lease error identity=${options.identity} error="${error.message}"`);
      },
    });
    this.loop = new ScalerLoop({
      actuator: this.actuator,
      registry: options.registry,
      source: options.source,
      discover: options.discover ?? true,
      ...(options.targets === undefined ? {} : { targets: options.targets }),
      isLeader: () => this.elector.isLeader(),
      outage: createOutageProbe(options.source),
      ...(options.startupLead === undefined
        ? {}
        : { startupLead: new StartupLeadTracker(options.startupLead) }),
      ...(options.tickMs === undefined ? {} : { tickMs: options.tickMs }),
      ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
      ...(options.onDecision === undefined ? {} : { onDecision: options.onDecision }),
      log,
    });
  }

  async start(): Promise<void> {
    await this.elector.start();
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop({ restore: true });
    await this.elector.stop();
  }
}
