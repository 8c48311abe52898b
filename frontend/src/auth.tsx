// Sign in: the token is checked against the API and kept for this browser session only
// (sessionStorage: never in a URL, never logged). A 401 anywhere signs the person out.

import { useQueryClient } from "@tanstack/react-query";
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from "react";
import { ApiError, request, setUnauthorizedHandler, storeToken, storedToken } from "./api/client";

type AuthState = "checking" | "signed-out" | "signed-in" | "unreachable";

const SignOutContext = createContext<(() => void) | null>(null);

export function useSignOut(): (() => void) | null {
  return useContext(SignOutContext);
}

interface SignInAnswer {
  token_required: boolean;
  valid: boolean;
}

/** Whether this token (or none) opens the API. Asked of a route that answers 200 either way,
 * so that a wrong token is said in words, not logged in the console as a failed request. */
async function check(token: string | null): Promise<AuthState> {
  try {
    const answer = await request<SignInAnswer>("/api/dashboard/sign-in", {
      method: "POST",
      json: { token: token ?? "" },
      token: null,
    });
    return answer.valid ? "signed-in" : "signed-out";
  } catch (error) {
    return error instanceof ApiError && error.status === 401 ? "signed-out" : "unreachable";
  }
}

export function AuthGate({ children }: { children: ReactNode }) {
  const [state, setState] = useState<AuthState>("checking");
  const queries = useQueryClient();
  const signOut = useCallback(() => {
    storeToken(null);
    queries.clear();
    setState("signed-out");
  }, [queries]);

  useEffect(() => {
    setUnauthorizedHandler(signOut);
    void check(storedToken()).then(setState);
  }, [signOut]);

  if (state === "checking") return <p className="center">Connecting…</p>;
  if (state === "unreachable") {
    return (
      <p className="center error" role="alert">
        The API cannot be reached. Is it running? Reload to try again.
      </p>
    );
  }
  if (state === "signed-out") return <SignIn onSignedIn={() => setState("signed-in")} />;
  return (
    <SignOutContext.Provider value={storedToken() ? signOut : null}>{children}</SignOutContext.Provider>
  );
}

function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: React.FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const result = await check(token.trim());
    setBusy(false);
    if (result === "signed-in") {
      storeToken(token.trim());
      onSignedIn();
    } else {
      setError(
        result === "signed-out"
          ? "That token is not valid: the API refused it."
          : "The API cannot be reached right now.",
      );
    }
  }

  return (
    <main className="signin">
      <form onSubmit={submit} aria-describedby={error ? "signin-error" : undefined}>
        <h1>Claude Code Agent</h1>
        <label htmlFor="api-token">API token</label>
        <input
          id="api-token"
          type="password"
          autoComplete="current-password"
          value={token}
          onChange={(e) => setToken(e.target.value)}
          required
          autoFocus
        />
        {error && (
          <p id="signin-error" className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy || !token.trim()}>
          Sign in
        </button>
        <p className="hint">
          The token is <code>API_TOKEN</code> in the server's <code>.env</code>; it is kept only
          for this browser tab.
        </p>
      </form>
    </main>
  );
}
