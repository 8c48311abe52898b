// Cost per day as bars (uPlot: small, canvas-drawn).

import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { CostGroup } from "../api/types";
import { usd } from "../format";

/** Every day from `since` to today (UTC), with the cost of each (0 where nothing ran). */
export function dailySeries(since: string, days: CostGroup[], today = new Date()): [number[], number[]] {
  const cost = new Map(days.map((d) => [d.key, d.cost_usd]));
  const xs: number[] = [];
  const ys: number[] = [];
  const day = new Date(`${since.slice(0, 10)}T00:00:00Z`);
  while (day <= today) {
    xs.push(day.getTime() / 1000);
    ys.push(cost.get(day.toISOString().slice(0, 10)) ?? 0);
    day.setUTCDate(day.getUTCDate() + 1);
  }
  return [xs, ys];
}

export function CostChart({ since, days }: { since: string; days: CostGroup[] }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const data = dailySeries(since, days);
    const width = () => Math.max(280, element.clientWidth);
    const chart = new uPlot(
      {
        width: width(),
        height: 220,
        scales: { x: { time: true } },
        axes: [{}, { values: (_u, ticks) => ticks.map((t) => usd(t)), size: 70 }],
        series: [
          {},
          {
            label: "Cost (USD)",
            stroke: "#2f6fde",
            fill: "rgba(47,111,222,0.25)",
            paths: uPlot.paths.bars!({ size: [0.7, 40] }),
            points: { show: false },
            value: (_u, v) => (v == null ? "—" : `$${v.toFixed(4)}`),
          },
        ],
        legend: { show: true },
      },
      data,
      element,
    );
    const resize = new ResizeObserver(() => chart.setSize({ width: width(), height: 220 }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
  }, [since, days]);
  return <div ref={box} className="chart" role="img" aria-label="Cost per day" />;
}
