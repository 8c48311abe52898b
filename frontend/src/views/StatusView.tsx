// Status (`/status`): workers and their running tasks, the queue, the database and Redis.

import { useQuery } from "@tanstack/react-query";
import { Link } from "wouter";
import { api, request } from "../api/client";
import type { Health, Page, SystemStatus, Task } from "../api/types";
import { when } from "../format";

async function health(): Promise<Health> {
  // 503 still carries the parts' states: read the body either way.
  const response = await fetch("/api/health");
  return (await response.json()) as Health;
}

export default function StatusView() {
  const status = useQuery({ queryKey: ["status"], queryFn: () => api.get<SystemStatus>("/api/status"), refetchInterval: 5000 });
  const parts = useQuery({ queryKey: ["health"], queryFn: health, refetchInterval: 5000 });
  const running = useQuery({
    queryKey: ["tasks", "running"],
    queryFn: () => request<Page<Task>>("/api/tasks?status=running&limit=200"),
    refetchInterval: 5000,
  });
  const s = status.data;
  return (
    <section className="page">
      <h1>Status</h1>
      {status.error && <p className="error" role="alert">{status.error.message}</p>}
      <div className="totals">
        <div className="card"><h2>Database</h2><p className={`big state-${parts.data?.database}`}>{parts.data?.database ?? "…"}</p></div>
        <div className="card"><h2>Redis</h2><p className={`big state-${parts.data?.redis}`}>{parts.data?.redis ?? "…"}</p></div>
        <div className="card"><h2>Queue</h2><p className="big">{s ? (s.queue_length ?? "unknown") : "…"}</p><p className="hint">messages waiting</p></div>
        <div className="card"><h2>Running</h2><p className="big">{s?.active_tasks ?? "…"}</p><p className="hint">tasks</p></div>
      </div>
      <div className="card">
        <h2>Workers</h2>
        {s && s.workers.length === 0 && <p className="error">No worker is up: tasks wait in the queue until one starts.</p>}
        <ul className="workers">
          {s?.workers.map((worker) => {
            const mine = running.data?.items.filter((t) => t.worker_id?.startsWith(`${worker.hostname}:`)) ?? [];
            return (
              <li key={worker.hostname}>
                <strong>{worker.hostname}</strong> on {worker.host ?? "?"} (pid {worker.pid ?? "?"}, up to {worker.concurrency ?? "?"} at once,
                since {worker.started_at ? when(new Date(worker.started_at * 1000).toISOString()) : "?"})
                {mine.length > 0 ? (
                  <ul>
                    {mine.map((t) => (
                      <li key={t.id}><Link href={`/tasks/${t.id}`}>{t.id.slice(0, 8)}</Link> {t.agent ?? "default"}: {t.prompt.slice(0, 80)}</li>
                    ))}
                  </ul>
                ) : (
                  <span className="hint"> idle</span>
                )}
              </li>
            );
          })}
        </ul>
      </div>
      {s && (
        <div className="card">
          <h2>Tasks by status</h2>
          <p>{Object.entries(s.tasks_by_status).map(([k, v]) => `${k}: ${v}`).join(" · ")}</p>
        </div>
      )}
      {s && (
        <p>
          <a href={s.flower_url} target="_blank" rel="noreferrer">Open Flower</a>, Celery's own monitor, at{" "}
          <code>{s.flower_url}</code> (FLOWER_URL, or FLOWER_PORT on this host).
        </p>
      )}
    </section>
  );
}
