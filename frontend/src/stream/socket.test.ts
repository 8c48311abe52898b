import { describe, expect, it } from "vitest";
import type { TaskEvent } from "./assemble";
import { StreamClient, type SocketLike } from "./socket";
import { backoffDelay } from "./backoff";

class FakeSocket implements SocketLike {
  onopen: ((event: Event) => void) | null = null;
  onclose: ((event: CloseEvent) => void) | null = null;
  onmessage: ((message: MessageEvent) => void) | null = null;
  readyState = 0;
  sent: string[] = [];
  constructor(readonly ticket: string) {}
  send(data: string) {
    this.sent.push(data);
  }
  close() {
    this.readyState = 3;
  }
  accept() {
    this.readyState = 1;
    this.onopen?.({} as Event);
  }
  drop() {
    this.readyState = 3;
    this.onclose?.({} as CloseEvent);
  }
  emit(event: TaskEvent) {
    this.onmessage?.({ data: JSON.stringify(event) } as MessageEvent);
  }
}

function setup() {
  const sockets: FakeSocket[] = [];
  const timers: { run: () => void; ms: number }[] = [];
  let tickets = 0;
  const client = new StreamClient({
    ticket: async () => `ticket-${++tickets}`,
    open: (ticket) => {
      const socket = new FakeSocket(ticket);
      sockets.push(socket);
      return socket;
    },
    later: (run, ms) => timers.push({ run, ms }),
    cancel: () => undefined,
    random: () => 1,
  });
  return { client, sockets, timers };
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));
const out = (seq: number): TaskEvent => ({ type: "task.output", task_id: "t", seq, line: `l${seq}` });

describe("StreamClient", () => {
  it("reconnects with a new ticket and resumes without a duplicated or missing line", async () => {
    const { client, sockets, timers } = setup();
    const seen: number[] = [];
    client.watch("t", (event) => seen.push(event.seq));
    client.start();
    await flush();
    sockets[0].accept();
    expect(sockets[0].sent).toEqual(['{"action":"watch","task_id":"t"}']);
    [0, 1, 2, 3].forEach((seq) => sockets[0].emit(out(seq)));
    sockets[0].drop();
    expect(client.state).toBe("waiting");
    timers.shift()!.run();
    await flush();
    expect(sockets[1].ticket).toBe("ticket-2");
    sockets[1].accept();
    // The resume names the last seq it has: the server sends only what follows.
    expect(sockets[1].sent).toEqual(['{"action":"watch","task_id":"t","after_seq":3}']);
    [4, 5].forEach((seq) => sockets[1].emit(out(seq)));
    // What is replayed anyway (a session's task, on connecting) is passed on once.
    [2, 3, 4, 5, 6].forEach((seq) => sockets[1].emit(out(seq)));
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it("says unwatch when the last view of a task stops following it", async () => {
    const { client, sockets } = setup();
    client.start();
    await flush();
    sockets[0].accept();
    const first = client.watch("t", () => undefined);
    const second = client.watch("t", () => undefined);
    first();
    expect(sockets[0].sent).toEqual(['{"action":"watch","task_id":"t"}']);
    second();
    second(); // a second call says nothing more
    expect(sockets[0].sent).toEqual([
      '{"action":"watch","task_id":"t"}',
      '{"action":"unwatch","task_id":"t"}',
    ]);
    client.watch("t", () => undefined);
    expect(sockets[0].sent).toHaveLength(3);
  });

  it("backs off longer after each failed attempt, and from the start once connected", async () => {
    const { client, sockets, timers } = setup();
    client.start();
    await flush();
    sockets[0].drop();
    timers.shift()!.run();
    await flush();
    sockets[1].drop();
    expect(timers[0].ms).toBe(backoffDelay(1, () => 1));
    expect(backoffDelay(1, () => 1)).toBeGreaterThan(backoffDelay(0, () => 1));
    timers.shift()!.run();
    await flush();
    sockets[2].accept();
    expect(client.attempts).toBe(0);
  });

  it("stops for good when stopped", async () => {
    const { client, sockets, timers } = setup();
    client.start();
    await flush();
    client.stop();
    sockets[0].drop();
    expect(timers).toEqual([]);
    expect(client.state).toBe("stopped");
  });

  it("caps the backoff at 30 s", () => {
    expect(backoffDelay(50, () => 1)).toBe(30_000);
    expect(backoffDelay(0, () => 0)).toBe(250);
  });
});
