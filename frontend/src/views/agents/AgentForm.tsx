// Create or edit a custom agent. The API checks every field; its words appear under the field.

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useLocation } from "wouter";
import { ApiError, api } from "../../api/client";
import type { Agent, Skill } from "../../api/types";
import { Field } from "./Field";

const TOOLS = ["Bash", "Edit", "Glob", "Grep", "Read", "Skill", "TodoWrite", "WebFetch", "WebSearch", "Write"];

interface Props {
  agent?: Agent;
  skills: Skill[];
  onDone: () => void;
}

export function AgentForm({ agent, skills, onDone }: Props) {
  const [, navigate] = useLocation();
  const queries = useQueryClient();
  const [name, setName] = useState(agent?.name ?? "");
  const [description, setDescription] = useState(agent?.description ?? "");
  const [model, setModel] = useState(agent?.model ?? "inherit");
  const [tools, setTools] = useState<string[]>(agent?.tools ?? ["Read"]);
  const [chosenSkills, setSkills] = useState<string[]>(agent?.skills ?? []);
  const [prompt, setPrompt] = useState(agent?.prompt ?? "");
  const save = useMutation({
    mutationFn: () => {
      const body = { description, model, tools, skills: chosenSkills, prompt };
      return agent
        ? api.put<Agent>(`/api/agents/${agent.name}`, body)
        : api.post<Agent>("/api/agents", { name, ...body });
    },
    onSuccess: (saved) => {
      void queries.invalidateQueries({ queryKey: ["agents"] });
      void queries.invalidateQueries({ queryKey: ["agent", saved.name] });
      onDone();
      if (!agent) navigate(`/agents/${saved.name}`);
    },
  });
  const fields = save.error instanceof ApiError ? save.error.fields : {};
  const unplaced = save.error && Object.keys(fields).length === 0 ? save.error.message : null;
  const toggle = (list: string[], value: string) =>
    list.includes(value) ? list.filter((v) => v !== value) : [...list, value];
  const described = (id: string) => (fields[id] ? `${id}-error` : undefined);

  return (
    <form
      className="agent-form card"
      aria-label={agent ? `Edit agent ${agent.name}` : "New agent"}
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      <h2>{agent ? `Edit ${agent.name}` : "New agent"}</h2>
      {!agent && (
        <Field id="name" label="Name" error={fields.name}>
          <input id="name" value={name} onChange={(e) => setName(e.target.value)} aria-invalid={Boolean(fields.name)} aria-describedby={described("name")} required />
          <p className="hint">Lowercase letters, digits and dashes, starting with a letter.</p>
        </Field>
      )}
      <Field id="description" label="Description" error={fields.description}>
        <input id="description" value={description} onChange={(e) => setDescription(e.target.value)} aria-invalid={Boolean(fields.description)} aria-describedby={described("description")} />
      </Field>
      <Field id="model" label="Model" error={fields.model}>
        <input id="model" value={model} onChange={(e) => setModel(e.target.value)} list="models" aria-invalid={Boolean(fields.model)} aria-describedby={described("model")} />
        <datalist id="models">
          {["inherit", "sonnet", "opus", "haiku"].map((m) => <option key={m} value={m} />)}
        </datalist>
      </Field>
      <fieldset className={fields.tools ? "field invalid" : "field"}>
        <legend>Tools</legend>
        {TOOLS.map((tool) => (
          <label key={tool} className="check">
            <input type="checkbox" checked={tools.includes(tool)} onChange={() => setTools(toggle(tools, tool))} /> {tool}
          </label>
        ))}
        {fields.tools && <p className="field-error" role="alert">{fields.tools}</p>}
      </fieldset>
      {skills.length > 0 && (
        <fieldset className={fields.skills ? "field invalid" : "field"}>
          <legend>Skills</legend>
          {skills.map((skill) => (
            <label key={skill.name} className="check">
              <input type="checkbox" checked={chosenSkills.includes(skill.name)} onChange={() => setSkills(toggle(chosenSkills, skill.name))} /> {skill.name}
            </label>
          ))}
          {fields.skills && <p className="field-error" role="alert">{fields.skills}</p>}
        </fieldset>
      )}
      <Field id="prompt" label="Instructions" error={fields.prompt}>
        <textarea id="prompt" rows={8} value={prompt} onChange={(e) => setPrompt(e.target.value)} aria-invalid={Boolean(fields.prompt)} aria-describedby={described("prompt")} />
      </Field>
      {unplaced && <p className="error" role="alert">{unplaced}</p>}
      <p className="actions">
        <button type="submit" disabled={save.isPending}>{agent ? "Save" : "Create agent"}</button>{" "}
        <button type="button" className="quiet" onClick={onDone}>Cancel</button>
      </p>
    </form>
  );
}
