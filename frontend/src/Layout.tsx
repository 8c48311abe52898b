import type { ReactNode } from "react";
import { Link, useLocation } from "wouter";
import { useSignOut } from "./auth";
import { useConnectionState } from "./stream/context";

const NAV = [
  ["/", "Chat"],
  ["/tasks", "Tasks"],
  ["/costs", "Costs"],
  ["/agents", "Agents"],
  ["/webhooks", "Webhooks"],
  ["/status", "Status"],
] as const;

function isCurrent(location: string, href: string): boolean {
  if (href === "/") return location === "/" || location.startsWith("/chat");
  return location.startsWith(href);
}

export function Layout({ children }: { children: ReactNode }) {
  const [location] = useLocation();
  const signOut = useSignOut();
  const connection = useConnectionState();
  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">Claude Code Agent</span>
        <nav aria-label="Main">
          {NAV.map(([href, label]) => (
            <Link key={href} href={href} aria-current={isCurrent(location, href) ? "page" : undefined}>
              {label}
            </Link>
          ))}
        </nav>
        <span className={`live live-${connection}`} role="status" aria-label="Live updates">
          {connection === "open" ? "live" : connection === "waiting" ? "reconnecting…" : connection}
        </span>
        {signOut && (
          <button type="button" className="quiet" onClick={signOut}>
            Sign out
          </button>
        )}
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}
