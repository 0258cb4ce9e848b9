import { Show } from "solid-js";
import { TextField } from "../components/Field";
import { createForm, focusField } from "../forms";
import { app, logout, onSignOut, unlock } from "../session";

export const unlockForm = createForm("unlock", () => ({ mode: "pin", pin: "", password: "" }));
onSignOut(() => unlockForm.reset());

export async function submitUnlock(): Promise<boolean> {
  const v = unlockForm.values;
  const ok = await unlockForm.submit(
    async () => {
      await unlock(v.mode === "pin" ? { pin: v.pin } : { password: v.password });
    },
    // A wrong PIN or password is shown beside the field; an account lock goes to the banner.
    {
      mapField: (f) => (f === "pin" || f === "password" ? v.mode : f),
      fieldFor: (err) => (err.code === "unauthenticated" ? v.mode : undefined),
    },
  );
  unlockForm.setValues({ pin: "", password: "" });
  if (!ok) focusField(unlockForm.id, unlockForm.values.mode === "pin" ? "pin" : "password");
  return ok;
}

/** Shown over the untouched main frame when the session is idle-locked. */
export function LockScreen() {
  const switchMode = () => {
    const next = unlockForm.values.mode === "pin" ? "password" : "pin";
    unlockForm.setValues({ mode: next, pin: "", password: "" });
    unlockForm.clearErrors();
    focusField(unlockForm.id, next);
  };
  return (
    <div class="lock-backdrop" data-testid="lock-screen">
      <form
        class="card"
        role="dialog"
        aria-modal="true"
        aria-labelledby="lock-title"
        data-testid="unlock-form"
        onSubmit={(e) => {
          e.preventDefault();
          void submitUnlock();
        }}
      >
        <h1 id="lock-title">Till locked</h1>
        <p class="lead" data-testid="lock-user">
          Locked by <strong>{app.session?.display_name}</strong> ({app.session?.username}). Unlock to carry on where you
          left off.
        </p>
        <Show
          when={unlockForm.values.mode === "pin"}
          fallback={
            <TextField form={unlockForm} name="password" label="Password" type="password" testid="unlock-password" autocomplete="current-password" autofocus />
          }
        >
          <TextField form={unlockForm} name="pin" label="PIN" type="password" inputmode="numeric" maxLength={8} testid="unlock-pin" autofocus />
        </Show>
        <div class="actions">
          <button type="submit" class="primary" data-testid="unlock-submit" disabled={unlockForm.busy()}>
            Unlock
          </button>
          <button type="button" onClick={switchMode} data-testid="unlock-switch">
            {unlockForm.values.mode === "pin" ? "Use password instead" : "Use PIN instead"}
          </button>
          <button type="button" class="danger" onClick={() => void logout()} data-testid="unlock-logout">
            Log out
          </button>
        </div>
      </form>
    </div>
  );
}
