// Agents and skills (`/agents`, `/agents/:name`): the list; one agent; create, edit and delete
// custom ones, with the API's validation errors next to their fields.

import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useParams } from "wouter";
import { api } from "../../api/client";
import type { Agent, Skill } from "../../api/types";
import { AgentDetail } from "./AgentDetail";
import { AgentForm } from "./AgentForm";

export default function AgentsView() {
  const { name } = useParams<{ name?: string }>();
  const [creating, setCreating] = useState(false);
  const agents = useQuery({ queryKey: ["agents"], queryFn: () => api.get<Agent[]>("/api/agents") });
  const skills = useQuery({ queryKey: ["skills"], queryFn: () => api.get<Skill[]>("/api/skills") });

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
      <ul className="skills">
        {skills.data?.map((skill) => (
          <li key={skill.name}>
            <strong>{skill.name}</strong> ({skill.builtin ? "built-in" : "custom"}): {skill.description}
          </li>
        ))}
      </ul>
    </section>
  );
}
