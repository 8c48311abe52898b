// One webhook: the URL to paste, the secret (write-only), and its commands as JSON.

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api } from "../../api/client";
import type { Webhook } from "../../api/types";

export function WebhookCard({ webhook }: { webhook: Webhook }) {
  const queries = useQueryClient();
  const [secret, setSecret] = useState("");
  const [commands, setCommands] = useState<string | null>(null);
  const [parseError, setParseError] = useState<string | null>(null);
  const refresh = () => queries.invalidateQueries({ queryKey: ["webhooks"] });
  const update = useMutation({
    mutationFn: (body: Record<string, unknown>) => api.patch<Webhook>(`/api/webhooks/${webhook.id}`, body),
    onSuccess: () => {
      setSecret("");
      setCommands(null);
      void refresh();
    },
  });
  const remove = useMutation({ mutationFn: () => api.delete(`/api/webhooks/${webhook.id}`), onSuccess: refresh });
  const url = `${location.origin}${webhook.url}`;
  const editing = commands !== null;

  function saveCommands() {
    try {
      const parsed: unknown = JSON.parse(commands ?? "[]");
      if (!Array.isArray(parsed)) throw new Error("the commands are a JSON list");
      setParseError(null);
      update.mutate({ commands: parsed });
    } catch (error) {
      setParseError(`Not valid JSON: ${(error as Error).message}`);
    }
  }

  return (
    <article className="card" aria-label={`Webhook ${webhook.name}`}>
      <h2>
        {webhook.name} <span className="badge">{webhook.provider}</span>{" "}
        {!webhook.enabled && <span className="badge">disabled</span>}
      </h2>
      <p>
        URL to paste into {webhook.provider}: <code className="webhook-url">{url}</code>{" "}
        <button type="button" className="quiet" onClick={() => void navigator.clipboard?.writeText(url)}>Copy</button>
      </p>
      <p>Secret: {webhook.has_secret ? "set" : webhook.insecure ? "none (accepts unsigned deliveries)" : "not set: deliveries are refused"}</p>
      <form
        className="actions"
        onSubmit={(e) => {
          e.preventDefault();
          update.mutate({ secret });
        }}
      >
        <label htmlFor={`secret-${webhook.id}`}>New secret</label>
        <input id={`secret-${webhook.id}`} type="password" autoComplete="off" value={secret} onChange={(e) => setSecret(e.target.value)} />
        <button type="submit" disabled={!secret || update.isPending}>Save secret</button>
      </form>
      <details open={editing || undefined}>
        <summary>{webhook.commands.length} commands: {webhook.commands.map((c) => c.name).join(", ") || "none"}</summary>
        <label htmlFor={`commands-${webhook.id}`}>Commands (JSON)</label>
        <textarea
          id={`commands-${webhook.id}`}
          rows={10}
          className="code"
          value={commands ?? JSON.stringify(webhook.commands, null, 2)}
          onChange={(e) => setCommands(e.target.value)}
        />
        <p className="actions">
          <button type="button" onClick={saveCommands} disabled={!editing || update.isPending}>Save commands</button>
          {editing && <button type="button" className="quiet" onClick={() => setCommands(null)}>Discard</button>}
        </p>
      </details>
      {(parseError || update.error) && <p className="error" role="alert">{parseError ?? update.error?.message}</p>}
      <p className="actions">
        <button type="button" className="danger" onClick={() => remove.mutate()} aria-label={`Delete webhook ${webhook.name}`}>Delete</button>
      </p>
      {remove.error && <p className="error" role="alert">{remove.error.message}</p>}
    </article>
  );
}
