import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode, Suspense, lazy } from "react";
import { createRoot } from "react-dom/client";
import { Route, Switch } from "wouter";
import { ApiError } from "./api/client";
import { AuthGate } from "./auth";
import { Layout } from "./Layout";
import { StreamProvider } from "./stream/context";
import { ChatView } from "./views/chat/ChatView";
import { TaskDetail } from "./views/tasks/TaskDetail";
import { TaskList } from "./views/tasks/TaskList";
import "./styles.css";

// Views that bring a library of their own load when first opened.
const CostsView = lazy(() => import("./views/CostsView"));
const AgentsView = lazy(() => import("./views/agents/AgentsView"));
const StatusView = lazy(() => import("./views/StatusView"));
const WebhooksView = lazy(() => import("./views/webhooks/WebhooksView"));

const queries = new QueryClient({
  defaultOptions: {
    queries: {
      retry: (count, error) => !(error instanceof ApiError && error.status < 500) && count < 2,
      refetchOnWindowFocus: false,
    },
  },
});

function NotFound() {
  return <p className="center">Nothing here. Pick a view above.</p>;
}

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <QueryClientProvider client={queries}>
      <AuthGate>
        <StreamProvider>
          <Layout>
            <Suspense fallback={<p className="center">Loading…</p>}>
              <Switch>
                <Route path="/" component={ChatView} />
                <Route path="/chat/:id" component={ChatView} />
                <Route path="/tasks" component={TaskList} />
                <Route path="/tasks/:id" component={TaskDetail} />
                <Route path="/costs" component={CostsView} />
                <Route path="/agents" component={AgentsView} />
                <Route path="/agents/:name" component={AgentsView} />
                <Route path="/agents/skills/:skill" component={AgentsView} />
                <Route path="/webhooks" component={WebhooksView} />
                <Route path="/status" component={StatusView} />
                <Route component={NotFound} />
              </Switch>
            </Suspense>
          </Layout>
        </StreamProvider>
      </AuthGate>
    </QueryClientProvider>
  </StrictMode>,
);
