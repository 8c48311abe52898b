// One task's events, put back in order by `seq`. Events come from two places that overlap (the
// saved output over HTTP and the live socket, which replays what it missed after a reconnect),
// in any order: each seq is applied once, and lines are released only without a gap.

export const SEQ_CREATED = 0;
export const SEQ_STARTED = 1;
export const FIRST_OUTPUT_SEQ = 2;

export const TERMINAL_TYPES = new Set(["task.completed", "task.failed", "task.cancelled"]);

export interface TaskEvent {
  type: string;
  task_id: string;
  seq: number;
  line?: string;
  status?: string;
  result?: string | null;
  error?: string | null;
  cost_usd?: number | null;
  input_tokens?: number | null;
  output_tokens?: number | null;
  num_turns?: number | null;
}

export class TaskStream {
  /** Output lines in order, without gaps: lines[i] has seq FIRST_OUTPUT_SEQ + i. */
  readonly lines: string[] = [];
  started = false;
  end: TaskEvent | null = null;
  private pending = new Map<number, TaskEvent>();

  /** Apply an event; true when it changed what is shown (a duplicate changes nothing). */
  add(event: TaskEvent): boolean {
    if (TERMINAL_TYPES.has(event.type) && event.seq <= SEQ_STARTED) {
      // A task cancelled or failed before it started ends right after task.created.
      if (this.end) return false;
      this.end = event;
      return true;
    }
    if (event.seq === SEQ_CREATED) return false;
    if (event.seq === SEQ_STARTED) {
      const changed = !this.started;
      this.started = true;
      return changed;
    }
    if (event.seq < this.nextSeq || this.pending.has(event.seq)) return false;
    this.pending.set(event.seq, event);
    this.release();
    return true;
  }

  /** The next output seq it waits for. */
  get nextSeq(): number {
    return FIRST_OUTPUT_SEQ + this.lines.length + (this.end ? 1 : 0);
  }

  /** The last seq received without a gap before it: where a resumed stream goes on from. */
  get lastSeq(): number {
    if (this.end) return this.end.seq;
    if (this.lines.length) return FIRST_OUTPUT_SEQ + this.lines.length - 1;
    return this.started ? SEQ_STARTED : SEQ_CREATED;
  }

  /** Seqs received ahead of a gap, waiting for the gap to be filled. */
  get waiting(): number {
    return this.pending.size;
  }

  get ended(): boolean {
    return this.end !== null;
  }

  private release(): void {
    for (;;) {
      const seq = this.nextSeq;
      const event = this.pending.get(seq);
      if (!event || this.end) break;
      this.pending.delete(seq);
      if (TERMINAL_TYPES.has(event.type)) {
        this.end = event;
        this.started = true;
      } else if (event.type === "task.output") {
        this.lines.push(event.line ?? "");
        this.started = true;
      }
    }
    // Anything at or below what has been released is a late duplicate.
    for (const seq of this.pending.keys()) if (seq < this.nextSeq) this.pending.delete(seq);
  }
}
