// The message box: Enter sends, Shift+Enter breaks the line; errors (a spent budget's 429
// among them) are said next to it.

import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { api } from "../../api/client";
import type { Agent } from "../../api/types";

interface Props {
  onSend: (message: string, agent: string | null) => void;
  sending: boolean;
  error: string | null;
}

export function Composer({ onSend, sending, error }: Props) {
  const [text, setText] = useState("");
  const [agent, setAgent] = useState("");
  const agents = useQuery({ queryKey: ["agents"], queryFn: () => api.get<Agent[]>("/api/agents") });

  function send() {
    if (!text.trim() || sending) return;
    onSend(text, agent || null);
    setText("");
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
