import { createSignal, For, Match, onMount, Show, Switch } from "solid-js";
import { reconcile } from "solid-js/store";
import { call } from "../api";
import { CheckField, SelectField, TextField } from "../components/Field";
import { reportError } from "../errors";
import { createForm, focusField } from "../forms";
import type { Settings } from "../generated/Settings";
import { formatDuration } from "../locale";
import { currencyCode, formatAmount, formatMoney, parseMoney } from "../money";
import { can, onSignOut } from "../session";

// "list": a setting whose value is a list or record (scale barcodes), edited as JSON text.
type Kind = "number" | "boolean" | "string" | "list";

/**
 * Labels for the known settings, in screen order. A setting the core adds later
 * still appears (after these, with a label made from its key): the form is built
 * from the document `settings.get` returns, typed by the generated `Settings`.
 */
export const LABELS: Record<string, string> = {
  idle_lock_ms: "Lock the till when nobody has used it for",
  max_failed_logins: "Wrong passwords or PINs in a row before an account locks",
  lockout_base_ms: "After too many wrong attempts, the first lock lasts",
  lockout_max_ms: "Each further lock lasts twice as long, but never longer than",
  credit_approval_threshold_minor: "Raising a customer's credit limit above this needs a second person's approval",
  reservation_ttl_ms: "Stock held for a parked sale is released after",
  invoice_terms_days: "Days an invoice gives the customer to pay, when no due date is given",
  prices_include_tax: "Prices include tax",
  receipt_footer: "Text printed at the bottom of every receipt",
  scale_barcodes: "Barcodes printed by a shop scale (weight or price labels)",
  card_reference: "Card terminal reference at the till",
  sell_card_without_shift: "Card sales without an open shift (cash always needs one)",
  staff_pin_sign_in: "Staff sign in by tapping their name and typing their PIN (shared till)",
};

/**
 * The unit a duration is typed in. The wire stays milliseconds (`*_ms`); the
 * owner types minutes or seconds and reads the total in words below.
 */
export const DURATION_UNITS: Record<string, "minutes" | "seconds" | "hours"> = {
  idle_lock_ms: "minutes",
  lockout_base_ms: "seconds",
  lockout_max_ms: "minutes",
  reservation_ttl_ms: "minutes",
};
const UNIT_MS = { seconds: 1000, minutes: 60_000, hours: 3_600_000 } as const;

export function durationUnit(key: string): "minutes" | "seconds" | "hours" {
  return DURATION_UNITS[key] ?? "seconds";
}

/** 300000 ms in minutes -> "5"; 30000 -> "0.5". */
export function msToUnit(ms: number, key: string): string {
  const v = ms / UNIT_MS[durationUnit(key)];
  return String(Math.round(v * 1000) / 1000);
}

/** "5" minutes -> 300000; null when it is not a plain non-negative number. */
export function unitToMs(text: string, key: string): number | null {
  const t = text.trim().replace(",", ".");
  if (!/^\d+(\.\d+)?$/.test(t)) return null;
  const ms = Math.round(Number(t) * UNIT_MS[durationUnit(key)]);
  return Number.isSafeInteger(ms) ? ms : null;
}

type NumberKind = "duration" | "money" | "count";
function numberKind(key: string): NumberKind {
  return key.endsWith("_ms") ? "duration" : key.endsWith("_minor") ? "money" : "count";
}

/** Help under a list setting: what its JSON holds. */
const LIST_HINTS: Record<string, string> = {
  scale_barcodes:
    'Price or weight labels from a shop scale, e.g. [{"prefix_from":"20","prefix_to":"29","embeds":"weight","plu_digits":5}] — embeds is "weight" or "price"; [] for none.',
};

/** Settings that are one of a few words, each said plainly (a select instead of a text field). */
export const CHOICES: Record<string, readonly { value: string; label: string }[]> = {
  card_reference: [
    { value: "required", label: "Required: a card payment needs the terminal's reference" },
    { value: "optional", label: "Optional: the till offers the field, one-tap Card pays without it" },
    { value: "off", label: "Off: the till does not ask for it" },
  ],
};

export function labelFor(key: string): string {
  if (Object.prototype.hasOwnProperty.call(LABELS, key)) return LABELS[key];
  const words = key.replace(/_ms$/, "").replace(/_minor$/, "").replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The label with its unit, as the field shows it: "… for (minutes)", "… approval (£)". */
export function fieldLabelFor(key: string): string {
  const kind = numberKind(key);
  if (kind === "duration") return `${labelFor(key)} (${durationUnit(key)})`;
  if (kind === "money") return `${labelFor(key)} (${currencySign()})`;
  return labelFor(key);
}

function currencySign(): string {
  // The sign alone, from formatting nothing: "£", "€"; the code when there is no sign.
  const zero = formatAmount(0, 0);
  const sign = zero.replace(/[\d\s.,]/g, "");
  return sign || currencyCode();
}

export const settingsForm = createForm<Record<string, string | boolean>>("settings", () => ({}));
const [fields, setFields] = createSignal<{ key: string; kind: Kind }[]>([]);
const [version, setVersion] = createSignal<number | null>(null);
const [saved, setSaved] = createSignal(false);
export { version as settingsVersion };
/** The values as last read, to tell unsaved edits apart. */
let lastLoaded: string | null = null;
const snapshot = () => JSON.stringify({ ...settingsForm.values });
export const settingsDirty = () => lastLoaded !== null && snapshot() !== lastLoaded;

onSignOut(() => {
  settingsForm.reset();
  setFields([]);
  setVersion(null);
  setSaved(false);
  lastLoaded = null;
});

function fill(s: Settings, v: number) {
  const order = Object.keys(LABELS);
  const keys = Object.keys(s).sort((a, b) => {
    const ia = order.indexOf(a);
    const ib = order.indexOf(b);
    return (ia < 0 ? order.length : ia) - (ib < 0 ? order.length : ib) || a.localeCompare(b);
  });
  const values: Record<string, string | boolean> = {};
  const list: { key: string; kind: Kind }[] = [];
  for (const k of keys) {
    const val = (s as Record<string, unknown>)[k];
    const kind: Kind =
      typeof val === "number" ? "number" : typeof val === "boolean" ? "boolean" : typeof val === "object" && val !== null ? "list" : "string";
    list.push({ key: k, kind });
    values[k] =
      kind === "boolean"
        ? val === true
        : kind === "list"
          ? JSON.stringify(val)
          : kind === "number"
            ? numberText(k, Number(val))
            : String(val ?? "");
  }
  settingsForm.setValues(reconcile(values));
  settingsForm.clearErrors();
  setFields(list);
  setVersion(v);
  lastLoaded = snapshot();
}

/** A number setting as the field holds it: minutes/seconds for a duration, a decimal amount for money. */
function numberText(key: string, n: number): string {
  const kind = numberKind(key);
  if (kind === "duration") return msToUnit(n, key);
  if (kind === "money") return formatMoney(n);
  return String(n);
}

/** Reads a number field back into its wire value, or null. */
function numberValue(key: string, raw: string): number | null {
  const kind = numberKind(key);
  if (kind === "duration") return unitToMs(raw, key);
  if (kind === "money") return parseMoney(raw);
  const n = Number(raw);
  return raw.trim() !== "" && Number.isSafeInteger(n) ? n : null;
}

/** The words under a number field: "= 5 minutes", "= £1,000.00". */
export function numberHint(key: string, raw: string): string {
  const v = numberValue(key, raw);
  if (v === null) return "";
  const kind = numberKind(key);
  if (kind === "duration") return `= ${formatDuration(v)}`;
  if (kind === "money") return `= ${formatAmount(v)}`;
  return "";
}

export async function loadSettings(): Promise<void> {
  try {
    const r = await call("settings.get");
    fill(r.settings, r.version);
  } catch (e) {
    reportError(e);
  }
}

/** "300000" (milliseconds) -> "= 5 minutes". */
export function describeMs(raw: string): string {
  const ms = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(ms)) return "";
  return `= ${formatDuration(ms)}`;
}

export async function saveSettings(): Promise<boolean> {
  const v = settingsForm.values;
  // The one check made here: a number field must hold a whole number to be sent
  // at all. Ranges and relations are the core's (its `validation` error names the key).
  settingsForm.clearErrors();
  const doc: Record<string, unknown> = {};
  for (const f of fields()) {
    const raw = v[f.key];
    if (f.kind === "number") {
      const n = typeof raw === "string" ? numberValue(f.key, raw) : null;
      if (n === null) {
        const kind = numberKind(f.key);
        settingsForm.setError(
          f.key,
          kind === "duration"
            ? `Enter a number of ${durationUnit(f.key)}, like 5 or 0.5.`
            : kind === "money"
              ? "Enter an amount, like 1000.00."
              : "Enter a whole number.",
        );
        focusField(settingsForm.id, f.key);
        return false;
      }
      doc[f.key] = n;
    } else if (f.kind === "boolean") {
      doc[f.key] = raw === true;
    } else if (f.kind === "list") {
      try {
        doc[f.key] = JSON.parse(String(raw ?? ""));
      } catch {
        settingsForm.setError(f.key, "Enter a list in JSON, like the example below the field, or [] for none.");
        focusField(settingsForm.id, f.key);
        return false;
      }
    } else {
      doc[f.key] = String(raw ?? "");
    }
  }
  const current = version();
  if (current === null) {
    await loadSettings();
    return false;
  }
  setSaved(false);
  const ok = await settingsForm.submit(
    async () => {
      const r = await call("settings.update", { version: current, settings: doc as unknown as Settings });
      fill(r.settings, r.version);
    },
    // Errors from parsing name the path (`settings.idle_lock_ms`), from validation the key.
    { mapField: (f) => f.replace(/^settings\./, "") },
  );
  setSaved(ok);
  return ok;
}

export function SettingsScreen() {
  onMount(() => {
    // Coming back to the screen keeps unsaved edits; otherwise show the current settings.
    if (version() === null || !settingsDirty()) void loadSettings();
  });
  const readOnly = () => !can("settings.manage");
  const numbers = () => fields().filter((f) => f.kind === "number");
  const others = () => fields().filter((f) => f.kind !== "number");
  return (
    <section class="panel" data-testid="settings">
      <form
        class="card wide"
        data-testid="settings-form"
        onSubmit={(e) => {
          e.preventDefault();
          void saveSettings();
        }}
      >
        <div class="toolbar">
          <h1>Settings</h1>
          <span class="spacer" />
          {/* The version read is for the save, not for reading: an attribute, not text. */}
          <span class="muted" data-testid="settings-version" data-version={version() ?? ""} />
        </div>
        <Show when={saved()}>
          <p class="notice" role="status" data-testid="settings-saved">
            Saved.
          </p>
        </Show>
        <div class="grid-2">
          <For each={numbers()}>
            {(f, i) => (
              <TextField
                form={settingsForm}
                name={f.key}
                label={fieldLabelFor(f.key)}
                inputmode={numberKind(f.key) === "count" ? "numeric" : "text"}
                testid={`settings-${f.key}`}
                autofocus={i() === 0}
                disabled={readOnly()}
                hint={numberHint(f.key, String(settingsForm.values[f.key] ?? "")) || undefined}
              />
            )}
          </For>
        </div>
        <For each={others()}>
          {(f) => (
            <Switch>
              <Match when={f.kind === "boolean"}>
                <CheckField form={settingsForm} name={f.key} label={labelFor(f.key)} testid={`settings-${f.key}`} disabled={readOnly()} />
              </Match>
              <Match when={f.kind === "list"}>
                <TextField
                  form={settingsForm}
                  name={f.key}
                  label={labelFor(f.key)}
                  multiline
                  hint={LIST_HINTS[f.key]}
                  testid={`settings-${f.key}`}
                  disabled={readOnly()}
                />
              </Match>
              <Match when={f.kind === "string" && CHOICES[f.key]}>
                {(options) => (
                  <SelectField form={settingsForm} name={f.key} label={labelFor(f.key)} options={options()} testid={`settings-${f.key}`} disabled={readOnly()} />
                )}
              </Match>
              <Match when={f.kind === "string"}>
                <TextField
                  form={settingsForm}
                  name={f.key}
                  label={labelFor(f.key)}
                  multiline={f.key === "receipt_footer"}
                  maxLength={f.key === "receipt_footer" ? 500 : undefined}
                  testid={`settings-${f.key}`}
                  disabled={readOnly()}
                />
              </Match>
            </Switch>
          )}
        </For>
        <div class="actions">
          <button type="submit" class="primary" data-testid="settings-save" disabled={readOnly() || settingsForm.busy()}>
            Save settings
          </button>
          <button type="button" onClick={() => void loadSettings()} data-testid="settings-reload">
            Reload
          </button>
        </div>
      </form>
    </section>
  );
}
