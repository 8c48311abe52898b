// One task (`/tasks/:id`): its prompt, the full live log, the result, tokens and cost, and Stop
// while it runs.

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useParams } from "wouter";
import { api } from "../../api/client";
import { TERMINAL, type Task } from "../../api/types";
import { LogView } from "../../components/LogView";
import { StatusBadge } from "../../components/StatusBadge";
import { TranscriptView } from "../../components/TranscriptView";
import { duration, usd, when } from "../../format";
import { FIRST_OUTPUT_SEQ } from "../../stream/assemble";
import { useTaskStream, useTranscript } from "../../stream/context";

export function TaskDetail() {
  const { id } = useParams<{ id: string }>();
  const queries = useQueryClient();
  const task = useQuery({
    queryKey: ["task", id],
    queryFn: () => api.get<Task>(`/api/tasks/${id}`),
    refetchInterval: (query) => (query.state.data && TERMINAL.has(query.state.data.status) ? false : 3000),
  });
  const stream = useTaskStream(id);
  const transcript = useTranscript(stream);
  const stop = useMutation({
    mutationFn: () => api.post(`/api/tasks/${id}/stop`),
    onSettled: () => queries.invalidateQueries({ queryKey: ["task", id] }),
  });

  if (task.error) return <p className="error page" role="alert">{task.error.message}</p>;
  if (!task.data) return <p className="center">Loading…</p>;
  const t = task.data;
  const running = !TERMINAL.has(t.status) && !stream.ended;

  return (
    <section className="page task">
      <p><Link href="/tasks">← Tasks</Link></p>
      <header className="task-head">
        <h1>Task {t.id.slice(0, 8)}</h1>
        <StatusBadge status={t.status} />
        {running && (
          <button type="button" className="danger" onClick={() => stop.mutate()} disabled={stop.isPending}>
            Stop
          </button>
        )}
      </header>
      {stop.error && <p className="error" role="alert">{stop.error.message}</p>}
      <dl className="facts">
        <dt>Agent</dt><dd>{t.agent ?? "default"}</dd>
        <dt>Source</dt><dd>{t.source}</dd>
        <dt>Session</dt><dd>{t.session_id}</dd>
        {t.conversation_id && (<><dt>Conversation</dt><dd><Link href={`/chat/${t.conversation_id}`}>open</Link></dd></>)}
        <dt>Created</dt><dd>{when(t.created_at)}</dd>
        <dt>Started</dt><dd>{when(t.started_at)}</dd>
        <dt>Duration</dt><dd>{duration(t.duration_ms)}</dd>
        <dt>Cost</dt><dd>{usd(t.cost_usd)}</dd>
        <dt>Tokens</dt>
        <dd>
          {t.input_tokens ?? "—"} in · {t.output_tokens ?? "—"} out
          {t.cache_read_tokens ? ` · ${t.cache_read_tokens} cache read` : ""}
        </dd>
        <dt>Turns</dt><dd>{t.num_turns ?? "—"}</dd>
      </dl>
      <details className="prompt">
        <summary>Prompt</summary>
        <pre>{t.prompt}</pre>
      </details>
      {(t.result || t.error) && (
        <div className={t.error ? "outcome error" : "outcome"}>
          <h2>{t.error ? "Error" : "Result"}</h2>
          <pre>{t.error ?? t.result}</pre>
        </div>
      )}
      {!t.result && transcript.items.length > 0 && (
        <div className="outcome">
          <h2>{stream.ended || TERMINAL.has(t.status) ? "Reply" : "Reply so far"}</h2>
          <div className="reply-box" tabIndex={0} aria-label="Reply">
            <TranscriptView items={transcript.items} />
          </div>
        </div>
      )}
      <h2>Log</h2>
      <LogView lines={stream.lines} firstSeq={FIRST_OUTPUT_SEQ} />
    </section>
  );
}
