// Cash needs an open drawer: the core refuses cash (a sale, a cash refund, a
// payment on account) with no shift open. The till says so before Pay and
// offers "Open shift" right here — the float counted in place, then back to
// the same sale (the cart lives in its own store and is never touched).
// `shifts.current` answers the till's drawer: the user's own shift, or on a
// shared till the one open shift (docs/API.md, shifts.current).

import { createEffect, on, Show } from "solid-js";
import { createStore } from "solid-js/store";
import { call, newIdempotencyKey } from "../../api";
import { TextField } from "../../components/Field";
import { createForm } from "../../forms";
import { requireMoney } from "../../money";
import { onSignOut } from "../../session";
import { till } from "./state";

interface DrawerState {
  /** shifts.current answered since the till was shown. */
  checked: boolean;
  /** The open shift's number (null: no drawer open). */
  shiftNumber: number | null;
  /** The shop lets card sales through without a shift. */
  cardWithoutShift: boolean;
  /** "Open shift" pressed: the float field is showing. */
  opening: boolean;
}

export const [drawer, setDrawer] = createStore<DrawerState>({ checked: false, shiftNumber: null, cardWithoutShift: false, opening: false });
export const tillShiftForm = createForm("till-shift", () => ({ float: "" }));
let openKey = newIdempotencyKey();

onSignOut(() => {
  setDrawer({ checked: false, shiftNumber: null, opening: false });
  tillShiftForm.reset();
});

/** Asks the core whether a drawer is open; the settings say whether card may go without. */
export async function checkDrawer(): Promise<void> {
  try {
    const current = await call("shifts.current", {});
    setDrawer({ checked: true, shiftNumber: current?.number ?? null });
  } catch {
    // The sale still works or is refused by the core in plain words; no banner for a check.
    return;
  }
  try {
    const s = await call("settings.get");
    setDrawer("cardWithoutShift", s.settings.sell_card_without_shift);
  } catch {
    // Cosmetic: only changes the hint's wording.
  }
}

/** Opens a shift with the float typed here, and stays on the sale. */
export async function openShiftHere(): Promise<boolean> {
  const ok = await tillShiftForm.submit(
    async () => {
      const opening_float_minor = requireMoney("float", tillShiftForm.values.float);
      const shift = await call("shifts.open", { idempotency_key: openKey, opening_float_minor });
      setDrawer({ checked: true, shiftNumber: shift.number, opening: false });
    },
    { mapField: (f) => (f === "opening_float_minor" ? "float" : f) },
  );
  if (ok) {
    openKey = newIdempotencyKey();
    tillShiftForm.reset();
  }
  return ok;
}

/** The "no shift open" bar above the cart and the payment screen. */
export function DrawerGate() {
  // Re-checked whenever the till changes view (another screen or till may
  // have opened or closed the shift meanwhile).
  createEffect(on(() => till.view, () => void checkDrawer()));
  // And when a sale starts: the moment the cashier needs to know.
  createEffect(on(() => till.lines.length > 0, (started) => started && void checkDrawer(), { defer: true }));
  return (
    <Show when={drawer.checked && drawer.shiftNumber === null}>
      <div class="card notice-bar no-print" role="status" data-testid="till-no-shift">
        <p data-testid="till-no-shift-text">
          <strong>No shift is open.</strong> Open a shift (count the float) before taking cash
          {drawer.cardWithoutShift ? "; card payments still go through." : "."}
        </p>
        <Show
          when={drawer.opening}
          fallback={
            <button type="button" class="primary" data-testid="till-open-shift" onClick={() => setDrawer("opening", true)}>
              Open shift
            </button>
          }
        >
          <form
            class="inline-form"
            data-testid="till-shift-form"
            onSubmit={(e) => {
              e.preventDefault();
              void openShiftHere();
            }}
          >
            <TextField form={tillShiftForm} name="float" label="Opening float (counted)" inputmode="numeric" placeholder="e.g. 150.00" autofocus />
            <button type="submit" class="primary" data-testid="till-shift-open" disabled={tillShiftForm.busy()}>
              Open shift
            </button>
            <button type="button" data-testid="till-shift-cancel" onClick={() => setDrawer("opening", false)}>
              Not now
            </button>
          </form>
        </Show>
      </div>
    </Show>
  );
}
