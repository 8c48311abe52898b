// Chat (`/`, `/chat/:id`): the inbox, the messages, the reply streaming in, the composer.

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useRef, useState } from "react";
import { Link, useLocation, useParams } from "wouter";
import { api } from "../../api/client";
import type { ChatAccepted, Message, Page } from "../../api/types";
import { TranscriptView } from "../../components/TranscriptView";
import { SESSION_ID, useTaskStream, useTranscript } from "../../stream/context";
import { usd, shortId } from "../../format";
import { Composer } from "./Composer";
import { Inbox } from "./Inbox";

const PAGE = 200;

async function lastMessages(id: string): Promise<Message[]> {
  const first = await api.get<Page<Message>>(`/api/conversations/${id}/messages?limit=${PAGE}`);
  if (first.total <= PAGE) return first.items;
  const last = await api.get<Page<Message>>(
    `/api/conversations/${id}/messages?limit=${PAGE}&offset=${first.total - PAGE}`,
  );
  return last.items;
}

export function ChatView() {
  const { id } = useParams<{ id?: string }>();
  const [, navigate] = useLocation();
  const queries = useQueryClient();
  const messages = useQuery({
    queryKey: ["messages", id],
    queryFn: () => lastMessages(id!),
    enabled: Boolean(id),
  });
  const send = useMutation({
    mutationFn: (body: { message: string; agent: string | null }) =>
      api.post<ChatAccepted>("/api/chat", {
        message: body.message,
        conversation_id: id ?? null,
        agent: body.agent,
        session_id: id ? undefined : SESSION_ID,
      }),
    onSuccess: (accepted) => {
      void queries.invalidateQueries({ queryKey: ["conversations"] });
      void queries.invalidateQueries({ queryKey: ["messages", accepted.conversation_id] });
      if (accepted.conversation_id !== id) navigate(`/chat/${accepted.conversation_id}`);
    },
  });

  return (
    <div className="chat">
      <Inbox current={id} />
      <section className="conversation" aria-label="Conversation">
        {!id && <p className="hint">Start a conversation: write a message below, or pick one on the left.</p>}
        {messages.error && <p className="error" role="alert">{messages.error.message}</p>}
        {messages.data && <MessageList messages={messages.data} />}
        <Composer
          onSend={(message, agent) => send.mutateAsync({ message, agent })}
          sending={send.isPending}
          error={send.error?.message ?? null}
        />
      </section>
    </div>
  );
}

function MessageList({ messages }: { messages: Message[] }) {
  const answered = useMemo(
    () => new Set(messages.filter((m) => m.role !== "user").map((m) => m.task_id)),
    [messages],
  );
  const end = useRef<HTMLDivElement>(null);
  useEffect(() => {
    // Not returned: scrollIntoView answers a Promise in current Chromium.
    void end.current?.scrollIntoView?.({ block: "end" });
  }, [messages.length]);
  return (
    <ol className="messages">
      {messages.map((message) => (
        <li key={message.id} className={`message ${message.role}`}>
          <div className="meta">
            <span className="role">{message.role === "user" ? "You" : "Agent"}</span>
            {message.task_id && <TaskLink id={message.task_id} />}
            {message.cost_usd != null && <span>{usd(message.cost_usd)}</span>}
          </div>
          <p className="text">{message.content}</p>
          {message.role === "assistant" && message.task_id && <Steps taskId={message.task_id} />}
          {message.role === "user" && message.task_id && !answered.has(message.task_id) && (
            <LiveReply taskId={message.task_id} />
          )}
        </li>
      ))}
      <div ref={end} />
    </ol>
  );
}

function TaskLink({ id }: { id: string }) {
  return (
    <Link href={`/tasks/${id}`} className="task-link" aria-label={`Task ${shortId(id)}`}>
      task {shortId(id)}
    </Link>
  );
}

/** The tool calls behind a reply, read from its task when first opened. */
function Steps({ taskId }: { taskId: string }) {
  const [open, setOpen] = useState(false);
  return (
    <details className="steps" onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>Steps</summary>
      {open && <StepList taskId={taskId} />}
    </details>
  );
}

function StepList({ taskId }: { taskId: string }) {
  const transcript = useTranscript(useTaskStream(taskId));
  const tools = transcript.items.filter((item) => item.kind === "tool");
  return tools.length ? <TranscriptView items={tools} /> : <p className="hint">No tool was used.</p>;
}

/** The reply as the CLI writes it, until it lands in the conversation as a message. */
function LiveReply({ taskId }: { taskId: string }) {
  const stream = useTaskStream(taskId);
  const transcript = useTranscript(stream);
  return (
    <div className="message assistant live" aria-live="polite" aria-label="Reply in progress">
      <div className="meta">
        <span className="role">Agent</span>
        <TaskLink id={taskId} />
        <span className="working">{stream.ended ? "finishing…" : stream.started ? "writing…" : "queued…"}</span>
      </div>
      <TranscriptView items={transcript.items} />
    </div>
  );
}
