import { summarize } from "./transcript";

type Json = Record<string, unknown>;

/** One CLI stream-json line as a log row: what kind of line, and a short text of it. */
export function describeLine(raw: string): { kind: string; text: string } {
  let line: Json;
  try {
    line = JSON.parse(raw) as Json;
  } catch {
    return { kind: "text", text: raw.slice(0, 500) };
  }
  const type = String(line?.type ?? "line");
  const message = line.message as Json | undefined;
  const blocks = Array.isArray(message?.content) ? (message.content as Json[]) : [];
  switch (type) {
    case "system":
      return { kind: `system ${String(line.subtype ?? "")}`.trim(), text: String(line.model ?? line.cwd ?? "") };
    case "stream_event": {
      const event = line.event as Json | undefined;
      const delta = event?.delta as Json | undefined;
      const text = delta?.text ?? delta?.partial_json;
      return text === undefined ? { kind: "event", text: String(event?.type ?? "") } : { kind: "delta", text: String(text) };
    }
    case "assistant":
      return {
        kind: "assistant",
        text: blocks
          .map((b) => (b.type === "tool_use" ? `${String(b.name)}: ${summarize(b.input)}` : String(b.text ?? "")))
          .join(" · ")
          .slice(0, 500),
      };
    case "user":
      return {
        kind: "tool result",
        text: blocks.map((b) => (typeof b.content === "string" ? b.content : JSON.stringify(b.content))).join(" ").slice(0, 500),
      };
    case "result":
      return { kind: `result ${String(line.subtype ?? "")}`.trim(), text: String(line.result ?? "").slice(0, 500) };
    default:
      return { kind: type, text: raw.slice(0, 500) };
  }
}
