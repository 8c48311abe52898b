// Every call to the API goes through here: the bearer token from this browser session, and
// errors turned into words (`ApiError.message`) and, for validation errors, per-field words.

const TOKEN_KEY = "cca.apiToken";

export function storedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function storeToken(token: string | null): void {
  if (token === null) sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, token);
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly fields: Record<string, string> = {},
  ) {
    super(message);
  }
}

interface ValidationProblem {
  loc?: unknown[];
  msg?: string;
}

/** The words of an error answer: its `detail`, or each validation problem by field. */
export function describeError(status: number, body: unknown): ApiError {
  const detail = (body as { detail?: unknown } | null)?.detail;
  if (typeof detail === "string") return new ApiError(status, detail);
  if (Array.isArray(detail)) {
    const fields: Record<string, string> = {};
    const sentences = (detail as ValidationProblem[]).map((problem) => {
      const loc = (problem.loc ?? []).filter((part) => part !== "body");
      const field = loc.length ? String(loc[0]) : "";
      const msg = problem.msg ?? "is not valid";
      if (field && !fields[field]) fields[field] = msg;
      return field ? `${field}: ${msg}` : msg;
    });
    return new ApiError(status, sentences.join("; ") || `Request refused (${status})`, fields);
  }
  return new ApiError(status, `The API answered ${status}`);
}

let onUnauthorized: () => void = () => undefined;

/** What to do when the API refuses the token (sign the person out). */
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

export async function request<T>(
  path: string,
  init: RequestInit & { json?: unknown; token?: string | null } = {},
): Promise<T> {
  const { json, token = storedToken(), ...rest } = init;
  const headers = new Headers(rest.headers);
  if (token) headers.set("Authorization", `Bearer ${token}`);
  if (json !== undefined) headers.set("Content-Type", "application/json");
  let response: Response;
  try {
    response = await fetch(path, {
      ...rest,
      headers,
      body: json !== undefined ? JSON.stringify(json) : rest.body,
    });
  } catch {
    throw new ApiError(0, "The API cannot be reached: is it running?");
  }
  if (response.status === 204) return undefined as T;
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    if (response.status === 401 && init.token === undefined) onUnauthorized();
    throw describeError(response.status, body);
  }
  return body as T;
}

export const api = {
  get: <T>(path: string) => request<T>(path),
  post: <T>(path: string, json?: unknown) => request<T>(path, { method: "POST", json }),
  put: <T>(path: string, json: unknown) => request<T>(path, { method: "PUT", json }),
  patch: <T>(path: string, json: unknown) => request<T>(path, { method: "PATCH", json }),
  delete: (path: string) => request<void>(path, { method: "DELETE" }),
};
