import { describe, expect, it } from "vitest";
import { summarize, transcriptOf } from "./transcript";

const delta = (text: string) =>
  JSON.stringify({
    type: "stream_event",
    event: { type: "content_block_delta", index: 0, delta: { type: "text_delta", text } },
  });
const assistant = (...content: unknown[]) =>
  JSON.stringify({ type: "assistant", message: { content } });

describe("transcript", () => {
  it("shows text as it streams, then the whole block in its place", () => {
    const partial = transcriptOf([delta("Hel"), delta("lo")]);
    expect(partial.items).toEqual([{ kind: "text", text: "Hello", partial: true }]);
    const whole = transcriptOf([delta("Hel"), delta("lo"), assistant({ type: "text", text: "Hello!" })]);
    expect(whole.items).toEqual([{ kind: "text", text: "Hello!", partial: false }]);
  });

  it("shows a tool call with its name and a one-line summary, then its result", () => {
    const lines = [
      assistant({ type: "tool_use", id: "tu1", name: "Bash", input: { command: "ls\n-la" } }),
      JSON.stringify({
        type: "user",
        message: { content: [{ type: "tool_result", tool_use_id: "tu1", content: "a\nb" }] },
      }),
      JSON.stringify({ type: "result", result: "done", is_error: false }),
    ];
    const transcript = transcriptOf(lines);
    expect(transcript.items).toMatchObject([
      { kind: "tool", name: "Bash", summary: "ls -la", result: "a\nb" },
    ]);
    expect(transcript.result).toBe("done");
  });

  it("ignores lines that are not JSON", () => {
    expect(transcriptOf(["not json", "{"]).items).toEqual([]);
  });

  it("summarizes long input on one line", () => {
    expect(summarize({ file_path: "/x/y" })).toBe("/x/y");
    expect(summarize({ command: "a".repeat(300) }).length).toBe(120);
  });
});
