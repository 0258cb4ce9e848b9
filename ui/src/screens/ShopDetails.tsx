// The shop's details: name, address, phone, VAT number (printed on receipts and
// invoices), time zone and date/number format. The owner edits them; the
// currency and country stay as set up (sales were made in them).

import { onMount, Show } from "solid-js";
import { call } from "../api";
import { TextField } from "../components/Field";
import { createForm } from "../forms";
import { app, setApp } from "../session";
import { shopDate, shopMoney } from "./TaxSummary";

export const shopForm = createForm("shop", () => ({
  name: "",
  address: "",
  phone: "",
  tax_number: "",
  timezone: "",
  locale: "",
}));

function fill(): void {
  const s = app.shop;
  if (!s) return;
  shopForm.setValues({
    name: s.name,
    address: s.address,
    phone: s.phone,
    tax_number: s.tax_number,
    timezone: s.timezone,
    locale: s.locale,
  });
}

export async function saveShop(): Promise<boolean> {
  const v = shopForm.values;
  return shopForm.submit(async () => {
    const shop = await call("shop.update", {
      version: app.shop?.version ?? 1,
      name: v.name.trim(),
      address: v.address.trim(),
      phone: v.phone.trim(),
      tax_number: v.tax_number.trim(),
      timezone: v.timezone.trim(),
      locale: v.locale.trim(),
    });
    setApp({ shop, shopName: shop.name });
    fill();
  });
}

export function ShopDetails() {
  onMount(async () => {
    try {
      setApp("shop", await call("shop.info"));
    } catch {
      // the frame's copy stays
    }
    fill();
  });
  const owner = () => app.session?.role === "owner";
  return (
    <section class="screen" data-testid="shop-details">
      <h1>Shop details</h1>
      <p class="lead">Printed on receipts and invoices. Dates and amounts show in the format you choose here.</p>
      <form
        class="card wide"
        data-testid="shop-form"
        onSubmit={(e) => {
          e.preventDefault();
          void saveShop();
        }}
      >
        <TextField form={shopForm} name="name" label="Shop name" testid="shop-name" maxLength={100} disabled={!owner()} />
        <TextField form={shopForm} name="address" label="Address" testid="shop-address" multiline maxLength={300} disabled={!owner()} />
        <div class="row">
          <TextField form={shopForm} name="phone" label="Phone" testid="shop-phone" maxLength={40} disabled={!owner()} />
          <TextField form={shopForm} name="tax_number" label="VAT or tax number" testid="shop-tax-number" maxLength={40} disabled={!owner()} />
        </div>
        <div class="row">
          <TextField form={shopForm} name="timezone" label="Time zone" testid="shop-timezone" maxLength={64} hint="For example Europe/London" disabled={!owner()} />
          <TextField form={shopForm} name="locale" label="Date and number format" testid="shop-locale" maxLength={35} hint="For example en-GB or de-DE" disabled={!owner()} />
        </div>
        <p class="muted" data-testid="shop-preview">
          Today reads {shopDate(Date.now())}; an amount reads {shopMoney(490)}. Currency: {app.shop?.currency_code}
          <Show when={app.shop?.country_code}> · Country: {app.shop?.country_code}</Show>
        </p>
        <Show when={owner()} fallback={<p class="muted">Only the owner can change the shop's details.</p>}>
          <div class="actions">
            <button type="submit" class="primary" data-testid="shop-save" disabled={shopForm.busy()}>
              Save
            </button>
          </div>
        </Show>
      </form>
    </section>
  );
}
