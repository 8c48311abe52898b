// The full log of a run, one row per CLI line, virtualised: only the rows in sight are in the
// page, so a run of 100,000 lines scrolls as smoothly as one of ten.

import { useVirtualizer } from "@tanstack/react-virtual";
import { useEffect, useRef, useState } from "react";
import { describeLine } from "../stream/lines";

const ROW = 22;

export function LogView({ lines, firstSeq }: { lines: readonly string[]; firstSeq: number }) {
  const parent = useRef<HTMLDivElement>(null);
  const [follow, setFollow] = useState(true);
  const rows = useVirtualizer({
    count: lines.length,
    getScrollElement: () => parent.current,
    estimateSize: () => ROW,
    overscan: 20,
  });

  useEffect(() => {
    if (follow && lines.length) rows.scrollToIndex(lines.length - 1, { align: "end" });
  }, [follow, lines.length, rows]);

  return (
    <div className="log-wrap">
      <div className="log-bar">
        <span>{lines.length.toLocaleString()} lines</span>
        <label>
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> Follow the end
        </label>
      </div>
      <div
        ref={parent}
        className="log"
        role="log"
        aria-label="Output log"
        tabIndex={0}
        onWheel={(e) => e.deltaY < 0 && setFollow(false)}
      >
        <div style={{ height: rows.getTotalSize(), position: "relative" }}>
          {rows.getVirtualItems().map((row) => {
            const { kind, text } = describeLine(lines[row.index]);
            return (
              <div
                key={row.key}
                className="log-row"
                style={{ height: ROW, transform: `translateY(${row.start}px)` }}
              >
                <span className="seq">{firstSeq + row.index}</span>
                <span className={`kind kind-${kind.split(" ")[0]}`}>{kind}</span>
                <span className="line">{text}</span>
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
