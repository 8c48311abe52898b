// The page's one StreamClient, and the hooks views use to read live tasks through it.

import { useQueryClient } from "@tanstack/react-query";
import { createContext, useContext, useEffect, useReducer, useRef, type ReactNode } from "react";
import { api } from "../api/client";
import type { TaskOutput } from "../api/types";
import { TERMINAL_TYPES, TaskStream } from "./assemble";
import { StreamClient, type ConnectionState } from "./socket";
import { applyLine, emptyTranscript, type Transcript } from "./transcript";

export const SESSION_ID = "dashboard";
const OUTPUT_PAGE = 5000;

const StreamContext = createContext<StreamClient | null>(null);

function newClient(): StreamClient {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  return new StreamClient({
    ticket: async () => (await api.post<{ ticket: string }>("/api/stream-tickets")).ticket,
    open: (ticket) =>
      new WebSocket(
        `${scheme}://${location.host}/ws/${SESSION_ID}?ticket=${encodeURIComponent(ticket)}`,
      ),
    later: (run, ms) => window.setTimeout(run, ms),
    cancel: (handle) => window.clearTimeout(handle as number),
  });
}

export function StreamProvider({ children }: { children: ReactNode }) {
  const ref = useRef<StreamClient | null>(null);
  ref.current ??= newClient();
  const client = ref.current;
  const queries = useQueryClient();
  useEffect(() => {
    client.start();
    // What the socket says changes what the lists show: refetch them.
    const off = client.onEvent((event) => {
      if (event.type === "task.output") return;
      void queries.invalidateQueries({ queryKey: ["task", event.task_id] });
      void queries.invalidateQueries({ queryKey: ["tasks"] });
      if (TERMINAL_TYPES.has(event.type)) {
        void queries.invalidateQueries({ queryKey: ["conversations"] });
        void queries.invalidateQueries({ queryKey: ["messages"] });
        void queries.invalidateQueries({ queryKey: ["costs"] });
      }
    });
    return () => {
      off();
      client.stop();
    };
  }, [client, queries]);
  return <StreamContext.Provider value={client}>{children}</StreamContext.Provider>;
}

export function useStreamClient(): StreamClient {
  const client = useContext(StreamContext);
  if (!client) throw new Error("useStreamClient outside StreamProvider");
  return client;
}

export function useConnectionState(): ConnectionState {
  const client = useStreamClient();
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  useEffect(() => client.onState(rerender), [client]);
  return client.state;
}

/** A task's events, live and saved, merged by seq; re-renders at most once a frame. */
export function useTaskStream(taskId: string | null, history = true): TaskStream {
  const client = useStreamClient();
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const ref = useRef<{ id: string | null; stream: TaskStream } | null>(null);
  if (ref.current?.id !== taskId) ref.current = { id: taskId, stream: new TaskStream() };
  const stream = ref.current.stream;
  useEffect(() => {
    if (!taskId) return;
    let frame = 0;
    let live = true;
    const changed = () => {
      frame ||= requestAnimationFrame(() => {
        frame = 0;
        rerender();
      });
    };
    const stop = client.watch(taskId, (event) => stream.add(event) && changed());
    if (history) {
      void loadSaved(taskId, (chunks) => {
        if (!live) return false;
        for (const { seq, line } of chunks) stream.add({ type: "task.output", task_id: taskId, seq, line });
        changed();
        return true;
      });
    }
    return () => {
      live = false;
      stop();
      cancelAnimationFrame(frame);
    };
  }, [client, taskId, stream, history]);
  return stream;
}

/** The saved output, a page at a time (the API pages it: `after_seq`, `next_after_seq`). */
async function loadSaved(taskId: string, add: (chunks: TaskOutput["chunks"]) => boolean) {
  let after = -1;
  try {
    for (;;) {
      const page = await api.get<TaskOutput>(
        `/api/tasks/${taskId}/output?after_seq=${after}&limit=${OUTPUT_PAGE}`,
      );
      if (!add(page.chunks) || page.next_after_seq == null) return;
      after = page.next_after_seq;
    }
  } catch {
    // The live stream still brings what it can; the task view shows the task's own error.
  }
}

/** The stream's transcript, kept up to date line by line (a long log is not re-read whole). */
export function useTranscript(stream: TaskStream): Transcript {
  const ref = useRef<{ stream: TaskStream; transcript: Transcript; count: number } | null>(null);
  if (ref.current?.stream !== stream) ref.current = { stream, transcript: emptyTranscript(), count: 0 };
  const state = ref.current;
  for (; state.count < stream.lines.length; state.count++) applyLine(state.transcript, stream.lines[state.count]);
  return state.transcript;
}
