/**
 * The simulation's one virtual clock: the API (AppDeps.clock), the workflows (each harness run is
 * started at, and advanced to, this time), the margin activities (their `now`) and the schedules
 * (accrual at 00:30, margin check at 01:00, stock-count monitor every 6 hours) all read it.
 * It only moves forward, and only when the simulation says so.
 */
export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

export class VirtualClock {
  constructor(private ms: number) {}

  nowMs(): number {
    return this.ms;
  }

  now(): Date {
    return new Date(this.ms);
  }

  /** 'YYYY-MM-DD' (UTC) of now, or of now + `offsetDays`. */
  day(offsetDays = 0): string {
    return new Date(this.ms + offsetDays * DAY_MS).toISOString().slice(0, 10);
  }

  set(ms: number): void {
    if (ms < this.ms) throw new Error(`the virtual clock only moves forward (${new Date(this.ms).toISOString()} → ${new Date(ms).toISOString()})`);
    this.ms = ms;
  }
}

/**
 * The virtual clock starts at the real time: the database's own now() (real time) dates the line's
 * opening (credit_line.created_at), and "before the line opened" must be judged on the virtual
 * clock's day. openLine() then brings the clock up to the line's created_at.
 */
export function virtualStart(realNowMs: number = Date.now()): number {
  return realNowMs;
}
