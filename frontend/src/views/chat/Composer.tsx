// The message box: Enter sends, Shift+Enter breaks the line; errors (a spent budget's 429
// among them) are said next to it. The text stays until the API has accepted it: a refused
// message is not lost.

import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { api } from "../../api/client";
import type { Agent } from "../../api/types";

interface Props {
  /** Resolves once the API accepted the message; rejects when it refused it. */
  onSend: (message: string, agent: string | null) => Promise<unknown>;
  sending: boolean;
  error: string | null;
}

export function Composer({ onSend, sending, error }: Props) {
  const [text, setText] = useState("");
  const [agent, setAgent] = useState("");
  const agents = useQuery({ queryKey: ["agents"], queryFn: () => api.get<Agent[]>("/api/agents") });

  function send() {
    if (!text.trim() || sending) return;
    const sent = text;
    onSend(sent, agent || null).then(
      // Only what was sent is cleared: a line typed while it was on its way stays.
      () => setText((current) => (current === sent ? "" : current)),
      () => undefined, // the error prop says why
    );
  }

  return (
    <form
      className="composer"
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
    >
      <label htmlFor="composer-message" className="visually-hidden">Message</label>
      <textarea
        id="composer-message"
        rows={3}
        value={text}
        placeholder="Message (Enter sends, Shift+Enter for a new line)"
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
            e.preventDefault();
            send();
          }
        }}
        aria-describedby={error ? "composer-error" : undefined}
      />
      <div className="composer-bar">
        <label htmlFor="composer-agent">Agent</label>
        <select id="composer-agent" value={agent} onChange={(e) => setAgent(e.target.value)}>
          <option value="">default</option>
          {agents.data?.map((a) => (
            <option key={a.name} value={a.name}>{a.name}</option>
          ))}
        </select>
        <button type="submit" disabled={sending || !text.trim()}>Send</button>
      </div>
      {error && (
        <p id="composer-error" className="error" role="alert">{error}</p>
      )}
    </form>
  );
}
