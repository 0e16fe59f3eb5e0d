/**
 * The pods of one Deployment in the replay: created when the replicas go up, Ready `startupSeconds`
 * later, deleted at once when they go down. A ReplicaSet deletes not-Ready pods first, then those
 * Ready for the shortest time; with one start-up time for all pods both orders are "newest first", so
 * the fleet is a stack of Ready times in creation order.
 */
export class PodFleet {
  /** Ready time of each present pod, oldest first; non-decreasing. */
  private readonly readyAtSeconds: number[] = [];

  /**
   * @param startupSeconds time from creation to Ready.
   * @param initialReadyPods pods Ready since before the replay starts.
   */
  constructor(
    private readonly startupSeconds: number,
    initialReadyPods: number,
  ) {
    for (let i = 0; i < initialReadyPods; i++) this.readyAtSeconds.push(Number.NEGATIVE_INFINITY);
  }

  /** Pods present (the Deployment's replicas, Ready or not): what is paid for. */
  get size(): number {
    return this.readyAtSeconds.length;
  }

  /** Present pods that were already Ready at `atSeconds` (`atSeconds` ≤ now). */
  readyAt(atSeconds: number): number {
    let low = 0;
    let high = this.readyAtSeconds.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.readyAtSeconds[middle] ?? Number.POSITIVE_INFINITY) <= atSeconds) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** Creates or deletes pods at `nowSeconds` so that `replicas` are present. */
  scaleTo(replicas: number, nowSeconds: number): void {
    while (this.readyAtSeconds.length < replicas) this.readyAtSeconds.push(nowSeconds + this.startupSeconds);
    if (this.readyAtSeconds.length > replicas) this.readyAtSeconds.length = replicas;
  }
}
