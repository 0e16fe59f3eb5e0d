/** Stable codes of remediation failures. */
export const RemediationErrorCode = {
  /** A runbook file is invalid (every problem listed). */
  invalidRunbook: "PRESAGE_REMEDIATION_INVALID_RUNBOOK",
  /** A runbook's template names a label the alert does not carry, or renders an invalid parameter. */
  template: "PRESAGE_REMEDIATION_TEMPLATE",
  /** An action could not be prepared, applied or undone (its cause says why). */
  actionFailed: "PRESAGE_REMEDIATION_ACTION_FAILED",
  /** The action has nothing to change (e.g. already at the scale bound, no previous revision). */
  nothingToDo: "PRESAGE_REMEDIATION_NOTHING_TO_DO",
  /** A store (Redis or files) could not be read or written. */
  storeUnavailable: "PRESAGE_REMEDIATION_STORE_UNAVAILABLE",
  /** No such incident (404). */
  unknownIncident: "PRESAGE_REMEDIATION_UNKNOWN_INCIDENT",
  /** The incident is not waiting for approval (409). */
  notAwaitingApproval: "PRESAGE_REMEDIATION_NOT_AWAITING_APPROVAL",
  /** Alertmanager's silences could not be read. */
  silencesUnavailable: "PRESAGE_REMEDIATION_SILENCES_UNAVAILABLE",
  /** This server runs no remediation (no `remediation:` section in its config): 404 on its routes. */
  notConfigured: "PRESAGE_REMEDIATION_NOT_CONFIGURED",
} as const;
export type RemediationErrorCode = (typeof RemediationErrorCode)[keyof typeof RemediationErrorCode];

/** A remediation failure with a stable code; the underlying error, if any, is its `cause`. */
export class RemediationError extends Error {
  override readonly name = "RemediationError";
  constructor(
    readonly code: RemediationErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The message of anything thrown, for timelines and logs. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
