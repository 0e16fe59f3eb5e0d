import { appendFile, mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { withFileLock, type FileLockOptions } from "../../storage/file-lock.js";
import { isErrnoException, writeFileAtomic } from "../../storage/write-file-atomic.js";
import type { IncidentEvent } from "../ledger/incident-event.js";
import { parseGuardState, type GuardState } from "../planning/guard-state.js";
import { RemediationError, RemediationErrorCode } from "../remediation-error.js";
import type { OutboxEntry, RemediationStore } from "./remediation-store.js";

/** Options of {@link FileRemediationStore}. */
export interface FileRemediationStoreOptions {
  /** Directory of the state files (created when missing). */
  readonly directory: string;
  /** Lock waits and stale-lock age. @defaultValue `{ timeoutMs: 10 000, staleMs: 30 000 }` */
  readonly lock?: FileLockOptions;
}

interface OutboxFile {
  readonly entries: Record<string, OutboxEntry>;
  readonly due: Record<string, number>;
  readonly dead: Record<string, OutboxEntry>;
}

/**
 * The remediation store of embedded mode: files in one directory.
 *
 * - `guards.json`, `deliveries.json`, `outbox.json`: read-modify-write under an O_EXCL lock file
 *   (src/storage's `withFileLock`) and replaced atomically (`writeFileAtomic`), so processes sharing
 *   the directory cannot interleave their updates and a crash never tears a file;
 * - `ledger.jsonl`: one appended line per incident event; read back at open. The ledger index is kept
 *   in memory, so one process (the embedded service) owns a ledger file.
 */
export class FileRemediationStore implements RemediationStore {
  private readonly lock: FileLockOptions;
  private readonly ledgerPath: string;
  private readonly ledger = new Map<string, IncidentEvent[]>();
  private appendChain: Promise<void> = Promise.resolve();
  private readonly chains = new Map<string, Promise<void>>();

  private constructor(
    private readonly directory: string,
    lock: FileLockOptions | undefined,
  ) {
    this.lock = lock ?? { timeoutMs: 10_000, staleMs: 30_000 };
    this.ledgerPath = join(directory, "ledger.jsonl");
  }

  /** Opens (creating the directory) and reads the ledger back. */
  static async open(options: FileRemediationStoreOptions): Promise<FileRemediationStore> {
    await mkdir(options.directory, { recursive: true });
    const store = new FileRemediationStore(options.directory, options.lock);
    await store.loadLedger();
    return store;
  }

  async claimDelivery(key: string, ttlMs: number): Promise<boolean> {
    return this.updateJson<Record<string, number>, boolean>("deliveries.json", {}, (claims, nowMs) => {
      const live = Object.fromEntries(Object.entries(claims).filter(([, untilMs]) => untilMs > nowMs));
      if (live[key] !== undefined) return { value: live, result: false };
      live[key] = nowMs + ttlMs;
      return { value: live, result: true };
    });
  }

  async releaseDelivery(key: string): Promise<void> {
    await this.updateJson<Record<string, number>, undefined>("deliveries.json", {}, (claims) => ({
      value: Object.fromEntries(Object.entries(claims).filter(([claimed]) => claimed !== key)),
      result: undefined,
    }));
  }

  async updateGuards<T>(
    change: (state: GuardState) => { readonly state: GuardState; readonly result: T },
  ): Promise<T> {
    return this.withLock("guards", async () => {
      const path = join(this.directory, "guards.json");
      const state = parseGuardState(await readOptional(path));
      const outcome = change(state);
      if (outcome.state !== state) await writeFileAtomic(path, JSON.stringify(outcome.state));
      return outcome.result;
    });
  }

  async readGuards(): Promise<GuardState> {
    return parseGuardState(
      await this.wrap("read guards.json", () => readOptional(join(this.directory, "guards.json"))),
    );
  }

  async appendEvent(incidentId: string, event: IncidentEvent): Promise<void> {
    const line = `${JSON.stringify({ incidentId, event })}\n`;
    // Appends are chained, so the file and the in-memory index keep one order; an event enters the
    // index only once it is on disk (a failed append leaves no phantom behind).
    const write = this.appendChain.then(async () => {
      await appendFile(this.ledgerPath, line, "utf8");
      const events = this.ledger.get(incidentId) ?? [];
      events.push(event);
      this.ledger.set(incidentId, events);
    });
    this.appendChain = write.catch(() => undefined);
    await this.wrap("append to ledger.jsonl", () => write);
  }

  events(incidentId: string): Promise<IncidentEvent[]> {
    return Promise.resolve([...(this.ledger.get(incidentId) ?? [])]);
  }

  listIncidentIds(limit: number): Promise<string[]> {
    return Promise.resolve([...this.ledger.keys()].reverse().slice(0, limit));
  }

  async enqueueNotification(entry: OutboxEntry): Promise<void> {
    await this.updateOutbox((outbox, nowMs) => {
      outbox.entries[entry.id] = entry;
      outbox.due[entry.id] = nowMs;
      return undefined;
    });
  }

  async claimDueNotifications(nowMs: number, leaseMs: number, limit: number): Promise<OutboxEntry[]> {
    return this.updateOutbox((outbox) => {
      const due = Object.entries(outbox.due)
        .filter(([, dueMs]) => dueMs <= nowMs)
        .sort((a, b) => a[1] - b[1])
        .slice(0, limit);
      const claimed: OutboxEntry[] = [];
      for (const [id] of due) {
        const entry = outbox.entries[id];
        if (entry === undefined) {
          Reflect.deleteProperty(outbox.due, id);
          continue;
        }
        outbox.due[id] = nowMs + leaseMs;
        claimed.push(entry);
      }
      return claimed;
    });
  }

  async completeNotification(id: string): Promise<void> {
    await this.updateOutbox((outbox) => {
      Reflect.deleteProperty(outbox.entries, id);
      Reflect.deleteProperty(outbox.due, id);
      return undefined;
    });
  }

  async rescheduleNotification(entry: OutboxEntry, dueMs: number): Promise<void> {
    await this.updateOutbox((outbox) => {
      outbox.entries[entry.id] = entry;
      outbox.due[entry.id] = dueMs;
      return undefined;
    });
  }

  async buryNotification(entry: OutboxEntry): Promise<void> {
    await this.updateOutbox((outbox) => {
      Reflect.deleteProperty(outbox.entries, entry.id);
      Reflect.deleteProperty(outbox.due, entry.id);
      outbox.dead[entry.id] = entry;
      return undefined;
    });
  }

  async deadNotifications(): Promise<OutboxEntry[]> {
    const outbox = await this.readOutbox();
    return Object.values(outbox.dead);
  }

  async pendingNotifications(): Promise<number> {
    return Object.keys((await this.readOutbox()).entries).length;
  }

  async close(): Promise<void> {
    await this.appendChain;
  }

  private async loadLedger(): Promise<void> {
    const text = await readOptional(this.ledgerPath);
    for (const line of (text ?? "").split("\n")) {
      if (line.trim() === "") continue;
      try {
        const { incidentId, event } = JSON.parse(line) as { incidentId: string; event: IncidentEvent };
        const events = this.ledger.get(incidentId) ?? [];
        events.push(event);
        this.ledger.set(incidentId, events);
      } catch {
        // A torn last line (crash mid-append) is skipped; every complete line before it is kept.
      }
    }
  }

  private async readOutbox(): Promise<OutboxFile> {
    const text = await this.wrap("read outbox.json", () => readOptional(join(this.directory, "outbox.json")));
    return parseOutbox(text);
  }

  private async updateOutbox<T>(change: (outbox: OutboxFile, nowMs: number) => T): Promise<T> {
    return this.withLock("outbox", async () => {
      const path = join(this.directory, "outbox.json");
      const outbox = parseOutbox(await readOptional(path));
      const result = change(outbox, Date.now());
      await writeFileAtomic(path, JSON.stringify(outbox));
      return result;
    });
  }

  private async updateJson<V, T>(
    name: string,
    empty: V,
    change: (value: V, nowMs: number) => { value: V; result: T },
  ): Promise<T> {
    return this.withLock(name, async () => {
      const path = join(this.directory, name);
      const text = await readOptional(path);
      let value = empty;
      if (text !== undefined) {
        try {
          value = JSON.parse(text) as V;
        } catch {
          value = empty;
        }
      }
      const outcome = change(value, Date.now());
      await writeFileAtomic(path, JSON.stringify(outcome.value));
      return outcome.result;
    });
  }

  /**
   * Serialises in-process callers first (a promise chain per file), so only one of them polls the lock
   * file at a time; the lock file then serialises processes.
   */
  private withLock<T>(name: string, action: () => Promise<T>): Promise<T> {
    const previous = this.chains.get(name) ?? Promise.resolve();
    const run = previous.then(() =>
      this.wrap(`update ${name}`, () =>
        withFileLock(join(this.directory, `.${name}.lock`), this.lock, action),
      ),
    );
    this.chains.set(
      name,
      run.then(
        () => undefined,
        () => undefined,
      ),
    );
    return run;
  }

  private async wrap<T>(what: string, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      if (error instanceof RemediationError) throw error;
      throw new RemediationError(
        RemediationErrorCode.storeUnavailable,
        `could not ${what} in ${this.directory}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
  }
}

function parseOutbox(text: string | undefined): OutboxFile {
  if (text === undefined) return { entries: {}, due: {}, dead: {} };
  try {
    const raw = JSON.parse(text) as Partial<OutboxFile>;
    return { entries: raw.entries ?? {}, due: raw.due ?? {}, dead: raw.dead ?? {} };
  } catch {
    return { entries: {}, due: {}, dead: {} };
  }
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if (isErrnoException(error) && error.code === "ENOENT") return undefined;
    throw error;
  }
}
