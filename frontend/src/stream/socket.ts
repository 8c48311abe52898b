// The one WebSocket of the page: authenticated by a short-lived ticket (the token never goes in
// a URL), reconnected with backoff, and resumed: each watch says the last seq this client has
// of the task (`after_seq`), so the server sends only what is missing. What still arrives at or
// below it (the session's tasks, which the server replays on connecting) is dropped, so
// listeners get every event once and in order.

import { backoffDelay } from "./backoff";
import type { TaskEvent } from "./assemble";

export interface SocketLike {
  onopen: ((event: Event) => void) | null;
  onclose: ((event: CloseEvent) => void) | null;
  onmessage: ((message: MessageEvent) => void) | null;
  send(data: string): void;
  close(): void;
  readonly readyState: number;
}

export interface StreamDeps {
  ticket: () => Promise<string>;
  open: (ticket: string) => SocketLike;
  later: (run: () => void, ms: number) => unknown;
  cancel: (handle: unknown) => void;
  random?: () => number;
}

export type ConnectionState = "connecting" | "open" | "waiting" | "stopped";
type Listener = (event: TaskEvent) => void;
const OPEN = 1;

export class StreamClient {
  state: ConnectionState = "stopped";
  attempts = 0;
  private socket: SocketLike | null = null;
  private timer: unknown = null;
  private readonly lastSeq = new Map<string, number>();
  private readonly watchers = new Map<string, Set<Listener>>();
  private readonly everything = new Set<Listener>();
  private readonly stateListeners = new Set<(state: ConnectionState) => void>();

  constructor(private readonly deps: StreamDeps) {}

  start(): void {
    if (this.state !== "stopped") return;
    void this.connect();
  }

  stop(): void {
    this.setState("stopped");
    if (this.timer !== null) this.deps.cancel(this.timer);
    this.timer = null;
    const socket = this.socket;
    this.socket = null;
    socket?.close();
  }

  /** Follow one task; returns the function that stops following it. */
  watch(taskId: string, listener: Listener): () => void {
    let listeners = this.watchers.get(taskId);
    if (!listeners) {
      listeners = new Set();
      this.watchers.set(taskId, listeners);
      this.sendWatch(taskId);
    }
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && this.watchers.get(taskId) === listeners) {
        this.watchers.delete(taskId);
        this.send({ action: "unwatch", task_id: taskId });
      }
    };
  }

  /** Every event this socket receives (the session's tasks and the watched ones). */
  onEvent(listener: Listener): () => void {
    this.everything.add(listener);
    return () => this.everything.delete(listener);
  }

  onState(listener: (state: ConnectionState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  private setState(state: ConnectionState): void {
    this.state = state;
    for (const listener of this.stateListeners) listener(state);
  }

  private async connect(): Promise<void> {
    this.setState("connecting");
    let ticket: string;
    try {
      ticket = await this.deps.ticket();
    } catch {
      this.retry();
      return;
    }
    if (this.state === "stopped") return;
    const socket = this.deps.open(ticket);
    this.socket = socket;
    socket.onopen = () => {
      this.attempts = 0;
      this.setState("open");
      for (const taskId of this.watchers.keys()) this.sendWatch(taskId);
    };
    socket.onmessage = (message) => this.receive(message.data);
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.retry();
    };
  }

  private retry(): void {
    if (this.state === "stopped") return;
    this.setState("waiting");
    const delay = backoffDelay(this.attempts++, this.deps.random);
    this.timer = this.deps.later(() => {
      this.timer = null;
      void this.connect();
    }, delay);
  }

  private sendWatch(taskId: string): void {
    const last = this.lastSeq.get(taskId);
    this.send({ action: "watch", task_id: taskId, ...(last === undefined ? {} : { after_seq: last }) });
  }

  private send(message: Record<string, unknown>): void {
    if (this.socket?.readyState === OPEN) this.socket.send(JSON.stringify(message));
  }

  private receive(data: unknown): void {
    if (typeof data !== "string") return;
    let event: TaskEvent;
    try {
      event = JSON.parse(data) as TaskEvent;
    } catch {
      return;
    }
    if (typeof event.task_id !== "string" || typeof event.seq !== "number") return;
    if (event.seq <= (this.lastSeq.get(event.task_id) ?? -1)) return;
    this.lastSeq.set(event.task_id, event.seq);
    for (const listener of this.everything) listener(event);
    for (const listener of this.watchers.get(event.task_id) ?? []) listener(event);
  }
}
