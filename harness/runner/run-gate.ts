/**
 * Lets calls overlap, except when one flow must be played alone: `shared()` for every run,
 * `alone()` waits until no run is in flight and holds new ones back until it is done. Also
 * counts, for every run, how many others were in flight with it at some moment.
 */
export class RunGate {
  private readonly inFlight = new Map<string, { overlapped: number }>();
  private exclusive: Promise<void> | undefined;
  private drained: (() => void) | undefined;

  /** Enters a run (waits while a run plays alone). */
  async shared(id: string): Promise<void> {
    while (this.exclusive) await this.exclusive;
    const others = this.inFlight.size;
    for (const run of this.inFlight.values()) run.overlapped = Math.max(run.overlapped, others);
    this.inFlight.set(id, { overlapped: others });
  }

  /** Leaves a run; gives how many other calls were in flight with it at most. */
  leave(id: string): number {
    const run = this.inFlight.get(id);
    this.inFlight.delete(id);
    if (this.inFlight.size === 0) this.drained?.();
    return run?.overlapped ?? 0;
  }

  /** Runs `play` with no other run in flight. */
  async alone<T>(play: () => Promise<T>): Promise<T> {
    while (this.exclusive) await this.exclusive;
    let done!: () => void;
    this.exclusive = new Promise((resolve) => (done = resolve));
    try {
      if (this.inFlight.size > 0) await new Promise<void>((resolve) => (this.drained = resolve));
      this.drained = undefined;
      return await play();
    } finally {
      this.exclusive = undefined;
      done();
    }
  }
}
