// One search-picker for every place that needs a record: the person types part
// of a name, the matching records are offered, and a tap (or Enter for the
// first) picks one. Ids never appear on screen and are never asked for. The
// search itself is the caller's, over an existing search command
// (customers.search, catalog.search, …), so the picker knows nothing of them.

import { createSignal, For, Show, type JSX } from "solid-js";
import { reportError } from "../errors";

export interface PickerItem {
  id: number;
  /** What the list and the picked chip say. */
  label: string;
  /** A second, quieter line (a phone number, a SKU and price). */
  detail?: string;
}

/** The most hits a picker offers at once; typing more narrows them. */
export const PICKER_HITS_MAX = 10;

export function Picker(props: {
  testid: string;
  label: string;
  /** Searches by the typed text; resolves to at most PICKER_HITS_MAX items. */
  search: (text: string) => Promise<PickerItem[]>;
  /** Single mode: the picked item (null: none). */
  picked?: PickerItem | null;
  onPick: (item: PickerItem | null) => void;
  /** Multi mode (a list of picks, e.g. products that earn no points): hides the chip. */
  multi?: boolean;
  placeholder?: string;
  hint?: JSX.Element;
  disabled?: boolean;
  /** What the empty result says ("No customer by that name — add one under Customers"). */
  none?: string;
}) {
  const [text, setText] = createSignal("");
  const [hits, setHits] = createSignal<PickerItem[]>([]);
  const [searched, setSearched] = createSignal(false);
  let seq = 0;

  async function run(value: string) {
    setText(value);
    const mine = ++seq;
    if (value.trim() === "") {
      setHits([]);
      setSearched(false);
      return;
    }
    try {
      const found = (await props.search(value.trim())).slice(0, PICKER_HITS_MAX);
      if (mine !== seq) return;
      // Keep the rendered buttons when the answer names the same records: a
      // later keystroke's answer must not swap a button out from under a click.
      const same = found.length === hits().length && found.every((c, i) => c.id === hits()[i]?.id);
      if (!same) setHits(found);
      setSearched(true);
    } catch (e) {
      reportError(e);
    }
  }

  function pick(item: PickerItem) {
    props.onPick(item);
    setText("");
    setHits([]);
    setSearched(false);
  }

  const input = () => (
    <div class="field picker">
      <label for={`${props.testid}-search`}>{props.label}</label>
      <input
        id={`${props.testid}-search`}
        data-testid={`${props.testid}-search`}
        autocomplete="off"
        placeholder={props.placeholder ?? "Type a name…"}
        value={text()}
        disabled={props.disabled}
        role="combobox"
        aria-expanded={hits().length > 0}
        aria-controls={`${props.testid}-hits`}
        onInput={(e) => void run(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter") {
            e.preventDefault();
            const first = hits()[0];
            if (first) pick(first);
          } else if (e.key === "Escape") {
            setHits([]);
          }
        }}
      />
      <Show when={props.hint}>
        <small class="hint">{props.hint}</small>
      </Show>
      <Show when={hits().length > 0}>
        <ul class="picker-hits al-hits" id={`${props.testid}-hits`} role="listbox" aria-label={props.label}>
          <For each={hits()}>
            {(h) => (
              <li role="option">
                <button type="button" data-testid={`${props.testid}-pick-${h.id}`} data-name={h.label} onClick={() => pick(h)}>
                  {h.label}
                  <Show when={h.detail}>
                    <span class="muted"> · {h.detail}</span>
                  </Show>
                </button>
              </li>
            )}
          </For>
        </ul>
      </Show>
      <Show when={searched() && hits().length === 0}>
        <small class="muted" data-testid={`${props.testid}-none`}>
          {props.none ?? "Nothing matches — check the spelling, or type fewer letters."}
        </small>
      </Show>
    </div>
  );

  return (
    <div class="picker-wrap" data-testid={props.testid}>
      <Show when={!props.multi && props.picked} fallback={input()}>
        {(p) => (
          <p class="al-picked picker-picked">
            {props.label}: <strong data-testid={`${props.testid}-name`}>{p().label}</strong>{" "}
            <button type="button" data-testid={`${props.testid}-clear`} onClick={() => props.onPick(null)} disabled={props.disabled}>
              Change
            </button>
          </p>
        )}
      </Show>
    </div>
  );
}
