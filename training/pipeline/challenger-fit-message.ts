import type { ChallengerFit, ChallengerFitJob } from "./fit-challenger.js";

/** What the parent posts to a challenger-fit worker thread. */
export interface ChallengerFitRequest {
  readonly id: number;
  readonly job: ChallengerFitJob;
}

/** What a challenger-fit worker thread posts to its parent, about request `id`. */
export type ChallengerFitMessage =
  | { readonly type: "progress"; readonly id: number; readonly fraction: number; readonly stage: string }
  | { readonly type: "done"; readonly id: number; readonly result: ChallengerFit }
  | {
      readonly type: "failed";
      readonly id: number;
      readonly name: string;
      readonly message: string;
      readonly code?: string;
      readonly retryable: boolean;
    };
