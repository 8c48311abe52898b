import { describe, expect, it } from "vitest";
import { TaskStream, type TaskEvent } from "./assemble";

const id = "t1";
const created: TaskEvent = { type: "task.created", task_id: id, seq: 0 };
const started: TaskEvent = { type: "task.started", task_id: id, seq: 1 };
const line = (seq: number): TaskEvent => ({ type: "task.output", task_id: id, seq, line: `l${seq}` });
const done = (seq: number): TaskEvent => ({ type: "task.completed", task_id: id, seq, result: "ok" });

describe("TaskStream", () => {
  it("releases lines in seq order whatever order they arrive in", () => {
    const stream = new TaskStream();
    for (const event of [line(4), created, line(2), done(5), started, line(3)]) stream.add(event);
    expect(stream.lines).toEqual(["l2", "l3", "l4"]);
    expect(stream.end?.result).toBe("ok");
    expect(stream.lastSeq).toBe(5);
  });

  it("holds lines after a gap until the gap is filled", () => {
    const stream = new TaskStream();
    stream.add(line(2));
    stream.add(line(4));
    expect(stream.lines).toEqual(["l2"]);
    expect(stream.waiting).toBe(1);
    expect(stream.lastSeq).toBe(2);
    stream.add(line(3));
    expect(stream.lines).toEqual(["l2", "l3", "l4"]);
    expect(stream.waiting).toBe(0);
  });

  it("applies each seq once: a replay after a reconnect duplicates nothing", () => {
    const stream = new TaskStream();
    const first = [created, started, line(2), line(3)];
    first.forEach((event) => stream.add(event));
    const changed = [...first, line(4), done(5)].map((event) => stream.add(event));
    expect(changed).toEqual([false, false, false, false, true, true]);
    expect(stream.lines).toEqual(["l2", "l3", "l4"]);
  });

  it("does not end before the lines the end comes after", () => {
    const stream = new TaskStream();
    stream.add(done(4));
    expect(stream.ended).toBe(false);
    stream.add(line(2));
    stream.add(line(3));
    expect(stream.ended).toBe(true);
    expect(stream.lines).toEqual(["l2", "l3"]);
  });

  it("ends a task cancelled before it started", () => {
    const stream = new TaskStream();
    stream.add(created);
    stream.add({ type: "task.cancelled", task_id: id, seq: 1 });
    expect(stream.ended).toBe(true);
    expect(stream.lines).toEqual([]);
  });
});
