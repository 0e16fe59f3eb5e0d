import { z } from "zod";
import { shownUrl } from "../../http/shown-url.js";

/** The actions a runbook step can run. */
export const ActionKind = {
  restartDeployment: "restart-deployment",
  rollbackDeployment: "rollback-deployment",
  scaleDeployment: "scale-deployment",
  deletePod: "delete-pod",
  cordonNode: "cordon-node",
  httpHook: "http-hook",
  createJob: "create-job",
  /**
   * Raises the floor (`minReplicas`) of a HorizontalPodAutoscaler the scaler owns, through the scaler's
   * actuator: its declared baseline is kept in `presage.io/baseline-min-replicas`, so the scaler lowers
   * the floor back (and restores the baseline) once its forecasts no longer ask for it.
   */
  raiseScalerFloor: "raise-scaler-floor",
} as const;
export type ActionKind = (typeof ActionKind)[keyof typeof ActionKind];
export const ACTION_KINDS = Object.values(ActionKind);

/** RFC 1123 DNS label (namespaces) and subdomain (most object names), as the API server checks them. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const namespace = z
  .string()
  .max(63)
  .regex(DNS_LABEL, "must be a DNS-1123 label (lower-case alphanumerics and '-')");
const objectName = z
  .string()
  .max(253)
  .regex(DNS_SUBDOMAIN, "must be a DNS-1123 subdomain (lower-case alphanumerics, '-' and '.')");

/** Parameters of each action after templating; validated again after every render. */
export const actionParamSchemas = {
  [ActionKind.restartDeployment]: z.object({ namespace, deployment: objectName }).strict(),
  [ActionKind.rollbackDeployment]: z.object({ namespace, deployment: objectName }).strict(),
  [ActionKind.scaleDeployment]: z
    .object({
      namespace,
      deployment: objectName,
      by: z
        .number()
        .int()
        .refine((by) => by !== 0, { error: "must not be 0" }),
      min: z.number().int().min(0).default(1),
      max: z.number().int().min(1),
    })
    .strict()
    .refine((params) => params.min <= params.max, { error: "min must be ≤ max", path: ["min"] }),
  [ActionKind.deletePod]: z.object({ namespace, pod: objectName }).strict(),
  [ActionKind.cordonNode]: z.object({ node: objectName }).strict(),
  [ActionKind.httpHook]: z
    .object({
      url: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }),
      method: z.enum(["POST", "PUT"]).default("POST"),
      body: z.record(z.string(), z.unknown()).default({}),
      timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
    })
    .strict(),
  [ActionKind.createJob]: z
    .object({
      namespace,
      /** A batch/v1 Job manifest (metadata.name or generateName, spec.template ...). */
      job: z
        .object({
          metadata: z
            .looseObject({ name: z.string().optional(), generateName: z.string().optional() })
            .default({}),
          spec: z.record(z.string(), z.unknown()),
        })
        .loose(),
    })
    .strict(),
  [ActionKind.raiseScalerFloor]: z
    .object({
      namespace,
      hpa: objectName,
      /** Replicas added to the floor in force. */
      by: z.number().int().min(1),
      /** The floor never goes above this (nor above the HPA's maxReplicas). */
      max: z.number().int().min(1),
    })
    .strict(),
} as const;

export type ActionParams = {
  [K in ActionKind]: z.infer<(typeof actionParamSchemas)[K]>;
};

/** One concrete action: kind and rendered, validated parameters. */
export type RemediationAction = {
  [K in ActionKind]: { readonly kind: K; readonly params: ActionParams[K] };
}[ActionKind];

/** Validates rendered params for `kind`; problems as `field: rule` strings. */
export function parseActionParams(
  kind: ActionKind,
  params: unknown,
): { ok: true; action: RemediationAction } | { ok: false; problems: string[] } {
  const result = actionParamSchemas[kind].safeParse(params);
  if (!result.success) {
    return {
      ok: false,
      problems: result.error.issues.map(
        (issue) =>
          `${issue.path.length === 0 ? "params" : `params.${issue.path.join(".")}`}: ${issue.message}`,
      ),
    };
  }
  return { ok: true, action: { kind, params: result.data } as RemediationAction };
}

/** `deployment/shop/web`, `node/n1`, … — what cooldowns are keyed on. */
export function actionTarget(action: RemediationAction): string {
  switch (action.kind) {
    case ActionKind.restartDeployment:
    case ActionKind.rollbackDeployment:
    case ActionKind.scaleDeployment:
      return `deployment/${action.params.namespace}/${action.params.deployment}`;
    case ActionKind.deletePod:
      return `pod/${action.params.namespace}/${action.params.pod}`;
    case ActionKind.cordonNode:
      return `node/${action.params.node}`;
    case ActionKind.httpHook:
      return `hook/${shownUrl(action.params.url)}`;
    case ActionKind.createJob: {
      const job = action.params.job as { metadata: { name?: string; generateName?: string }; spec?: unknown };
      const nodeName = (job.spec as { template?: { spec?: { nodeName?: unknown } } } | undefined)?.template
        ?.spec?.nodeName;
      const base = `job/${action.params.namespace}/${job.metadata.name ?? job.metadata.generateName ?? ""}`;
      return typeof nodeName === "string" && nodeName !== "" ? `${base}@node/${nodeName}` : base;
    }
    case ActionKind.raiseScalerFloor:
      return `hpa/${action.params.namespace}/${action.params.hpa}`;
  }
}

/** A one-line description for timelines and notifications. */
export function describeAction(action: RemediationAction): string {
  switch (action.kind) {
    case ActionKind.restartDeployment:
      return `rollout restart deployment/${action.params.deployment} -n ${action.params.namespace}`;
    case ActionKind.rollbackDeployment:
      return `rollout undo deployment/${action.params.deployment} -n ${action.params.namespace}`;
    case ActionKind.scaleDeployment:
      return `scale deployment/${action.params.deployment} -n ${action.params.namespace} by ${action.params.by > 0 ? "+" : ""}${action.params.by} within [${action.params.min}, ${action.params.max}]`;
    case ActionKind.deletePod:
      return `delete pod/${action.params.pod} -n ${action.params.namespace}`;
    case ActionKind.cordonNode:
      return `cordon node/${action.params.node}`;
    case ActionKind.httpHook:
      return `${action.params.method} ${shownUrl(action.params.url)}`;
    case ActionKind.createJob:
      return `create job ${action.params.job.metadata.name ?? action.params.job.metadata.generateName ?? ""} -n ${action.params.namespace}`;
    case ActionKind.raiseScalerFloor:
      return `raise minReplicas of hpa/${action.params.hpa} -n ${action.params.namespace} by +${action.params.by} (at most ${action.params.max})`;
  }
}
