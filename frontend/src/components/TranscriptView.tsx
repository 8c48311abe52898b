import type { Item } from "../stream/transcript";

/** Text as it was written; each tool call one line (name and summary), expandable. */
export function TranscriptView({ items }: { items: Item[] }) {
  return (
    <>
      {items.map((item, index) =>
        item.kind === "text" ? (
          <p key={index} className="text">{item.text}</p>
        ) : (
          <details key={item.id} className={item.isError ? "tool tool-error" : "tool"}>
            <summary>
              <span className="tool-name">{item.name}</span> <span className="tool-summary">{item.summary}</span>
            </summary>
            <pre>{JSON.stringify(item.input, null, 2)}</pre>
            {item.result !== undefined && <pre className="tool-result">{item.result}</pre>}
          </details>
        ),
      )}
    </>
  );
}
