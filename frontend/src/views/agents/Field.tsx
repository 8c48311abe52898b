// One labelled control of a form, with the API's words about it (a validation error) under it.

import type { ReactNode } from "react";

export function Field({ id, label, error, children }: { id: string; label: string; error?: string; children: ReactNode }) {
  return (
    <div className={error ? "field invalid" : "field"}>
      <label htmlFor={id}>{label}</label>
      {children}
      {error && (
        <p id={`${id}-error`} className="field-error" role="alert">{error}</p>
      )}
    </div>
  );
}
