// Costs (`/costs`): today, this week, this month; by agent, source and session; per day; the
// daily budget and what is left of it.

import { useQuery } from "@tanstack/react-query";
import { api } from "../api/client";
import type { CostGroup, Costs } from "../api/types";
import { CostChart } from "../components/CostChart";
import { usd } from "../format";

function sumSince(days: CostGroup[], from: string): number {
  return days.filter((d) => d.key >= from).reduce((total, d) => total + d.cost_usd, 0);
}

function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export function periodStarts(now = new Date()) {
  const today = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const week = new Date(today);
  week.setUTCDate(today.getUTCDate() - ((today.getUTCDay() + 6) % 7)); // Monday
  const month = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  return { today: isoDay(today), week: isoDay(week), month: isoDay(month) };
}

function Groups({ title, groups }: { title: string; groups: CostGroup[] }) {
  const sorted = [...groups].sort((a, b) => b.cost_usd - a.cost_usd);
  return (
    <div className="card">
      <h2>{title}</h2>
      {sorted.length === 0 ? (
        <p className="hint">Nothing yet.</p>
      ) : (
        <table>
          <thead><tr><th>{title.replace("By ", "")}</th><th className="num">Tasks</th><th className="num">Cost</th></tr></thead>
          <tbody>
            {sorted.map((g) => (
              <tr key={g.key}><td>{g.key}</td><td className="num">{g.tasks}</td><td className="num">{usd(g.cost_usd)}</td></tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

export default function CostsView() {
  const costs = useQuery({
    queryKey: ["costs"],
    queryFn: () => api.get<Costs>("/api/costs?days=62"),
    refetchInterval: 15000,
  });
  if (costs.error) return <p className="error page" role="alert">{costs.error.message}</p>;
  if (!costs.data) return <p className="center">Loading…</p>;
  const c = costs.data;
  const starts = periodStarts();
  const budget = c.daily_budget_usd;
  return (
    <section className="page">
      <h1>Costs</h1>
      <div className="totals">
        <div className="card"><h2>Today</h2><p className="big">{usd(c.spent_today_usd)}</p></div>
        <div className="card"><h2>This week</h2><p className="big">{usd(sumSince(c.by_day, starts.week))}</p></div>
        <div className="card"><h2>This month</h2><p className="big">{usd(sumSince(c.by_day, starts.month))}</p></div>
        <div className="card">
          <h2>Daily budget</h2>
          {budget == null ? (
            <p className="big">none set</p>
          ) : (
            <>
              <p className="big">{usd(Math.max(0, budget - c.spent_today_usd))} left</p>
              <meter min={0} max={budget} value={Math.min(budget, c.spent_today_usd)} aria-label="Budget spent today" />
              <p className="hint">of {usd(budget)} (DAILY_BUDGET_USD)</p>
            </>
          )}
        </div>
      </div>
      <div className="card">
        <h2>Cost per day</h2>
        <CostChart since={c.since} days={c.by_day} />
        <p className="hint">{c.tasks} finished tasks since {c.since.slice(0, 10)}, {usd(c.total_cost_usd)} in all.</p>
      </div>
      <div className="groups">
        <Groups title="By agent" groups={c.by_agent} />
        <Groups title="By source" groups={c.by_source} />
        <Groups title="By session" groups={c.by_session} />
      </div>
    </section>
  );
}
