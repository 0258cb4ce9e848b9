import { Show } from "solid-js";
import { TextField } from "../components/Field";
import { createForm, focusField } from "../forms";
import { app, login, onSignOut } from "../session";

export const loginForm = createForm("login", () => ({ username: "", password: "" }));
onSignOut(() => loginForm.setValues("password", ""));

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
  return (
    <main class="center-page">
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
    </main>
  );
}
