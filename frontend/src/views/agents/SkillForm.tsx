// Create or edit a custom skill (its SKILL.md). The API checks every field; its words appear
// under the field.

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useLocation } from "wouter";
import { ApiError, api } from "../../api/client";
import type { Skill } from "../../api/types";
import { Field } from "./Field";

export function skillPath(name: string): string {
  return `/agents/skills/${name}`;
}

export function SkillForm({ skill, onDone }: { skill?: Skill; onDone: () => void }) {
  const [, navigate] = useLocation();
  const queries = useQueryClient();
  const [name, setName] = useState(skill?.name ?? "");
  const [description, setDescription] = useState(skill?.description ?? "");
  const [content, setContent] = useState(skill?.content ?? "");
  const save = useMutation({
    mutationFn: () =>
      skill
        ? api.put<Skill>(`/api/skills/${skill.name}`, { description, content })
        : api.post<Skill>("/api/skills", { name, description, content }),
    onSuccess: (saved) => {
      void queries.invalidateQueries({ queryKey: ["skills"] });
      void queries.invalidateQueries({ queryKey: ["skill", saved.name] });
      onDone();
      if (!skill) navigate(skillPath(saved.name));
    },
  });
  const fields = save.error instanceof ApiError ? save.error.fields : {};
  const unplaced = save.error && Object.keys(fields).length === 0 ? save.error.message : null;
  // Ids of their own: this form may be open next to the agent form.
  const control = (field: string) => ({
    id: `skill-${field}`,
    "aria-invalid": Boolean(fields[field]),
    "aria-describedby": fields[field] ? `skill-${field}-error` : undefined,
  });

  return (
    <form
      className="agent-form card"
      aria-label={skill ? `Edit skill ${skill.name}` : "New skill"}
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      <h2>{skill ? `Edit ${skill.name}` : "New skill"}</h2>
      {!skill && (
        <Field id="skill-name" label="Name" error={fields.name}>
          <input {...control("name")} value={name} onChange={(e) => setName(e.target.value)} required />
          <p className="hint">Lowercase letters, digits and dashes, starting with a letter.</p>
        </Field>
      )}
      <Field id="skill-description" label="Description" error={fields.description}>
        <input {...control("description")} value={description} onChange={(e) => setDescription(e.target.value)} />
        <p className="hint">One line: when the agent should use this skill.</p>
      </Field>
      <Field id="skill-content" label="Content" error={fields.content}>
        <textarea {...control("content")} rows={10} value={content} onChange={(e) => setContent(e.target.value)} />
        <p className="hint">SKILL.md&apos;s body, in Markdown (its front matter is written for you).</p>
      </Field>
      {unplaced && <p className="error" role="alert">{unplaced}</p>}
      <p className="actions">
        <button type="submit" disabled={save.isPending}>{skill ? "Save" : "Create skill"}</button>{" "}
        <button type="button" className="quiet" onClick={onDone}>Cancel</button>
      </p>
    </form>
  );
}
