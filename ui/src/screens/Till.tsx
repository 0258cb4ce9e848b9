// The till: scan or search products into a cart, attach a customer, see the
// core's totals (`sales.quote`), park and recall carts, take split payments and
// print the receipt. The cart and the tender screen live in module-level stores
// so a lock screen, an error or a trip to another screen never loses a sale (T23).

import { Match, onCleanup, onMount, Show, Switch } from "solid-js";
import { app } from "../session";
import { till, openTender } from "./till/state";
import { CartView } from "./till/Cart";
import { payIfCovered, TenderView } from "./till/Tender";
import { ReceiptView } from "./till/ReceiptView";
import { installScanner } from "./till/scanner";
import { DrawerGate } from "./till/DrawerGate";

/** F9 — the till's one shortcut: from the cart to payment, and on the payment screen, Pay. */
export function onTillKey(e: KeyboardEvent): void {
  if (e.key !== "F9" || e.altKey || e.ctrlKey || e.metaKey || app.session?.locked) return;
  e.preventDefault();
  if (till.view === "cart") openTender();
  else if (till.view === "tender") payIfCovered();
}

export function Till() {
  onMount(() => window.addEventListener("keydown", onTillKey));
  onCleanup(() => window.removeEventListener("keydown", onTillKey));
  // The scanner is heard on every view of the till, wherever the focus is.
  onMount(() => onCleanup(installScanner()));
  return (
    <section class="panel till" data-testid="till" data-view={till.view}>
      <div class="toolbar no-print">
        <h1>Till</h1>
        <span class="spacer" />
        <Show when={till.notice}>
          <span class="notice" data-testid="till-notice">
            {till.notice}
          </span>
        </Show>
      </div>
      <DrawerGate />
      <Switch>
        <Match when={till.view === "cart"}>
          <CartView />
        </Match>
        <Match when={till.view === "tender"}>
          <TenderView />
        </Match>
        <Match when={till.view === "receipt"}>
          <ReceiptView />
        </Match>
      </Switch>
    </section>
  );
}
