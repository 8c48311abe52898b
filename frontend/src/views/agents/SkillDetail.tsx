// One skill (`/agents/skills/:name`): what it says; edit and delete it when it is custom.

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useLocation } from "wouter";
import { api } from "../../api/client";
import type { Skill } from "../../api/types";
import { SkillForm } from "./SkillForm";

export function SkillDetail({ name }: { name: string }) {
  const [, navigate] = useLocation();
  const queries = useQueryClient();
  const [editing, setEditing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const skill = useQuery({ queryKey: ["skill", name], queryFn: () => api.get<Skill>(`/api/skills/${name}`) });
  const remove = useMutation({
    mutationFn: () => api.delete(`/api/skills/${name}`),
    onSuccess: () => {
      void queries.invalidateQueries({ queryKey: ["skills"] });
      queries.removeQueries({ queryKey: ["skill", name] });
      navigate("/agents");
    },
  });

  if (skill.error) return <p className="error page" role="alert">{skill.error.message}</p>;
  if (!skill.data) return <p className="center">Loading…</p>;
  const s = skill.data;
  return (
    <section className="page">
      <p><Link href="/agents">← Agents and skills</Link></p>
      <h1>{s.name} <span className="badge">{s.builtin ? "built-in" : "custom"} skill</span></h1>
      {editing ? (
        <SkillForm skill={s} onDone={() => setEditing(false)} />
      ) : (
        <>
          <dl className="facts">
            <dt>Description</dt><dd>{s.description}</dd>
          </dl>
          <h2>Content</h2>
          <pre className="prompt-text">{s.content}</pre>
          {!s.builtin && (
            <p className="actions">
              <button type="button" onClick={() => setEditing(true)}>Edit</button>
              {confirming ? (
                <span className="confirm" role="group" aria-label="Confirm delete">
                  Delete skill {s.name}?{" "}
                  <button type="button" className="danger" onClick={() => remove.mutate()} autoFocus>Delete skill</button>{" "}
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
