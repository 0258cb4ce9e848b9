import { createResource, createSignal, For, Show } from "solid-js";
import { call, newIdempotencyKey } from "../api";
import { CheckField, SelectField, TextField } from "../components/Field";
import { createForm, focusField } from "../forms";
import type { CountryDefaults } from "../generated/CountryDefaults";
import { login, setApp, setupDone } from "../session";

/** The most tax rates the first-run form shows (a country has at most five). */
export const SETUP_RATE_SLOTS = 6;

function rateSlots(): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < SETUP_RATE_SLOTS; i++) {
    out[`tax_name_${i}`] = "";
    out[`tax_percent_${i}`] = "";
  }
  return out;
}

/** First-run form state: module-level, so nothing typed is lost to an error (T23). */
export const setupForm = createForm("setup", () => ({
  country_code: "",
  shop_name: "",
  currency_code: "EUR",
  currency_scale: "2",
  prices_include_tax: false as boolean,
  address: "",
  phone: "",
  tax_number: "",
  timezone: "",
  locale: "",
  username: "",
  display_name: "",
  password: "",
  password_confirm: "",
  pin: "",
  ...rateSlots(),
}));
// The codes of the rates in the form's slots (from the country picked).
const [rateCodes, setRateCodes] = createSignal<string[]>([]);
// One key per attempt at creating the owner: a retry after a lost answer replays.
let idempotencyKey = newIdempotencyKey();

/** "19" -> 1900, "5,5" -> 550 (basis points); null when not a percentage. */
export function parsePercent(text: string): number | null {
  const t = text.trim().replace(",", ".").replace(/\s*%$/, "");
  if (!/^\d{1,3}(\.\d{1,2})?$/.test(t)) return null;
  const [whole, frac = ""] = t.split(".");
  const bp = Number(whole) * 100 + Number(frac.padEnd(2, "0"));
  return bp <= 10000 ? bp : null;
}

function percentText(bp: number): string {
  return bp % 100 === 0 ? String(bp / 100) : (bp / 100).toFixed(2).replace(/0$/, "");
}

/** Fills the form from a country's defaults; everything stays editable. */
export function applyCountry(c: CountryDefaults | undefined): void {
  if (!c) {
    setupForm.setValues("country_code", "");
    setRateCodes([]);
    return;
  }
  setupForm.setValues({
    country_code: c.code,
    currency_code: c.currency_code,
    currency_scale: String(c.currency_scale),
    prices_include_tax: c.prices_include_tax,
    timezone: c.timezone,
    locale: c.locale,
    ...rateSlots(),
  });
  const rates = c.tax_rates.slice(0, SETUP_RATE_SLOTS);
  const slots: Record<string, string> = {};
  rates.forEach((r, i) => {
    slots[`tax_name_${i}`] = r.name;
    slots[`tax_percent_${i}`] = percentText(r.rate_bp);
  });
  setupForm.setValues(slots);
  setRateCodes(rates.map((r) => r.code));
}

// The core names a rate's field `tax_rates[1].rate_bp`; the form's is `tax_percent_1`.
function mapField(f: string): string {
  const m = /^tax_rates\[(\d+)\]\.(name|rate_bp|code)$/.exec(f);
  if (!m) return f;
  return m[2] === "name" ? `tax_name_${m[1]}` : `tax_percent_${m[1]}`;
}

export async function submitSetup(): Promise<boolean> {
  const v = setupForm.values;
  // The one check the core cannot make: it never sees the confirmation.
  if (v.password !== v.password_confirm) {
    setupForm.clearErrors();
    setupForm.setError("password_confirm", "The two passwords differ.");
    focusField(setupForm.id, "password_confirm");
    return false;
  }
  const rates: { code: string; name: string; rate_bp: number }[] = [];
  for (const [i, code] of rateCodes().entries()) {
    const bp = parsePercent(String(v[`tax_percent_${i}` as keyof typeof v]));
    if (bp === null) {
      setupForm.clearErrors();
      setupForm.setError(`tax_percent_${i}`, "Enter a rate from 0 to 100, like 20 or 5.5.");
      focusField(setupForm.id, `tax_percent_${i}`);
      return false;
    }
    rates.push({ code, name: String(v[`tax_name_${i}` as keyof typeof v]).trim(), rate_bp: bp });
  }
  const username = v.username;
  const password = v.password;
  const ok = await setupForm.submit(
    async () => {
      const scale = Number(v.currency_scale);
      await call("setup.create_owner", {
        idempotency_key: idempotencyKey,
        shop_name: v.shop_name,
        currency_code: v.currency_code.trim().toUpperCase(),
        currency_scale: Number.isInteger(scale) ? scale : 2,
        username: v.username,
        display_name: v.display_name,
        password: v.password,
        pin: v.pin === "" ? null : v.pin,
        country_code: v.country_code,
        prices_include_tax: v.prices_include_tax === true,
        tax_rates: rates,
        address: v.address.trim(),
        phone: v.phone.trim(),
        tax_number: v.tax_number.trim(),
        timezone: v.timezone.trim(),
        locale: v.locale.trim(),
      });
      idempotencyKey = newIdempotencyKey();
    },
    { mapField },
  );
  if (!ok) return false;
  const shopName = v.shop_name;
  setupForm.reset();
  setRateCodes([]);
  // She has just typed her password: sign her in with it.
  try {
    await login(username, password);
    // A new shop starts at Home (what to do first), not at an empty till.
    setApp("screen", "home");
  } catch {
    setupDone(username, shopName);
  }
  return true;
}

export function Setup() {
  const [countries] = createResource(async () => {
    try {
      return (await call("setup.countries")).countries;
    } catch {
      return [] as CountryDefaults[];
    }
  });
  const options = () => [
    { value: "", label: "Choose your country" },
    ...(countries() ?? []).map((c) => ({ value: c.code, label: c.name })),
  ];
  return (
    <main class="center-page">
      <form
        class="card wide"
        data-testid="setup-form"
        onSubmit={(e) => {
          e.preventDefault();
          void submitSetup();
        }}
      >
        <h1>Welcome to Tillbook</h1>
        <p class="lead">Create your shop and its owner account. You can change the shop's details and tax rates later.</p>
        <fieldset>
          <legend>Shop</legend>
          <div
            onChange={(e) => {
              const t = e.target as HTMLSelectElement;
              if (t.name === "country_code") applyCountry((countries() ?? []).find((c) => c.code === t.value));
            }}
          >
            <SelectField
              form={setupForm}
              name="country_code"
              label="Country"
              testid="setup-country"
              options={options()}
              hint="Fills in the currency, tax rates, time zone and date format; you can change each."
            />
          </div>
          <TextField form={setupForm} name="shop_name" label="Shop name" testid="setup-shop-name" autofocus maxLength={100} />
          <TextField
            form={setupForm}
            name="address"
            label="Address (printed on receipts and invoices)"
            testid="setup-address"
            multiline
            maxLength={300}
          />
          <div class="row">
            <TextField form={setupForm} name="phone" label="Phone" testid="setup-phone" maxLength={40} />
            <TextField form={setupForm} name="tax_number" label="VAT or tax number" testid="setup-tax-number" maxLength={40} />
          </div>
          <div class="row">
            <TextField
              form={setupForm}
              name="currency_code"
              label="Currency"
              testid="setup-currency-code"
              maxLength={3}
              hint="For example EUR, GBP, USD"
            />
            <TextField
              form={setupForm}
              name="currency_scale"
              label="Decimal places"
              testid="setup-currency-scale"
              type="number"
              min={0}
              max={4}
              inputmode="numeric"
            />
          </div>
          <div class="row">
            <TextField form={setupForm} name="timezone" label="Time zone" testid="setup-timezone" maxLength={64} hint="For example Europe/London" />
            <TextField
              form={setupForm}
              name="locale"
              label="Date and number format"
              testid="setup-locale"
              maxLength={35}
              hint="For example en-GB (04/12/2026, £4.90) or de-DE (04.12.2026, 4,90 €)"
            />
          </div>
        </fieldset>
        <fieldset data-testid="setup-tax">
          <legend>Tax</legend>
          <CheckField
            form={setupForm}
            name="prices_include_tax"
            label="Shelf prices include tax (VAT)"
            testid="setup-prices-include-tax"
          />
          <Show when={rateCodes().length > 0} fallback={<p class="muted">Pick your country to fill in its tax rates; you can add more later under Tax rates.</p>}>
            <For each={rateCodes()}>
              {(_code, i) => (
                <div class="row" data-testid={`setup-rate-${i()}`}>
                  <TextField form={setupForm} name={`tax_name_${i()}`} label="Rate name" testid={`setup-rate-name-${i()}`} maxLength={60} />
                  <TextField
                    form={setupForm}
                    name={`tax_percent_${i()}`}
                    label="Rate (%)"
                    testid={`setup-rate-percent-${i()}`}
                    inputmode="text"
                    maxLength={6}
                  />
                </div>
              )}
            </For>
          </Show>
        </fieldset>
        <fieldset>
          <legend>Owner</legend>
          <div class="row">
            <TextField form={setupForm} name="username" label="Username" testid="setup-username" autocomplete="username" hint="a-z, 0-9, . _ -" />
            <TextField form={setupForm} name="display_name" label="Your name" testid="setup-display-name" />
          </div>
          <div class="row">
            <TextField form={setupForm} name="password" label="Password" type="password" testid="setup-password" autocomplete="new-password" hint="At least 8 characters" />
            <TextField form={setupForm} name="password_confirm" label="Password again" type="password" testid="setup-password-confirm" autocomplete="new-password" />
          </div>
          <TextField
            form={setupForm}
            name="pin"
            label="PIN (optional)"
            type="password"
            inputmode="numeric"
            testid="setup-pin"
            maxLength={8}
            hint="4 to 8 digits, to unlock the till quickly"
          />
        </fieldset>
        <div class="actions">
          <button type="submit" class="primary" data-testid="setup-submit" disabled={setupForm.busy()}>
            Create shop
          </button>
        </div>
      </form>
    </main>
  );
}
