// Customers by name wherever a record holds only their id (a price rule, a
// filter): names are read once per id and kept for the session, so a list
// re-renders with the name as soon as it arrives and never shows the id.

import { createStore } from "solid-js/store";
import { call, TillbookError } from "../api";

const [names, setNames] = createStore<Record<number, string>>({});
const asked = new Set<number>();

export function rememberCustomer(id: number, name: string): void {
  setNames(id, name);
}

/** The customer's name, or null until it has been read (reading it once). */
export function customerName(id: number): string | null {
  const known = names[id];
  if (known !== undefined) return known;
  if (!asked.has(id)) {
    asked.add(id);
    call("customers.get", { id })
      .then((c) => setNames(id, c.name))
      .catch((e: unknown) => {
        // A customer archived or unreadable by this role: said plainly, never as a number.
        setNames(id, e instanceof TillbookError && e.code === "not_found" ? "a removed customer" : "one customer");
      });
  }
  return null;
}
