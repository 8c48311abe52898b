// Tasks (`/tasks`): a live list with filters and paging. Live: the socket's task events
// refetch it, and it polls for tasks of other sessions.

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "wouter";
import { api } from "../../api/client";
import type { Page, Task } from "../../api/types";
import { StatusBadge } from "../../components/StatusBadge";
import { duration, shortId, usd, when } from "../../format";

const LIMIT = 25;
const STATUSES = ["", "queued", "running", "completed", "failed", "cancelled"];

export function TaskList() {
  const [status, setStatus] = useState("");
  const [source, setSource] = useState("");
  const [session, setSession] = useState("");
  const [offset, setOffset] = useState(0);
  const params = new URLSearchParams({ limit: String(LIMIT), offset: String(offset) });
  if (status) params.set("status", status);
  if (source.trim()) params.set("source", source.trim());
  if (session.trim()) params.set("session_id", session.trim());
  const tasks = useQuery({
    queryKey: ["tasks", params.toString()],
    queryFn: () => api.get<Page<Task>>(`/api/tasks?${params}`),
    placeholderData: keepPreviousData,
    refetchInterval: 5000,
  });
  const total = tasks.data?.total ?? 0;
  const filter = (set: (value: string) => void) => (value: string) => {
    set(value);
    setOffset(0);
  };

  return (
    <section className="page">
      <h1>Tasks</h1>
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filters">
        <label>
          Status
          <select value={status} onChange={(e) => filter(setStatus)(e.target.value)}>
            {STATUSES.map((s) => (
              <option key={s} value={s}>{s || "any"}</option>
            ))}
          </select>
        </label>
        <label>
          Source
          <input value={source} onChange={(e) => filter(setSource)(e.target.value)} placeholder="api, chat, webhook…" />
        </label>
        <label>
          Session
          <input value={session} onChange={(e) => filter(setSession)(e.target.value)} />
        </label>
      </form>
      {tasks.error && <p className="error" role="alert">{tasks.error.message}</p>}
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th>Task</th>
              <th>Status</th>
              <th>Agent</th>
              <th>Source</th>
              <th className="num">Cost</th>
              <th className="num">Duration</th>
              <th>Started</th>
            </tr>
          </thead>
          <tbody>
            {tasks.data?.items.map((task) => (
              <tr key={task.id}>
                <td>
                  <Link href={`/tasks/${task.id}`} title={task.prompt.slice(0, 200)}>{shortId(task.id)}</Link>
                </td>
                <td><StatusBadge status={task.status} /></td>
                <td>{task.agent ?? "default"}</td>
                <td>{task.source}</td>
                <td className="num">{usd(task.cost_usd)}</td>
                <td className="num">{duration(task.duration_ms)}</td>
                <td>{when(task.started_at ?? task.created_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {tasks.data && total === 0 && <p className="hint">No task matches.</p>}
      <nav className="pager" aria-label="Pages">
        <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - LIMIT))}>
          Previous
        </button>
        <span>
          {total ? `${offset + 1}–${Math.min(offset + LIMIT, total)} of ${total}` : "0 tasks"}
        </span>
        <button type="button" disabled={offset + LIMIT >= total} onClick={() => setOffset(offset + LIMIT)}>
          Next
        </button>
      </nav>
    </section>
  );
}
