// The recent deliveries: outcome, the tasks they started, and redeliver.

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link } from "wouter";
import { api } from "../../api/client";
import type { Delivery, Page } from "../../api/types";
import { shortId, when } from "../../format";

export function Deliveries() {
  const queries = useQueryClient();
  const deliveries = useQuery({
    queryKey: ["deliveries"],
    queryFn: () => api.get<Page<Delivery>>("/api/webhooks/deliveries?limit=50"),
    refetchInterval: 3000,
  });
  const redeliver = useMutation({
    mutationFn: (id: string) => api.post<Delivery>(`/api/webhooks/deliveries/${id}/redeliver`),
    onSettled: () => queries.invalidateQueries({ queryKey: ["deliveries"] }),
  });
  return (
    <>
      <h2>Recent deliveries</h2>
      {deliveries.error && <p className="error" role="alert">{deliveries.error.message}</p>}
      {redeliver.error && <p className="error" role="alert">{redeliver.error.message}</p>}
      <div className="table-wrap">
        <table aria-label="Deliveries">
          <thead>
            <tr><th>Received</th><th>Provider</th><th>Event</th><th>Outcome</th><th>Tasks</th><th /></tr>
          </thead>
          <tbody>
            {deliveries.data?.items.map((d) => (
              <tr key={d.id}>
                <td>{when(d.received_at)}</td>
                <td>{d.provider}{d.webhook_id && d.webhook_id !== d.provider ? ` (${d.webhook_id.slice(0, 8)})` : ""}</td>
                <td>{d.event ?? "—"}</td>
                <td>
                  <span className={`badge outcome-${d.outcome}`}>{d.outcome}</span>
                  {d.reason && <span className="hint"> {d.reason}</span>}
                </td>
                <td>
                  {d.task_ids.map((id) => (
                    <Link key={id} href={`/tasks/${id}`}>{shortId(id)} </Link>
                  ))}
                </td>
                <td>
                  <button type="button" className="quiet" onClick={() => redeliver.mutate(d.id)} aria-label={`Redeliver ${d.id.slice(0, 8)}`}>
                    Redeliver
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {deliveries.data?.items.length === 0 && <p className="hint">No delivery yet.</p>}
    </>
  );
}
