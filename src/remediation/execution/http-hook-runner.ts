import { errorMessage, RemediationError, RemediationErrorCode } from "../remediation-error.js";
import { shownUrl } from "../../http/shown-url.js";
import { ActionKind, type RemediationAction } from "../runbooks/remediation-action.js";
import type { ActionRunner, AppliedAction, PreparedAction } from "./action-runner.js";

/** Options of {@link HttpHookRunner}. */
export interface HttpHookRunnerOptions {
  /** Injected for tests. @defaultValue globalThis.fetch */
  readonly fetch?: typeof fetch;
}

/**
 * Runs `http-hook` actions: one request with the rendered JSON body; a 2xx answer is success, anything
 * else (or no answer within the step's timeout) fails the action. Redirects are not followed: the
 * runbook fixes the hook's origin, and a redirect (perhaps from a label-chosen path) must not take the
 * request elsewhere. Hooks are not undoable.
 */
export class HttpHookRunner implements ActionRunner {
  private readonly fetch: typeof fetch;

  constructor(options: HttpHookRunnerOptions = {}) {
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  prepare(action: RemediationAction): Promise<PreparedAction> {
    if (action.kind !== ActionKind.httpHook)
      throw new RangeError(`HttpHookRunner runs http-hook, not ${action.kind}`);
    return Promise.resolve({
      action,
      snapshot: null,
      undoable: false,
      detail: `${action.params.method} ${shownUrl(action.params.url)}`,
    });
  }

  async apply(prepared: PreparedAction): Promise<AppliedAction> {
    const action = prepared.action;
    if (action.kind !== ActionKind.httpHook)
      throw new RangeError(`HttpHookRunner runs http-hook, not ${action.kind}`);
    const { url, method, body, timeoutMs } = action.params;
    const shown = shownUrl(url);
    let response: Response;
    try {
      response = await this.fetch(url, {
        method,
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
        redirect: "manual",
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new RemediationError(
        RemediationErrorCode.actionFailed,
        `${method} ${shown} got no answer: ${errorMessage(error)}`,
        { cause: error },
      );
    }
    const text = (await response.text().catch(() => "")).slice(0, 200);
    if (!response.ok) {
      throw new RemediationError(
        RemediationErrorCode.actionFailed,
        `${method} ${shown} answered HTTP ${response.status}${
          response.status >= 300 && response.status < 400 ? " (redirects are not followed)" : ""
        }: ${text}`,
      );
    }
    return { prepared, detail: `${method} ${shown} answered HTTP ${response.status}` };
  }

  undo(): Promise<string> {
    return Promise.reject(
      new RemediationError(RemediationErrorCode.actionFailed, "an HTTP hook cannot be undone"),
    );
  }
}

/**
 * Routes each action to the runner of its kind: http-hook to `hooks`, raise-scaler-floor to `floors`
 * (the scaler's actuator), everything else to `kubernetes`.
 */
export class RoutingActionRunner implements ActionRunner {
  constructor(
    private readonly kubernetes: ActionRunner,
    private readonly hooks: ActionRunner = new HttpHookRunner(),
    /** @defaultValue none: raise-scaler-floor steps fail ("not configured") */
    private readonly floors?: ActionRunner,
  ) {}

  prepare(action: RemediationAction): Promise<PreparedAction> {
    return this.pick(action).prepare(action);
  }

  apply(prepared: PreparedAction): Promise<AppliedAction> {
    return this.pick(prepared.action).apply(prepared);
  }

  undo(applied: AppliedAction): Promise<string> {
    return this.pick(applied.prepared.action).undo(applied);
  }

  private pick(action: RemediationAction): ActionRunner {
    if (action.kind === ActionKind.raiseScalerFloor) {
      if (this.floors === undefined) {
        throw new RemediationError(
          RemediationErrorCode.actionFailed,
          `${action.kind} needs the scaler's actuator, and none is configured here`,
        );
      }
      return this.floors;
    }
    return action.kind === ActionKind.httpHook ? this.hooks : this.kubernetes;
  }
}
