// What a person reads of a run: the CLI's stream-json lines turned into text and tool calls.
// Token deltas (`stream_event`) show the reply as it is written; the `assistant` line that
// follows carries the same text whole and replaces the partial text it matches.

export type Item =
  | { kind: "text"; text: string; partial: boolean }
  | {
      kind: "tool";
      id: string;
      name: string;
      summary: string;
      input: unknown;
      result?: string;
      isError?: boolean;
    };

export interface Transcript {
  items: Item[];
  result: string | null;
  isError: boolean;
}

type Json = Record<string, unknown>;

export function emptyTranscript(): Transcript {
  return { items: [], result: null, isError: false };
}

function asObject(value: unknown): Json | null {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Json)
    : null;
}

/** One line saying what a tool call does: its command, path, pattern or first argument. */
export function summarize(input: unknown): string {
  const fields = asObject(input);
  if (!fields) return "";
  for (const key of ["command", "file_path", "path", "pattern", "url", "query", "description"]) {
    const value = fields[key];
    if (typeof value === "string" && value.trim()) return oneLine(value);
  }
  const first = Object.values(fields).find((v) => typeof v === "string");
  return typeof first === "string" ? oneLine(first) : oneLine(JSON.stringify(fields));
}

function oneLine(text: string, max = 120): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

function resultText(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .map((block) => {
        const b = asObject(block);
        return b && typeof b.text === "string" ? b.text : "";
      })
      .join("");
  }
  return content == null ? "" : JSON.stringify(content);
}

/** Apply one CLI line to the transcript (in place); lines that are not JSON are ignored. */
export function applyLine(transcript: Transcript, raw: string): void {
  let line: Json | null;
  try {
    line = asObject(JSON.parse(raw));
  } catch {
    return;
  }
  if (!line) return;
  const items = transcript.items;
  switch (line.type) {
    case "stream_event": {
      const event = asObject(line.event);
      const delta = asObject(event?.delta);
      if (event?.type === "content_block_delta" && typeof delta?.text === "string") {
        const last = items[items.length - 1];
        if (last?.kind === "text" && last.partial) last.text += delta.text;
        else items.push({ kind: "text", text: delta.text, partial: true });
      }
      return;
    }
    case "assistant": {
      const content = asObject(line.message)?.content;
      if (!Array.isArray(content)) return;
      for (const raw of content) {
        const block = asObject(raw);
        if (block?.type === "text" && typeof block.text === "string") confirmText(items, block.text);
        if (block?.type === "tool_use" && typeof block.id === "string") {
          if (items.some((item) => item.kind === "tool" && item.id === block.id)) continue;
          items.push({
            kind: "tool",
            id: block.id,
            name: String(block.name ?? "tool"),
            summary: summarize(block.input),
            input: block.input,
          });
        }
      }
      return;
    }
    case "user": {
      const content = asObject(line.message)?.content;
      if (!Array.isArray(content)) return;
      for (const raw of content) {
        const block = asObject(raw);
        if (block?.type !== "tool_result") continue;
        const tool = items.find((item) => item.kind === "tool" && item.id === block.tool_use_id);
        if (tool?.kind === "tool") {
          tool.result = resultText(block.content);
          tool.isError = block.is_error === true;
        }
      }
      return;
    }
    case "result":
      transcript.result = typeof line.result === "string" ? line.result : null;
      transcript.isError = line.is_error === true;
      return;
  }
}

/** The whole text of a block: it replaces the partial text it completes, or is added. */
function confirmText(items: Item[], text: string): void {
  const partial = items.find(
    (item) => item.kind === "text" && item.partial && text.startsWith(item.text),
  );
  if (partial?.kind === "text") {
    partial.text = text;
    partial.partial = false;
  } else {
    items.push({ kind: "text", text, partial: false });
  }
}

export function transcriptOf(lines: readonly string[]): Transcript {
  const transcript = emptyTranscript();
  for (const line of lines) applyLine(transcript, line);
  return transcript;
}
