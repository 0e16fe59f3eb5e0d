// Worker-thread entry of `ChallengerFitThreads`: a long-lived thread (its JIT stays warm) that runs
// one challenger fit per message, in order, posting progress and then the result or the error.
import { parentPort } from "node:worker_threads";
import type { ChallengerFitMessage, ChallengerFitRequest } from "./challenger-fit-message.js";
import { fitChallenger } from "./fit-challenger.js";

function post(message: ChallengerFitMessage): void {
  parentPort?.postMessage(message);
}

async function run({ id, job }: ChallengerFitRequest): Promise<void> {
  try {
    if (job.models.some((name) => name.includes("lstm"))) {
      // Each thread has its own TensorFlow.js: pick the fastest backend once (loaded only when needed).
      const { initLstmBackend } = await import("../../models/lstm/lstm-backend.js");
      const { backend } = await initLstmBackend();
      post({ type: "progress", id, fraction: 0, stage: `LSTM backend: ${backend}` });
    }
    const result = fitChallenger(job, (fraction, stage) => {
      post({ type: "progress", id, fraction, stage });
    });
    post({ type: "done", id, result });
  } catch (error) {
    post({
      type: "failed",
      id,
      name: error instanceof Error ? error.name : "Error",
      message: error instanceof Error ? error.message : String(error),
      ...(typeof (error as { code?: unknown }).code === "string"
        ? { code: (error as { code: string }).code }
        : {}),
      retryable: (error as { retryable?: unknown }).retryable === true,
    });
  }
}

let queue = Promise.resolve();
parentPort?.on("message", (request: ChallengerFitRequest) => {
  queue = queue.then(() => run(request));
});
