// The conversations, most recently updated first: new, switch, rename, delete (confirmed).

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useLocation } from "wouter";
import { api } from "../../api/client";
import type { Conversation, Page } from "../../api/types";
import { SESSION_ID } from "../../stream/context";

export function Inbox({ current }: { current: string | undefined }) {
  const [, navigate] = useLocation();
  const queries = useQueryClient();
  const list = useQuery({
    queryKey: ["conversations"],
    queryFn: () => api.get<Page<Conversation>>("/api/conversations?limit=200"),
  });
  const create = useMutation({
    mutationFn: () =>
      api.post<Conversation>("/api/conversations", { title: "New conversation", session_id: SESSION_ID }),
    onSuccess: (conversation) => {
      void queries.invalidateQueries({ queryKey: ["conversations"] });
      navigate(`/chat/${conversation.id}`);
    },
  });
  return (
    <aside className="inbox" aria-label="Conversations">
      <button type="button" onClick={() => create.mutate()} disabled={create.isPending}>
        New conversation
      </button>
      {create.error && <p className="error" role="alert">{create.error.message}</p>}
      {list.error && <p className="error" role="alert">{list.error.message}</p>}
      <ul>
        {list.data?.items.map((conversation) => (
          <InboxItem key={conversation.id} conversation={conversation} current={conversation.id === current} />
        ))}
      </ul>
      {list.data?.items.length === 0 && <p className="hint">No conversations yet.</p>}
    </aside>
  );
}

function InboxItem({ conversation, current }: { conversation: Conversation; current: boolean }) {
  const [, navigate] = useLocation();
  const queries = useQueryClient();
  const [mode, setMode] = useState<"view" | "rename" | "confirm">("view");
  const [title, setTitle] = useState(conversation.title);
  const done = () => {
    setMode("view");
    void queries.invalidateQueries({ queryKey: ["conversations"] });
  };
  const rename = useMutation({
    mutationFn: () => api.patch<Conversation>(`/api/conversations/${conversation.id}`, { title: title.trim() }),
    onSuccess: done,
  });
  const remove = useMutation({
    mutationFn: () => api.delete(`/api/conversations/${conversation.id}`),
    onSuccess: () => {
      done();
      if (current) navigate("/");
    },
  });
  const error = rename.error ?? remove.error;

  return (
    <li className={current ? "current" : undefined}>
      {mode === "rename" ? (
        <form
          className="rename"
          onSubmit={(e) => {
            e.preventDefault();
            rename.mutate();
          }}
        >
          <label htmlFor={`title-${conversation.id}`}>Title</label>
          <input
            id={`title-${conversation.id}`}
            value={title}
            onChange={(e) => setTitle(e.target.value)}
            onKeyDown={(e) => e.key === "Escape" && setMode("view")}
            autoFocus
            required
            maxLength={200}
          />
          <button type="submit" disabled={!title.trim() || rename.isPending}>Save</button>
          <button type="button" className="quiet" onClick={() => setMode("view")}>Cancel</button>
        </form>
      ) : (
        <Link href={`/chat/${conversation.id}`} aria-current={current ? "page" : undefined}>
          {conversation.title}
        </Link>
      )}
      {mode === "view" && (
        <span className="actions">
          <button type="button" className="quiet" aria-label={`Rename ${conversation.title}`} onClick={() => { setTitle(conversation.title); setMode("rename"); }}>
            Rename
          </button>
          <button type="button" className="quiet" aria-label={`Delete ${conversation.title}`} onClick={() => setMode("confirm")}>
            Delete
          </button>
        </span>
      )}
      {mode === "confirm" && (
        <div className="confirm" role="group" aria-label="Confirm delete">
          <span>Delete “{conversation.title}” and its messages?</span>
          <button type="button" className="danger" onClick={() => remove.mutate()} disabled={remove.isPending} autoFocus>
            Delete conversation
          </button>
          <button type="button" className="quiet" onClick={() => setMode("view")}>Cancel</button>
        </div>
      )}
      {error && <p className="error" role="alert">{error.message}</p>}
    </li>
  );
}
