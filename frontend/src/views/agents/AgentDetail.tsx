import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useLocation } from "wouter";
import { api } from "../../api/client";
import type { Agent, Skill } from "../../api/types";
import { AgentForm } from "./AgentForm";

export function AgentDetail({ name, skills }: { name: string; skills: Skill[] }) {
  const [, navigate] = useLocation();
  const queries = useQueryClient();
  const [editing, setEditing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const agent = useQuery({ queryKey: ["agent", name], queryFn: () => api.get<Agent>(`/api/agents/${name}`) });
  const remove = useMutation({
    mutationFn: () => api.delete(`/api/agents/${name}`),
    onSuccess: () => {
      void queries.invalidateQueries({ queryKey: ["agents"] });
      navigate("/agents");
    },
  });

  if (agent.error) return <p className="error page" role="alert">{agent.error.message}</p>;
  if (!agent.data) return <p className="center">Loading…</p>;
  const a = agent.data;
  return (
    <section className="page">
      <p><Link href="/agents">← Agents</Link></p>
      <h1>{a.name} <span className="badge">{a.builtin ? "built-in" : "custom"}</span></h1>
      {editing ? (
        <AgentForm agent={a} skills={skills} onDone={() => setEditing(false)} />
      ) : (
        <>
          <dl className="facts">
            <dt>Description</dt><dd>{a.description}</dd>
            <dt>Model</dt><dd>{a.model ?? "inherit"}</dd>
            <dt>Tools</dt><dd>{a.tools.join(", ")}</dd>
            <dt>Skills</dt><dd>{a.skills.join(", ") || "none"}</dd>
          </dl>
          <h2>Instructions</h2>
          <pre className="prompt-text">{a.prompt}</pre>
          {!a.builtin && (
            <p className="actions">
              <button type="button" onClick={() => setEditing(true)}>Edit</button>
              {confirming ? (
                <span className="confirm" role="group" aria-label="Confirm delete">
                  Delete agent {a.name}?{" "}
                  <button type="button" className="danger" onClick={() => remove.mutate()} autoFocus>Delete agent</button>{" "}
                  <button type="button" className="quiet" onClick={() => setConfirming(false)}>Cancel</button>
                </span>
              ) : (
                <button type="button" className="danger" onClick={() => setConfirming(true)}>Delete</button>
              )}
            </p>
          )}
          {remove.error && <p className="error" role="alert">{remove.error.message}</p>}
        </>
      )}
    </section>
  );
}
