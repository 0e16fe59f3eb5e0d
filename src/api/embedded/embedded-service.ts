import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InProcessTrainRunner, type InProcessJobOutcome } from "../../../jobs/in-process-train-runner.js";
import { createTrainProcessor } from "../../../jobs/train-processor.js";
import { alignToStep, trainJobId } from "../../../jobs/train-queue.js";
import { isModelName } from "../../../training/model-catalog.js";
import { codeVersion } from "../../code-version.js";
import type { ResolvedTarget } from "../../config/presage-config.js";
import { ScalerLoop } from "../../scaler/scaler-loop.js";
import { ScalerMetrics } from "../../scaler/scaler-metrics.js";
import { SimulatedCluster } from "../../scaler/simulated-cluster.js";
import { FileModelRegistry } from "../../storage/file-model-registry.js";
import type { MetricsSource } from "../../telemetry/metrics-server.js";
import { TrainingMetrics } from "../../telemetry/training-metrics.js";
import { trainTargetJob } from "../../training-runtime/train-target-job.js";
import { trainingObserver } from "../../training-runtime/training-observer.js";
import type { TrainingEnqueued } from "../presage-backend.js";
import { CurrentModels } from "./current-models.js";
import { EmbeddedCapacity } from "./embedded-capacity.js";
import { EmbeddedBackend } from "./embedded-backend.js";
import { ForecastCache } from "./forecast-cache.js";
import { FLEET_STEP_SECONDS, SyntheticFleet } from "./synthetic-fleet.js";

/** Options of {@link EmbeddedService.start}. */
export interface EmbeddedServiceOptions {
  /** Synthetic workloads (`shop.web`, `shop.svc-002`, …), 1–1000. @defaultValue 1 */
  readonly targets?: number;
  /** Seed of the first workload; the others use the next ones. @defaultValue 42 */
  readonly seed?: number;
  /** Catalog model of the first workload. @defaultValue "auto" */
  readonly model?: string;
  /**
   * Catalog model of the other workloads: training them all with `auto` (~1.5 s each) would keep
   * 100 targets from starting for minutes. @defaultValue "snaive"
   */
  readonly extraModel?: string;
  /** Real milliseconds per scaler tick (one tick = 5 simulated minutes); 0: only {@link EmbeddedService.tick}. @defaultValue 1000 */
  readonly tickMs?: number;
  /** Scaler mode of every workload. @defaultValue "active" */
  readonly mode?: "shadow" | "active";
  /** Simulated start time (epoch ms). @defaultValue now, aligned down to 5 minutes */
  readonly startMs?: number;
  /** Registry directory. @defaultValue a temporary directory, removed by {@link EmbeddedService.stop} */
  readonly directory?: string;
  /** One line per notable event (training, floor changes, failures). @defaultValue silent */
  readonly log?: (line: string) => void;
  /**
   * Capacity planning on synthetic cluster usage (see `EmbeddedCapacity`), its state in a temporary
   * directory removed by {@link EmbeddedService.stop}. @defaultValue true
   */
  readonly capacity?: boolean;
}

/** Simulated time one tick advances. */
const SIMULATED_TICK_MS = FLEET_STEP_SECONDS * 1000;
const HISTORY_SECONDS = 14 * 86_400;

/**
 * The embedded service behind `npm start` and `presage serve`: synthetic workloads, a model registry
 * in files, in-process training (the same processor BullMQ workers run), the scaler loop on a
 * simulated cluster driven by a simulated clock (each tick advances it five minutes), and the
 * {@link EmbeddedBackend} the HTTP API serves. `start` trains every workload before it returns.
 */
export class EmbeddedService {
  readonly backend: EmbeddedBackend;
  readonly fleet: SyntheticFleet;
  readonly cluster: SimulatedCluster;
  /** Scaler and training metrics (prom-client registries) for `/metrics`. */
  readonly metrics: readonly MetricsSource[];
  /** Capacity planning, unless turned off. */
  readonly capacity: EmbeddedCapacity | undefined;
  private readonly loop: ScalerLoop;
  private readonly runner: InProcessTrainRunner;
  private readonly registry: FileModelRegistry;
  private readonly currentModels: CurrentModels;
  /** Training job ids submitted, with their window end; only the newest window's are kept. */
  private readonly jobIds = new Map<string, number>();
  private readonly log: (line: string) => void;
  private simulatedNowMs: number;
  private ticks = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  private constructor(
    private readonly options: EmbeddedServiceOptions,
    private readonly directory: { readonly path: string; readonly temporary: boolean },
    private readonly capacityDirectory: string | undefined,
  ) {
    this.log = options.log ?? (() => undefined);
    this.fleet = new SyntheticFleet({ count: options.targets ?? 1, seed: options.seed ?? 42 });
    const stepMs = FLEET_STEP_SECONDS * 1000;
    this.simulatedNowMs = Math.floor((options.startMs ?? Date.now()) / stepMs) * stepMs;
    this.registry = new FileModelRegistry({ directory: directory.path });
    this.currentModels = new CurrentModels(this.registry);
    this.cluster = new SimulatedCluster(this.fleet.hpaSpecs());
    const scalerMetrics = new ScalerMetrics();
    const trainingMetrics = new TrainingMetrics({ processMetrics: true });
    this.metrics = [trainingMetrics.registry, scalerMetrics.registry];
    const mode = options.mode ?? "active";
    this.loop = new ScalerLoop({
      actuator: this.cluster,
      registry: this.currentModels,
      source: this.fleet,
      discover: false,
      targets: this.fleet.scalerTargets(mode),
      now: () => this.simulatedNowMs,
      metrics: scalerMetrics,
      concurrency: 16,
      decisionLogSize: Math.max(1000, 200 * this.fleet.workloads.length),
      log: this.log,
    });
    const targets = this.fleet.workloads.map((workload, index) =>
      resolvedTarget(
        workload.name,
        index === 0 ? (options.model ?? "auto") : (options.extraModel ?? "snaive"),
        options.seed ?? 42,
      ),
    );
    this.capacity =
      capacityDirectory === undefined
        ? undefined
        : new EmbeddedCapacity({
            seed: options.seed ?? 42,
            nowMs: () => this.simulatedNowMs,
            directory: capacityDirectory,
            log: this.log,
          });
    const version = codeVersion();
    this.runner = new InProcessTrainRunner({
      targets,
      concurrency: 1,
      attempts: 2,
      backoffMs: 1000,
      processor: createTrainProcessor({
        targets,
        registry: this.registry,
        observe: trainingObserver(trainingMetrics, this.log),
        train: (request) =>
          trainTargetJob({
            target: request.target,
            windowEndMs: request.windowEndMs,
            source: this.fleet,
            registry: this.registry,
            codeVersion: version,
            onProgress: request.onProgress,
            ...(request.signal === undefined ? {} : { signal: request.signal }),
          }),
      }),
    });
    this.backend = new EmbeddedBackend({
      fleet: this.fleet,
      registry: this.registry,
      currentModels: this.currentModels,
      forecasts: new ForecastCache({ source: this.fleet }),
      cluster: this.cluster,
      mode,
      decisionLog: () => this.loop.decisions(),
      nowMs: () => this.simulatedNowMs,
      enqueueTraining: (target) => this.enqueueTraining(target),
      serviceChecks: () => [
        {
          name: "scaler loop",
          ok: !this.stopped,
          detail: `${this.ticks} ticks; simulated time ${new Date(this.simulatedNowMs).toISOString()}`,
        },
        { name: "training runner", ok: !this.stopped, detail: `${this.runner.activeJobs} jobs running` },
        ...(this.capacity === undefined ? [] : [this.capacity.check()]),
      ],
      ...(this.capacity === undefined ? {} : { capacity: this.capacity.status.bind(this.capacity) }),
    });
  }

  /**
   * Builds the service, trains every workload on 14 days of history (progress through `onTrained`),
   * plans capacity, and starts ticking. Throws when a model name is unknown or a workload cannot be
   * trained; a failed capacity plan is logged and shown by `/readyz`, not fatal.
   */
  static async start(
    options: EmbeddedServiceOptions = {},
    onTrained?: (done: number, total: number) => void,
  ): Promise<EmbeddedService> {
    for (const [field, model] of [
      ["model", options.model],
      ["extraModel", options.extraModel],
    ] as const) {
      if (model !== undefined && !isModelName(model)) {
        throw new RangeError(`\`${field}\` (${JSON.stringify(model)}) is not a model of the catalog`);
      }
    }
    const tickMs = options.tickMs ?? 1000;
    if (!Number.isInteger(tickMs) || tickMs < 0)
      throw new RangeError(`\`tickMs\` (${tickMs}) must be an integer ≥ 0`);
    const directory =
      options.directory === undefined
        ? { path: await mkdtemp(join(tmpdir(), "presage-serve-")), temporary: true }
        : { path: options.directory, temporary: false };
    const capacityDirectory =
      options.capacity === false ? undefined : await mkdtemp(join(tmpdir(), "presage-capacity-"));
    const service = new EmbeddedService(options, directory, capacityDirectory);
    try {
      await service.trainAll(onTrained);
      await service.capacity?.start();
    } catch (error) {
      await service.stop();
      throw error;
    }
    service.schedule();
    return service;
  }

  /** Simulated now (epoch ms). */
  get nowMs(): number {
    return this.simulatedNowMs;
  }

  /**
   * One scaler tick at simulated now: decide and act on every HPA, let the simulated HPAs react to the
   * load, then advance the clock five minutes. Ticks never overlap.
   */
  tick(): Promise<void> {
    if (this.running !== undefined) return this.running;
    const run = (async () => {
      await this.loop.tick();
      for (const workload of this.fleet.workloads) {
        this.cluster.reconcile(workload.hpa, this.fleet.valueAt(workload.name, this.simulatedNowMs));
      }
      this.simulatedNowMs += SIMULATED_TICK_MS;
      this.ticks++;
    })().finally(() => {
      this.running = undefined;
    });
    this.running = run;
    return run;
  }

  /**
   * Graceful stop: no more ticks, the running tick finishes, every floor goes back to its declared
   * baseline, training jobs get `graceMs` to finish, the registry closes (and a temporary one is
   * removed). Never throws.
   */
  async stop(graceMs = 5000): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    try {
      if (this.running !== undefined) await this.running;
      await this.loop.stop({ restore: true });
      await this.runner.stop(graceMs);
      await this.registry.close();
    } catch (error) {
      this.log(`embedded service stop failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      if (this.directory.temporary) await rm(this.directory.path, { recursive: true, force: true });
      if (this.capacityDirectory !== undefined) {
        await rm(this.capacityDirectory, { recursive: true, force: true });
      }
    }
  }

  private schedule(): void {
    const tickMs = this.options.tickMs ?? 1000;
    if (this.stopped || tickMs === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // tick() never rejects by design (the loop isolates failures); log if it ever does.
      this.tick().then(
        () => {
          this.schedule();
        },
        (error: unknown) => {
          this.log(`embedded tick failed: ${error instanceof Error ? error.message : String(error)}`);
          this.schedule();
        },
      );
    }, tickMs);
  }

  private async trainAll(onTrained?: (done: number, total: number) => void): Promise<void> {
    let done = 0;
    const total = this.fleet.workloads.length;
    const outcomes = await Promise.all(
      this.fleet.workloads.map(async (workload) => {
        const outcome = await this.submit(workload.name);
        await this.currentModels.refresh(workload.name);
        onTrained?.(++done, total);
        return outcome;
      }),
    );
    const failed = outcomes.filter((outcome) => outcome.status !== "completed");
    if (failed.length > 0) {
      const first = failed[0]!;
      const why = first.status === "failed" ? `: ${first.failure.message}` : ` (${first.status})`;
      throw new Error(
        `${failed.length} of ${total} workloads could not be trained, e.g. ${first.jobId}${why}`,
      );
    }
  }

  /** Submits a training job of the window ending at simulated now; refreshes the current model when it ends. */
  private submit(target: string): Promise<InProcessJobOutcome> {
    const windowEndMs = alignToStep(this.simulatedNowMs, FLEET_STEP_SECONDS);
    // A job id names one window; ids of older windows can never be asked for again.
    for (const [jobId, endMs] of this.jobIds) if (endMs < windowEndMs) this.jobIds.delete(jobId);
    this.jobIds.set(trainJobId(target, windowEndMs), windowEndMs);
    return this.runner.enqueue(target, windowEndMs).then(async (outcome) => {
      if (outcome.status === "completed") await this.currentModels.refresh(target);
      return outcome;
    });
  }

  private enqueueTraining(target: string): TrainingEnqueued {
    const jobId = trainJobId(target, alignToStep(this.simulatedNowMs, FLEET_STEP_SECONDS));
    if (this.jobIds.has(jobId)) return { target, jobId, queued: false };
    this.submit(target).then(
      (outcome) => {
        if (outcome.status === "failed") this.log(`training ${jobId} failed: ${outcome.failure.message}`);
      },
      (error: unknown) => {
        this.log(`training ${jobId} failed: ${error instanceof Error ? error.message : String(error)}`);
      },
    );
    return { target, jobId, queued: true };
  }
}

function resolvedTarget(name: string, model: string, seed: number): ResolvedTarget {
  return {
    name,
    source: "synthetic",
    query: name,
    seed,
    stepSeconds: FLEET_STEP_SECONDS,
    historySeconds: HISTORY_SECONDS,
    horizonsSeconds: [3600],
    seasonalitySeconds: [86_400, 604_800],
    models: [model],
    // Not armed: the simulated clock runs 300× real time, so cron in real time means nothing here;
    // retraining is asked for through the API.
    schedule: "0 */6 * * *",
  };
}
