// Tax rates as the owner edits them: each class with its rate now and any
// change scheduled from a date, new classes, renames, and the dated switch of
// "shelf prices include tax". Past sales always keep the tax they were sold at.

import { createResource, For, Show } from "solid-js";
import { call, newIdempotencyKey } from "../api";
import { CheckField, SelectField, TextField } from "../components/Field";
import { createForm } from "../forms";
import type { TaxClassList } from "../generated/TaxClassList";
import type { TaxClassView } from "../generated/TaxClassView";
import { can } from "../session";
import { parsePercent } from "./Setup";
import { ratePercent, shopDate, startOfShopDay } from "./TaxSummary";
import { TillbookError } from "../api";
import { reportError } from "../errors";

export const scheduleForm = createForm("tax-schedule", () => ({ code: "standard", percent: "", from: "" }));
export const createClassForm = createForm("tax-create", () => ({ name: "", percent: "" }));
export const modeForm = createForm("tax-mode", () => ({ include: true as boolean, keep: "prices", from: "" }));

/** "Standard — 20 %": how a product form lists a class. */
export function classLabel(c: Pick<TaxClassView, "name" | "rate_bp">): string {
  return `${c.name} — ${ratePercent(c.rate_bp)}`;
}

function invalid(field: string, message: string): TillbookError {
  return new TillbookError("validation", `${field}: ${message}`, { field, source: "ui" });
}

function percentOrThrow(field: string, text: string): number {
  const bp = parsePercent(text);
  if (bp === null) throw invalid(field, "Enter a rate from 0 to 100, like 20 or 5.5.");
  return bp;
}

function dayOrThrow(field: string, text: string): number {
  const ms = startOfShopDay(text);
  if (ms === null) throw invalid(field, "Pick the day the change starts.");
  return ms;
}

let createKey = newIdempotencyKey();

export function TaxRates() {
  const [list, { refetch }] = createResource<TaxClassList>(() => call("tax.classes"));
  const manage = () => can("tax.manage");
  const classes = () => list()?.classes ?? [];

  const schedule = () =>
    scheduleForm.submit(
      async () => {
        const v = scheduleForm.values;
        await call("tax.schedule_rate", {
          code: v.code,
          rate_bp: percentOrThrow("percent", v.percent),
          effective_from_ms: dayOrThrow("from", v.from),
        });
        scheduleForm.reset();
        await refetch();
      },
      { mapField: (f) => (f === "effective_from_ms" ? "from" : f === "rate_bp" ? "percent" : f) },
    );

  const create = () =>
    createClassForm.submit(
      async () => {
        const v = createClassForm.values;
        await call("tax.create_class", {
          idempotency_key: createKey,
          name: v.name.trim(),
          rate_bp: percentOrThrow("percent", v.percent),
        });
        createKey = newIdempotencyKey();
        createClassForm.reset();
        await refetch();
      },
      { mapField: (f) => (f === "rate_bp" ? "percent" : f) },
    );

  const switchMode = () =>
    modeForm.submit(
      async () => {
        const v = modeForm.values;
        await call("tax.schedule_mode", {
          prices_include_tax: v.include === true,
          keep: v.keep === "net" ? "net" : "prices",
          effective_from_ms: v.keep === "net" || v.from === "" ? null : dayOrThrow("from", v.from),
        });
        modeForm.reset();
        await refetch();
      },
      { mapField: (f) => (f === "effective_from_ms" ? "from" : f) },
    );

  const rename = async (c: TaxClassView) => {
    const name = window.prompt(`New name for ${c.name}`, c.name);
    if (!name || name.trim() === c.name) return;
    try {
      await call("tax.rename_class", { code: c.code, name: name.trim(), version: c.version });
      await refetch();
    } catch (e) {
      reportError(e);
    }
  };

  return (
    <section class="screen" data-testid="tax-rates">
      <h1>Tax rates</h1>
      <p class="lead">
        A change applies from the day you pick, at midnight in the shop's time zone. Sales already made keep the tax they were sold at.
      </p>
      <Show when={list()}>
        <p data-testid="tax-mode-now">
          {list()?.prices_include_tax ? "Shelf prices include tax." : "Tax is added to shelf prices at the till."}
        </p>
        <table class="table" data-testid="tax-classes">
          <thead>
            <tr>
              <th>Rate</th>
              <th>Now</th>
              <th>Changes</th>
              <th />
            </tr>
          </thead>
          <tbody>
            <For each={classes()} fallback={<tr><td colspan="4">No tax rates yet — add one below.</td></tr>}>
              {(c) => (
                <tr data-testid={`tax-class-${c.code}`}>
                  <td>{c.name}</td>
                  <td data-testid={`tax-class-${c.code}-now`}>{ratePercent(c.rate_bp)}</td>
                  <td data-testid={`tax-class-${c.code}-pending`}>
                    <For each={c.rates.filter((r) => r.pending)} fallback={<span class="muted">none scheduled</span>}>
                      {(r) => (
                        <div>
                          {ratePercent(r.rate_bp)} from {shopDate(r.effective_from_ms)}
                        </div>
                      )}
                    </For>
                  </td>
                  <td>
                    <Show when={manage()}>
                      <button type="button" data-testid={`tax-class-${c.code}-rename`} onClick={() => void rename(c)}>
                        Rename
                      </button>
                    </Show>
                  </td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
        <Show when={(list()?.modes ?? []).some((m) => m.pending)}>
          <ul data-testid="tax-mode-pending">
            <For each={(list()?.modes ?? []).filter((m) => m.pending)}>
              {(m) => (
                <li>
                  From {shopDate(m.effective_from_ms)}: {m.prices_include_tax ? "shelf prices include tax" : "tax is added at the till"} (shelf prices stay as they are)
                </li>
              )}
            </For>
          </ul>
        </Show>
      </Show>
      <Show when={manage()}>
        <form
          class="card"
          data-testid="tax-schedule-form"
          onSubmit={(e) => {
            e.preventDefault();
            void schedule();
          }}
        >
          <h2>Change a rate from a date</h2>
          <div class="row">
            <SelectField
              form={scheduleForm}
              name="code"
              label="Rate"
              testid="tax-schedule-class"
              options={classes().map((c) => ({ value: c.code, label: classLabel(c) }))}
            />
            <TextField form={scheduleForm} name="percent" label="New rate (%)" testid="tax-schedule-percent" inputmode="text" maxLength={6} />
            <TextField form={scheduleForm} name="from" label="From" type="date" testid="tax-schedule-from" />
          </div>
          <div class="actions">
            <button type="submit" class="primary" data-testid="tax-schedule-submit" disabled={scheduleForm.busy()}>
              Schedule the change
            </button>
          </div>
        </form>
        <form
          class="card"
          data-testid="tax-create-form"
          onSubmit={(e) => {
            e.preventDefault();
            void create();
          }}
        >
          <h2>Add a rate</h2>
          <div class="row">
            <TextField form={createClassForm} name="name" label="Name" testid="tax-create-name" maxLength={60} />
            <TextField form={createClassForm} name="percent" label="Rate (%)" testid="tax-create-percent" inputmode="text" maxLength={6} />
          </div>
          <div class="actions">
            <button type="submit" data-testid="tax-create-submit" disabled={createClassForm.busy()}>
              Add
            </button>
          </div>
        </form>
        <form
          class="card"
          data-testid="tax-mode-form"
          onSubmit={(e) => {
            e.preventDefault();
            void switchMode();
          }}
        >
          <h2>Shelf prices and tax</h2>
          <CheckField form={modeForm} name="include" label="Shelf prices include tax" testid="tax-mode-include" />
          <SelectField
            form={modeForm}
            name="keep"
            label="When it switches"
            testid="tax-mode-keep"
            options={[
              { value: "prices", label: "Keep shelf prices: customers pay the same, your takings before tax change" },
              { value: "net", label: "Keep takings before tax: every shelf price is recalculated once, now" },
            ]}
          />
          <Show when={modeForm.values.keep === "prices"}>
            <TextField form={modeForm} name="from" label="From (empty: now)" type="date" testid="tax-mode-from" />
          </Show>
          <div class="actions">
            <button type="submit" data-testid="tax-mode-submit" disabled={modeForm.busy()}>
              Switch
            </button>
          </div>
        </form>
      </Show>
    </section>
  );
}
