import { call } from "../api";
import { TextField } from "../components/Field";
import { createForm, focusField } from "../forms";
import { onSignOut } from "../session";
import { createSignal, Show } from "solid-js";

export const passwordForm = createForm("account-pw", () => ({ current_password: "", new_password: "", confirm: "" }));
export const pinForm = createForm("account-pin", () => ({ password: "", pin: "" }));
const [done, setDone] = createSignal<string | null>(null);
onSignOut(() => {
  passwordForm.reset();
  pinForm.reset();
  setDone(null);
});

async function changePassword() {
  const v = passwordForm.values;
  setDone(null);
  if (v.new_password !== v.confirm) {
    passwordForm.clearErrors();
    passwordForm.setError("confirm", "The two passwords differ.");
    focusField(passwordForm.id, "confirm");
    return;
  }
  const ok = await passwordForm.submit(
    async () => {
      await call("auth.change_password", { current_password: v.current_password, new_password: v.new_password });
    },
    { fieldFor: (err) => (err.code === "unauthenticated" ? "current_password" : undefined) },
  );
  if (ok) {
    passwordForm.reset();
    setDone("Your password was changed.");
  }
}

async function setPin(remove: boolean) {
  const v = pinForm.values;
  setDone(null);
  const ok = await pinForm.submit(
    async () => {
      await call("auth.set_pin", { password: v.password, pin: remove ? null : v.pin });
    },
    { fieldFor: (err) => (err.code === "unauthenticated" ? "password" : undefined) },
  );
  if (ok) {
    pinForm.reset();
    setDone(remove ? "Your PIN was removed." : "Your PIN was set.");
  }
}

export function Account() {
  return (
    <section class="panel" data-testid="account">
      <h1>My account</h1>
      <Show when={done()}>
        <p class="notice" role="status" data-testid="account-done">
          {done()}
        </p>
      </Show>
      <div class="columns">
        <form
          class="card"
          data-testid="account-password-form"
          onSubmit={(e) => {
            e.preventDefault();
            void changePassword();
          }}
        >
          <h2>Change password</h2>
          <TextField form={passwordForm} name="current_password" label="Current password" type="password" autocomplete="current-password" autofocus />
          <TextField form={passwordForm} name="new_password" label="New password" type="password" autocomplete="new-password" hint="At least 8 characters" />
          <TextField form={passwordForm} name="confirm" label="New password again" type="password" autocomplete="new-password" />
          <div class="actions">
            <button type="submit" class="primary" data-testid="account-password-submit" disabled={passwordForm.busy()}>
              Change password
            </button>
          </div>
        </form>
        <form
          class="card"
          data-testid="account-pin-form"
          onSubmit={(e) => {
            e.preventDefault();
            void setPin(false);
          }}
        >
          <h2>Quick-unlock PIN</h2>
          <TextField form={pinForm} name="password" label="Your password" type="password" autocomplete="current-password" />
          <TextField form={pinForm} name="pin" label="New PIN" type="password" inputmode="numeric" maxLength={8} hint="4 to 8 digits" />
          <div class="actions">
            <button type="submit" class="primary" data-testid="account-pin-submit" disabled={pinForm.busy()}>
              Set PIN
            </button>
            <button type="button" onClick={() => void setPin(true)} data-testid="account-pin-remove" disabled={pinForm.busy()}>
              Remove PIN
            </button>
          </div>
        </form>
      </div>
    </section>
  );
}
