import { call, newIdempotencyKey } from "../api";
import { TextField } from "../components/Field";
import { createForm, focusField } from "../forms";
import { setupDone } from "../session";

/** First-run form state: module-level, so nothing typed is lost to an error (T23). */
export const setupForm = createForm("setup", () => ({
  shop_name: "",
  currency_code: "EUR",
  currency_scale: "2",
  username: "",
  display_name: "",
  password: "",
  password_confirm: "",
  pin: "",
}));
// One key per attempt at creating the owner: a retry after a lost answer replays.
let idempotencyKey = newIdempotencyKey();

export async function submitSetup(): Promise<boolean> {
  const v = setupForm.values;
  // The one check the core cannot make: it never sees the confirmation.
  if (v.password !== v.password_confirm) {
    setupForm.clearErrors();
    setupForm.setError("password_confirm", "The two passwords differ.");
    focusField(setupForm.id, "password_confirm");
    return false;
  }
  return setupForm.submit(async () => {
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
    });
    idempotencyKey = newIdempotencyKey();
    const username = v.username;
    const shopName = v.shop_name;
    setupForm.reset();
    setupDone(username, shopName);
  });
}

export function Setup() {
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
        <p class="lead">Create your shop and its owner account. You can add staff after logging in.</p>
        <fieldset>
          <legend>Shop</legend>
          <TextField form={setupForm} name="shop_name" label="Shop name" testid="setup-shop-name" autofocus maxLength={100} />
          <div class="row">
            <TextField
              form={setupForm}
              name="currency_code"
              label="Currency (ISO code)"
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
        </fieldset>
        <fieldset>
          <legend>Owner</legend>
          <div class="row">
            <TextField form={setupForm} name="username" label="Username" testid="setup-username" autocomplete="username" hint="a-z, 0-9, . _ -" />
            <TextField form={setupForm} name="display_name" label="Display name" testid="setup-display-name" />
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
