/**
 * The workflow harness's virtual clock: everything that happens later (timers, activity attempts,
 * child starts…) is a step due at a virtual time; steps due at the same time run in the order
 * they were scheduled.
 */
export interface ScheduledStep {
  id: number;
  dueMs: number;
  label: string;
  run: () => Promise<void>;
}

export class VirtualScheduler {
  private readonly steps: ScheduledStep[] = [];
  private lastId = 0;

  constructor(public nowMs: number) {}

  schedule(dueMs: number, label: string, run: () => Promise<void>): number {
    const id = ++this.lastId;
    this.steps.push({ id, dueMs: Math.max(dueMs, this.nowMs), label, run });
    return id;
  }

  cancel(id: number): void {
    const index = this.steps.findIndex((step) => step.id === id);
    if (index >= 0) this.steps.splice(index, 1);
  }

  /** Earliest step due at or before `limitMs`; ties in the order they were scheduled. */
  takeDue(limitMs: number): ScheduledStep | undefined {
    let best: ScheduledStep | undefined;
    for (const step of this.steps) {
      if (step.dueMs > limitMs) continue;
      if (best === undefined || step.dueMs < best.dueMs || (step.dueMs === best.dueMs && step.id < best.id)) best = step;
    }
    if (best !== undefined) this.steps.splice(this.steps.indexOf(best), 1);
    return best;
  }

  nextDueMs(): number | undefined {
    return this.steps.length === 0 ? undefined : Math.min(...this.steps.map((step) => step.dueMs));
  }

}
