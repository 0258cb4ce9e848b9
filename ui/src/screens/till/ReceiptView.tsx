// The receipt after a sale, with change due and New sale.

import { Show } from "solid-js";
import { Receipt } from "../../components/Receipt";
import { autofocus } from "../../forms";
import { formatMoney } from "../../money";
import { app } from "../../session";
import { till, newSale, nameOf } from "./state";
import { ShopLines, TaxSummaryTable, shopDateTime } from "../TaxSummary";


export function ReceiptView() {
  return (
    <Show when={till.receipt}>
      {(o) => (
        <div class="receipt-view" data-testid="till-receipt">
          <Receipt
            order={o()}
            shopName={app.shop?.name ?? app.shopName ?? "Tillbook"}
            nameOf={nameOf}
            footer={till.footer}
            reward={till.receiptReward}
            points={till.receiptPoints}
            details={
              <>
                <ShopLines testid="receipt-shop-lines" />
                <div data-testid="receipt-date">{shopDateTime(o().created_at_ms)}</div>
              </>
            }
            taxSummary={<TaxSummaryTable summary={o().tax_summary} testid="receipt-tax-summary" />}
          />
          <Show when={o().change_minor > 0}>
            <p class="change-due no-print" data-testid="till-change">
              Change due: <strong>{formatMoney(o().change_minor)}</strong>
            </p>
          </Show>
          <div class="actions no-print">
            <button type="button" onClick={() => window.print()} data-testid="receipt-print">
              Print
            </button>
            <button type="button" class="primary" onClick={newSale} data-testid="receipt-new-sale" ref={autofocus}>
              New sale
            </button>
          </div>
        </div>
      )}
    </Show>
  );
}

