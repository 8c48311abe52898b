// Agents and skills (`/agents`, `/agents/:name`, `/agents/skills/:skill`): the lists; one agent
// or skill; create, edit and delete custom ones, with the API's validation errors next to their
// fields.

import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useParams } from "wouter";
import { api } from "../../api/client";
import type { Agent, Skill } from "../../api/types";
import { AgentDetail } from "./AgentDetail";
import { AgentForm } from "./AgentForm";
import { SkillDetail } from "./SkillDetail";
import { SkillForm, skillPath } from "./SkillForm";

export default function AgentsView() {
  const { name, skill } = useParams<{ name?: string; skill?: string }>();
  const [creating, setCreating] = useState(false);
  const [creatingSkill, setCreatingSkill] = useState(false);
  const agents = useQuery({ queryKey: ["agents"], queryFn: () => api.get<Agent[]>("/api/agents") });
  const skills = useQuery({ queryKey: ["skills"], queryFn: () => api.get<Skill[]>("/api/skills") });

  if (skill) return <SkillDetail name={skill} />;
  if (name) return <AgentDetail name={name} skills={skills.data ?? []} />;
  return (
    <section className="page">
      <h1>Agents</h1>
      {agents.error && <p className="error" role="alert">{agents.error.message}</p>}
      {creating ? (
        <AgentForm skills={skills.data ?? []} onDone={() => setCreating(false)} />
      ) : (
        <button type="button" onClick={() => setCreating(true)}>New agent</button>
      )}
      <div className="table-wrap">
        <table>
          <thead>
            <tr><th>Name</th><th>Description</th><th>Model</th><th>Tools</th><th>Kind</th></tr>
          </thead>
          <tbody>
            {agents.data?.map((agent) => (
              <tr key={agent.name}>
                <td><Link href={`/agents/${agent.name}`}>{agent.name}</Link></td>
                <td>{agent.description}</td>
                <td>{agent.model ?? "inherit"}</td>
                <td>{agent.tools.join(", ")}</td>
                <td>{agent.builtin ? "built-in" : "custom"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h2>Skills</h2>
      {skills.error && <p className="error" role="alert">{skills.error.message}</p>}
      {creatingSkill ? (
        <SkillForm onDone={() => setCreatingSkill(false)} />
      ) : (
        <button type="button" onClick={() => setCreatingSkill(true)}>New skill</button>
      )}
      <ul className="skills">
        {skills.data?.map((s) => (
          <li key={s.name}>
            <Link href={skillPath(s.name)}>{s.name}</Link> ({s.builtin ? "built-in" : "custom"}): {s.description}
          </li>
        ))}
      </ul>
    </section>
  );
}
