import { For, onMount, Show } from "solid-js";
import { createStore } from "solid-js/store";
import { call, type StaffTile } from "../api";
import { TextField } from "../components/Field";
import { createForm, focusField } from "../forms";
import { app, login, onSignOut, pinLogin } from "../session";

export const loginForm = createForm("login", () => ({ username: "", password: "" }));
onSignOut(() => loginForm.setValues("password", ""));

/**
 * Staff sign-in by PIN on a shared till (settings.staff_pin_sign_in): the
 * active users with a PIN as tiles; tap a name, type the PIN. The PIN is
 * checked by the core against its hash, with the same lockout as passwords.
 */
interface PinState {
  tiles: StaffTile[];
  /** The tapped tile (null: the tiles, or the password form). */
  picked: StaffTile | null;
  /** The password form instead of the tiles. */
  usePassword: boolean;
}

export const [pinSignIn, setPinSignIn] = createStore<PinState>({ tiles: [], picked: null, usePassword: false });
export const pinForm = createForm("login-pin", () => ({ pin: "" }));
onSignOut(() => {
  pinForm.setValues("pin", "");
  setPinSignIn({ picked: null, usePassword: false });
});

export async function loadTiles(): Promise<void> {
  try {
    const list = await call("auth.staff", {});
    setPinSignIn("tiles", list.enabled ? list.staff : []);
  } catch {
    // Tiles are a shortcut: the password form is always there.
    setPinSignIn("tiles", []);
  }
}

export async function submitPin(): Promise<boolean> {
  const who = pinSignIn.picked;
  if (!who) return false;
  const ok = await pinForm.submit(() => pinLogin(who.user_id, pinForm.values.pin.trim()));
  pinForm.setValues("pin", "");
  if (!ok) focusField(pinForm.id, "pin");
  return ok;
}

export async function submitLogin(): Promise<boolean> {
  const ok = await loginForm.submit(() => login(loginForm.values.username, loginForm.values.password));
  // The password never stays in memory longer than the attempt.
  loginForm.setValues("password", "");
  if (!ok) focusField(loginForm.id, "password");
  return ok;
}

export function Login() {
  if (!loginForm.values.username && app.lastUsername) loginForm.setValues("username", app.lastUsername);
  const focusPassword = () => loginForm.values.username !== "";
  onMount(() => void loadTiles());
  return (
    <main class="center-page">
      <Show when={pinSignIn.tiles.length > 0 && !pinSignIn.usePassword} fallback={<PasswordForm focusPassword={focusPassword()} />}>
        <div class="card" data-testid="login-tiles">
          <h1>{app.shopName ?? "Tillbook"}</h1>
          <Show when={app.notice}>
            <p class="notice" role="status" data-testid="login-notice">
              {app.notice}
            </p>
          </Show>
          <Show
            when={pinSignIn.picked}
            fallback={
              <>
                <p class="lead">Who is at the till?</p>
                <div class="tiles">
                  <For each={pinSignIn.tiles}>
                    {(t) => (
                      <button type="button" class="tile" data-testid={`login-tile-${t.user_id}`} onClick={() => setPinSignIn("picked", t)}>
                        {t.display_name}
                        <span class="role">{t.role}</span>
                      </button>
                    )}
                  </For>
                </div>
              </>
            }
          >
            {(t) => (
              <form
                data-testid="login-pin-form"
                onSubmit={(e) => {
                  e.preventDefault();
                  void submitPin();
                }}
              >
                <p class="lead">
                  <span data-testid="login-pin-user">{t().display_name}</span>: type your PIN.
                </p>
                <TextField form={pinForm} name="pin" label="PIN" type="password" inputmode="numeric" autocomplete="off" autofocus />
                <div class="actions">
                  <button type="button" onClick={() => setPinSignIn("picked", null)} data-testid="login-pin-back">
                    Back
                  </button>
                  <button type="submit" class="primary" data-testid="login-pin-submit" disabled={pinForm.busy()}>
                    Sign in
                  </button>
                </div>
              </form>
            )}
          </Show>
          <div class="actions">
            <button type="button" class="link" onClick={() => setPinSignIn({ usePassword: true, picked: null })} data-testid="login-use-password">
              Log in with a password
            </button>
          </div>
        </div>
      </Show>
    </main>
  );
}

function PasswordForm(props: { focusPassword: boolean }) {
  const focusPassword = () => props.focusPassword;
  return (
    <>
      <form
        class="card"
        data-testid="login-form"
        onSubmit={(e) => {
          e.preventDefault();
          void submitLogin();
        }}
      >
        <h1>{app.shopName ?? "Tillbook"}</h1>
        <p class="lead">Log in to the till.</p>
        <Show when={app.notice}>
          <p class="notice" role="status" data-testid="login-notice">
            {app.notice}
          </p>
        </Show>
        <TextField form={loginForm} name="username" label="Username" testid="login-username" autocomplete="username" autofocus={!focusPassword()} />
        <TextField
          form={loginForm}
          name="password"
          label="Password"
          type="password"
          testid="login-password"
          autocomplete="current-password"
          autofocus={focusPassword()}
        />
        <div class="actions">
          <button type="submit" class="primary" data-testid="login-submit" disabled={loginForm.busy()}>
            Log in
          </button>
        </div>
      </form>
    </>
  );
}
