// The API's shapes, as the dashboard reads them (see /docs on the running API).

export type TaskStatus = "queued" | "running" | "completed" | "failed" | "cancelled";
export const TERMINAL: ReadonlySet<TaskStatus> = new Set(["completed", "failed", "cancelled"]);

export interface Task {
  id: string;
  status: TaskStatus;
  agent: string | null;
  model: string | null;
  prompt: string;
  source: string;
  session_id: string;
  conversation_id: string | null;
  result: string | null;
  error: string | null;
  cost_usd: number | null;
  input_tokens: number | null;
  output_tokens: number | null;
  cache_creation_tokens: number | null;
  cache_read_tokens: number | null;
  num_turns: number | null;
  duration_ms: number | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  worker_id: string | null;
}

export interface Page<T> {
  items: T[];
  total: number; // counted up to 1,000 past the page's end
  total_exact: boolean; // false: there may be more than `total`
  limit: number;
  offset: number;
}

export interface OutputChunk {
  seq: number;
  line: string;
}

export interface TaskOutput {
  task_id: string;
  status: TaskStatus;
  chunks: OutputChunk[];
  /** Set when more lines follow: ask again with after_seq = this. */
  next_after_seq?: number | null;
}

export interface Conversation {
  id: string;
  title: string;
  session_id: string;
  agent: string | null;
  total_cost_usd: number;
  created_at: string;
  updated_at: string;
}

export interface Message {
  id: string;
  conversation_id: string;
  role: "user" | "assistant" | "system";
  content: string;
  task_id: string | null;
  cost_usd: number | null;
  created_at: string;
}

export interface ChatAccepted {
  task_id: string;
  conversation_id: string;
  message_id: string;
}

export interface Agent {
  name: string;
  description: string;
  model: string | null;
  tools: string[];
  skills: string[];
  builtin: boolean;
  prompt: string;
}

export interface Skill {
  name: string;
  description: string;
  builtin: boolean;
  content: string;
}

export interface CostGroup {
  key: string;
  cost_usd: number;
  tasks: number;
}

export interface Costs {
  since: string;
  total_cost_usd: number;
  tasks: number;
  daily_budget_usd: number | null;
  spent_today_usd: number;
  by_day: CostGroup[];
  by_agent: CostGroup[];
  by_session: CostGroup[];
  by_source: CostGroup[];
}

export interface Worker {
  hostname: string;
  machine_id?: string;
  host?: string;
  pid?: number;
  concurrency?: number;
  started_at?: number;
}

export interface SystemStatus {
  machine_id: string;
  queue_length: number | null;
  active_tasks: number;
  workers: Worker[];
  tasks_by_status: Record<string, number>;
  total_cost_usd: number;
  /** FLOWER_URL, or Flower's port on the host this page was loaded from. */
  flower_url: string;
}

export interface Health {
  status: string;
  database: string;
  redis: string;
  workers: number;
}

export interface WebhookCommand {
  name: string;
  trigger: Record<string, unknown>;
  actions: Record<string, unknown>[];
  agent?: string | null;
  [field: string]: unknown;
}

export interface Webhook {
  id: string;
  name: string;
  provider: string;
  url: string;
  has_secret: boolean;
  insecure: boolean;
  enabled: boolean;
  allowed_actors: string[];
  max_budget_usd: number | null;
  commands: WebhookCommand[];
  created_at: string;
  updated_at: string;
}

export interface Delivery {
  id: string;
  webhook_id: string | null;
  provider: string;
  event: string | null;
  received_at: string;
  outcome: string;
  reason: string | null;
  commands: string[];
  task_ids: string[];
  thread_id: string | null;
  duplicate_of: string | null;
  attempts: number;
  processed_at: string | null;
}

export interface WebhookTemplate {
  name: string;
  provider: string;
  description: string;
  commands: WebhookCommand[];
}
