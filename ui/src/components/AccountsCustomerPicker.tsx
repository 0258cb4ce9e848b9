// Accounts/loyalty area: picks one customer by name prefix (customers.search).
// Used by the Invoices and Loyalty screens; the picked customer lives in the
// caller's store so it outlives this component.

import { createSignal, For, Show } from "solid-js";
import { call, type CustomerView } from "../api";
import { reportError } from "../errors";

export interface PickedCustomer {
  id: number;
  name: string;
}

export function CustomerPicker(props: {
  testid: string;
  label?: string;
  picked: PickedCustomer | null;
  onPick: (c: PickedCustomer | null) => void;
}) {
  const [text, setText] = createSignal("");
  const [hits, setHits] = createSignal<CustomerView[]>([]);
  let seq = 0;

  async function search(prefix: string) {
    setText(prefix);
    const mine = ++seq;
    if (prefix.trim() === "") {
      setHits([]);
      return;
    }
    try {
      const found = await call("customers.search", { prefix: prefix.trim(), limit: 10 });
      // Keep the rendered buttons when the answer names the same customers: a
      // later keystroke's answer must not swap a button out from under a click.
      const same = found.length === hits().length && found.every((c, i) => c.id === hits()[i]?.id);
      if (mine === seq && !same) setHits(found);
    } catch (e) {
      reportError(e);
    }
  }

  function pick(c: CustomerView) {
    props.onPick({ id: c.id, name: c.name });
    setText("");
    setHits([]);
  }

  return (
    <div class="al-picker" data-testid={props.testid}>
      <Show
        when={props.picked}
        fallback={
          <div class="field">
            <label for={`${props.testid}-search`}>{props.label ?? "Customer"}</label>
            <input
              id={`${props.testid}-search`}
              data-testid={`${props.testid}-search`}
              autocomplete="off"
              placeholder="Type a name…"
              value={text()}
              onInput={(e) => void search(e.currentTarget.value)}
              onChange={(e) => void search(e.currentTarget.value)}
              onKeyDown={(e) => {
                if (e.key === "Enter") {
                  e.preventDefault();
                  const first = hits()[0];
                  if (first) pick(first);
                }
              }}
            />
            <Show when={hits().length > 0}>
              <ul class="al-hits" role="listbox" aria-label="Matching customers">
                <For each={hits()}>
                  {(c) => (
                    <li>
                      <button type="button" data-testid={`${props.testid}-pick-${c.id}`} data-name={c.name} onClick={() => pick(c)}>
                        {c.name}
                        <Show when={c.phone}>
                          <span class="muted"> · {c.phone}</span>
                        </Show>
                      </button>
                    </li>
                  )}
                </For>
              </ul>
            </Show>
          </div>
        }
      >
        {(c) => (
          <p class="al-picked">
            {props.label ?? "Customer"}: <strong data-testid={`${props.testid}-name`}>{c().name}</strong>{" "}
            <button type="button" data-testid={`${props.testid}-clear`} onClick={() => props.onPick(null)}>
              Change
            </button>
          </p>
        )}
      </Show>
    </div>
  );
}

/** A UTC calendar day `YYYY-MM-DD` `days` after `ms`. */
export function isoDay(ms: number, days = 0): string {
  return new Date(ms + days * 86_400_000).toISOString().slice(0, 10);
}

/** A local calendar day `YYYY-MM-DD`, written like the core's due dates. */
export function showDay(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}
