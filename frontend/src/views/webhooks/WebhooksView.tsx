// Webhooks (`/webhooks`): configurations with the URL to paste into the provider, templates to
// install, and the recent deliveries with what they started.

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ApiError, api } from "../../api/client";
import type { Webhook, WebhookTemplate } from "../../api/types";
import { Deliveries } from "./Deliveries";
import { WebhookCard } from "./WebhookCard";

const PROVIDERS = ["github", "slack", "jira", "sentry", "generic"];

export default function WebhooksView() {
  const webhooks = useQuery({
    queryKey: ["webhooks"],
    queryFn: () => api.get<{ items: Webhook[] }>("/api/webhooks"),
  });
  const templates = useQuery({
    queryKey: ["webhook-templates"],
    queryFn: () => api.get<{ items: WebhookTemplate[] }>("/api/webhooks/templates"),
  });
  const items = webhooks.data?.items ?? [];
  return (
    <section className="page">
      <h1>Webhooks</h1>
      {webhooks.error && <p className="error" role="alert">{webhooks.error.message}</p>}
      <NewWebhook />
      {items.map((webhook) => (
        <WebhookCard key={webhook.id} webhook={webhook} />
      ))}
      {webhooks.data && items.length === 0 && <p className="hint">No webhook yet.</p>}
      <h2>Templates</h2>
      {templates.error && <p className="error" role="alert">{templates.error.message}</p>}
      <ul className="templates">
        {templates.data?.items.map((template) => (
          <TemplateRow key={template.name} template={template} webhooks={items} />
        ))}
      </ul>
      <Deliveries />
    </section>
  );
}

function NewWebhook() {
  const queries = useQueryClient();
  const [name, setName] = useState("");
  const [provider, setProvider] = useState("github");
  const [secret, setSecret] = useState("");
  const create = useMutation({
    mutationFn: () =>
      api.post<Webhook>("/api/webhooks", { name, provider, ...(secret ? { secret } : {}) }),
    onSuccess: () => {
      setName("");
      setSecret("");
      void queries.invalidateQueries({ queryKey: ["webhooks"] });
    },
  });
  const fields = create.error instanceof ApiError ? create.error.fields : {};
  return (
    <form
      className="card webhook-new"
      aria-label="New webhook"
      onSubmit={(e) => {
        e.preventDefault();
        create.mutate();
      }}
    >
      <h2>New webhook</h2>
      <div className="filters">
        <label>
          Name
          <input value={name} onChange={(e) => setName(e.target.value)} required aria-invalid={Boolean(fields.name)} />
          {fields.name && <span className="field-error" role="alert">{fields.name}</span>}
        </label>
        <label>
          Provider
          <select value={provider} onChange={(e) => setProvider(e.target.value)}>
            {PROVIDERS.map((p) => <option key={p}>{p}</option>)}
          </select>
        </label>
        <label>
          Secret
          <input type="password" autoComplete="off" value={secret} onChange={(e) => setSecret(e.target.value)} />
        </label>
        <button type="submit" disabled={!name || create.isPending}>Create webhook</button>
      </div>
      {create.error && !fields.name && <p className="error" role="alert">{create.error.message}</p>}
    </form>
  );
}

function TemplateRow({ template, webhooks }: { template: WebhookTemplate; webhooks: Webhook[] }) {
  const queries = useQueryClient();
  const targets = webhooks.filter((w) => w.provider === template.provider);
  const [target, setTarget] = useState("");
  const install = useMutation({
    mutationFn: () =>
      api.post<Webhook>(`/api/webhooks/templates/${template.name}`, target ? { webhook_id: target } : undefined),
    onSuccess: () => queries.invalidateQueries({ queryKey: ["webhooks"] }),
  });
  const id = `template-${template.name}`;
  return (
    <li className="card">
      <strong>{template.name}</strong> ({template.provider}): {template.description}
      <div className="actions">
        <label htmlFor={id}>Install on</label>
        <select id={id} value={target} onChange={(e) => setTarget(e.target.value)}>
          <option value="">the default {template.provider} endpoint</option>
          {targets.map((w) => <option key={w.id} value={w.id}>{w.name}</option>)}
        </select>
        <button type="button" onClick={() => install.mutate()} disabled={install.isPending} aria-label={`Install ${template.name}`}>
          Install
        </button>
        {install.isSuccess && <span role="status">Installed.</span>}
      </div>
      {install.error && <p className="error" role="alert">{install.error.message}</p>}
    </li>
  );
}
