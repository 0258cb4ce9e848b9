import { For, Match, onMount, Show, Switch } from "solid-js";
import { createStore, reconcile } from "solid-js/store";
import { call, newIdempotencyKey, type Role, TillbookError, type UserView } from "../api";
import { Dialog } from "../components/Dialog";
import { SelectField, TextField } from "../components/Field";
import { formatTime, reportError } from "../errors";
import { createForm } from "../forms";
import { app, can, onSignOut } from "../session";

type DialogState =
  | { kind: "none" }
  | { kind: "create" }
  | { kind: "edit"; user: UserView }
  | { kind: "reset"; user: UserView }
  | { kind: "archive"; user: UserView };

interface UsersState {
  users: UserView[];
  includeArchived: boolean;
  loaded: boolean;
  loading: boolean;
  dialog: DialogState;
}

const initialState = (): UsersState => ({
  users: [],
  includeArchived: false,
  loaded: false,
  loading: false,
  dialog: { kind: "none" },
});

export const [users, setUsers] = createStore<UsersState>(initialState());

export const createUserForm = createForm("user", () => ({
  username: "",
  display_name: "",
  role: "cashier",
  password: "",
  pin: "",
}));
export const editUserForm = createForm("user-edit", () => ({ display_name: "", role: "cashier" }));
export const resetPasswordForm = createForm("user-reset", () => ({ password: "" }));
let createKey = newIdempotencyKey();

onSignOut(() => {
  setUsers(reconcile(initialState()));
  createUserForm.reset();
  editUserForm.reset();
  resetPasswordForm.reset();
});

export const ROLE_LABELS: Record<Role, string> = { owner: "Owner", manager: "Manager", cashier: "Cashier" };

/**
 * Roles the signed-in user may hand out, for the picker only ("nobody creates a
 * role above their own; a manager creates cashiers only"). The core decides.
 */
export function assignableRoles(actor: Role | undefined): Role[] {
  if (actor === "owner") return ["owner", "manager", "cashier"];
  if (actor === "manager") return ["cashier"];
  return [];
}

const PAGE = 200;

export async function loadUsers(): Promise<void> {
  setUsers("loading", true);
  try {
    const all: UserView[] = [];
    let after: number | null = null;
    // Keyset paging until a short page.
    for (let i = 0; i < 100; i++) {
      const page: UserView[] = await call("users.list", {
        include_archived: users.includeArchived,
        after_id: after,
        limit: PAGE,
      });
      all.push(...page);
      if (page.length < PAGE) break;
      after = page[page.length - 1].id;
    }
    setUsers({ users: all, loaded: true });
  } catch (e) {
    reportError(e);
  } finally {
    setUsers("loading", false);
  }
}

function open(d: DialogState) {
  if (d.kind === "create") {
    const roles = assignableRoles(app.session?.role);
    if (!roles.includes(createUserForm.values.role as Role)) createUserForm.setValues("role", roles[0] ?? "cashier");
  } else if (d.kind === "edit") {
    editUserForm.reset();
    editUserForm.setValues({ display_name: d.user.display_name, role: d.user.role });
  } else if (d.kind === "reset") {
    resetPasswordForm.reset();
  }
  setUsers("dialog", d);
}

function close() {
  setUsers("dialog", { kind: "none" });
}

/** After a `conflict`, show the fresh row in the open dialog (keeping what was typed). */
async function refreshDialogUser(id: number) {
  await loadUsers();
  const fresh = users.users.find((u) => u.id === id);
  const d = users.dialog;
  if (fresh && d.kind !== "none" && d.kind !== "create") setUsers("dialog", { ...d, user: fresh });
}

export async function submitCreateUser(): Promise<boolean> {
  const v = createUserForm.values;
  const ok = await createUserForm.submit(async () => {
    await call("users.create", {
      idempotency_key: createKey,
      username: v.username,
      display_name: v.display_name,
      role: v.role as Role,
      password: v.password,
      pin: v.pin === "" ? null : v.pin,
    });
  });
  if (ok) {
    createKey = newIdempotencyKey();
    createUserForm.reset();
    close();
    await loadUsers();
  }
  return ok;
}

async function submitEdit(user: UserView) {
  const v = editUserForm.values;
  const changes: { display_name?: string; role?: Role } = {};
  if (v.display_name !== user.display_name) changes.display_name = v.display_name;
  if (v.role !== user.role) changes.role = v.role as Role;
  let conflict = false;
  const ok = await editUserForm.submit(async () => {
    try {
      await call("users.update", { id: user.id, version: user.version, ...changes });
    } catch (e) {
      conflict = e instanceof TillbookError && e.code === "conflict";
      throw e;
    }
  });
  if (ok) {
    close();
    await loadUsers();
  } else if (conflict) {
    await refreshDialogUser(user.id);
  }
}

async function submitReset(user: UserView) {
  let conflict = false;
  const ok = await resetPasswordForm.submit(async () => {
    try {
      await call("users.reset_password", { id: user.id, version: user.version, password: resetPasswordForm.values.password });
    } catch (e) {
      conflict = e instanceof TillbookError && e.code === "conflict";
      throw e;
    }
  });
  if (ok) {
    resetPasswordForm.reset();
    close();
    await loadUsers();
  } else if (conflict) {
    await refreshDialogUser(user.id);
  }
}

async function submitArchive(user: UserView) {
  try {
    await call("users.archive", { id: user.id, version: user.version });
    close();
  } catch (e) {
    reportError(e);
    if (e instanceof TillbookError && e.code === "conflict") {
      await refreshDialogUser(user.id);
      return;
    }
  }
  await loadUsers();
}

export function Users() {
  onMount(() => void loadUsers());
  const manage = () => can("users.manage");
  const roleOptions = () => assignableRoles(app.session?.role).map((r) => ({ value: r, label: ROLE_LABELS[r] }));
  let createButton: HTMLButtonElement | undefined;
  onMount(() => createButton?.focus());

  return (
    <section class="panel" data-testid="users">
      <div class="toolbar">
        <h1>Users</h1>
        <span class="spacer" />
        <label class="inline">
          <input
            type="checkbox"
            checked={users.includeArchived}
            onChange={(e) => {
              setUsers("includeArchived", e.currentTarget.checked);
              void loadUsers();
            }}
            data-testid="users-include-archived"
          />
          Show archived
        </label>
        <button type="button" onClick={() => void loadUsers()} data-testid="users-refresh" disabled={users.loading}>
          Refresh
        </button>
        <Show when={manage()}>
          <button type="button" class="primary" onClick={() => open({ kind: "create" })} data-testid="users-create" ref={createButton}>
            New user
          </button>
        </Show>
      </div>

      <table class="grid" data-testid="users-table">
        <thead>
          <tr>
            <th>Username</th>
            <th>Name</th>
            <th>Role</th>
            <th>PIN</th>
            <th>Status</th>
            <Show when={manage()}>
              <th>Actions</th>
            </Show>
          </tr>
        </thead>
        <tbody>
          <For
            each={users.users}
            fallback={
              <tr>
                <td colspan="6" class="muted" data-testid="users-empty">
                  {users.loading ? "Loading…" : "No users yet besides you — add your staff with “New user”, each with their own sign-in."}
                </td>
              </tr>
            }
          >
            {(u) => (
              <tr data-testid={`user-row-${u.username}`} classList={{ archived: u.archived }}>
                <td>{u.username}</td>
                <td>{u.display_name}</td>
                <td>{ROLE_LABELS[u.role]}</td>
                <td>{u.has_pin ? "yes" : "—"}</td>
                <td>
                  {u.archived
                    ? "archived"
                    : u.locked_until_ms !== null && u.locked_until_ms > Date.now()
                      ? `locked until ${formatTime(u.locked_until_ms)}`
                      : "active"}
                </td>
                <Show when={manage()}>
                  <td>
                    <div class="row-actions">
                    <Show when={!u.archived}>
                      <button type="button" onClick={() => open({ kind: "edit", user: u })} data-testid={`user-edit-${u.username}`}>
                        Edit
                      </button>
                      <button type="button" onClick={() => open({ kind: "reset", user: u })} data-testid={`user-reset-${u.username}`}>
                        Reset password
                      </button>
                      <Show when={u.id !== app.session?.user_id}>
                        <button type="button" class="danger" onClick={() => open({ kind: "archive", user: u })} data-testid={`user-archive-${u.username}`}>
                          Archive
                        </button>
                      </Show>
                    </Show>
                    </div>
                  </td>
                </Show>
              </tr>
            )}
          </For>
        </tbody>
      </table>

      <Switch>
        <Match when={users.dialog.kind === "create"}>
          <Dialog title="New user" testid="user-create-dialog" onClose={close}>
            <form
              data-testid="user-form"
              onSubmit={(e) => {
                e.preventDefault();
                void submitCreateUser();
              }}
            >
              <div class="row">
                <TextField form={createUserForm} name="username" label="Username" testid="user-username" autofocus hint="a-z, 0-9, . _ -" />
                <TextField form={createUserForm} name="display_name" label="Display name" testid="user-display-name" />
              </div>
              <SelectField form={createUserForm} name="role" label="Role" testid="user-role" options={roleOptions()} />
              <div class="row">
                <TextField form={createUserForm} name="password" label="Password" type="password" testid="user-password" autocomplete="new-password" hint="At least 8 characters" />
                <TextField form={createUserForm} name="pin" label="PIN (optional)" type="password" inputmode="numeric" maxLength={8} testid="user-pin" hint="4 to 8 digits" />
              </div>
              <div class="actions">
                <button type="submit" class="primary" data-testid="user-submit" disabled={createUserForm.busy()}>
                  Create user
                </button>
              </div>
            </form>
          </Dialog>
        </Match>
        <Match when={users.dialog.kind === "edit" && users.dialog}>
          {(d) => (
            <Dialog title={`Edit ${d().user.username}`} testid="user-edit-dialog" onClose={close}>
              <form
                data-testid="user-edit-form"
                onSubmit={(e) => {
                  e.preventDefault();
                  void submitEdit(d().user);
                }}
              >
                <TextField form={editUserForm} name="display_name" label="Display name" testid="edit-display-name" autofocus />
                <SelectField
                  form={editUserForm}
                  name="role"
                  label="Role"
                  testid="edit-role"
                  options={[...new Set<Role>([d().user.role, ...assignableRoles(app.session?.role)])].map((r) => ({
                    value: r,
                    label: ROLE_LABELS[r],
                  }))}
                />
                <p class="muted">Editing version {d().user.version}.</p>
                <div class="actions">
                  <button type="submit" class="primary" data-testid="edit-submit" disabled={editUserForm.busy()}>
                    Save
                  </button>
                </div>
              </form>
            </Dialog>
          )}
        </Match>
        <Match when={users.dialog.kind === "reset" && users.dialog}>
          {(d) => (
            <Dialog title={`New password for ${d().user.username}`} testid="user-reset-dialog" onClose={close}>
              <form
                data-testid="reset-form"
                onSubmit={(e) => {
                  e.preventDefault();
                  void submitReset(d().user);
                }}
              >
                <TextField form={resetPasswordForm} name="password" label="New password" type="password" testid="reset-password" autocomplete="new-password" autofocus hint="At least 8 characters. Also clears a lockout." />
                <div class="actions">
                  <button type="submit" class="primary" data-testid="reset-submit" disabled={resetPasswordForm.busy()}>
                    Set password
                  </button>
                </div>
              </form>
            </Dialog>
          )}
        </Match>
        <Match when={users.dialog.kind === "archive" && users.dialog}>
          {(d) => (
            <Dialog title={`Archive ${d().user.username}?`} testid="user-archive-dialog" onClose={close}>
              <form
                onSubmit={(e) => {
                  e.preventDefault();
                  void submitArchive(d().user);
                }}
              >
                <p>
                  {d().user.display_name} will no longer be able to log in. Their history keeps their name. This cannot be undone
                  here.
                </p>
                <div class="actions">
                  <button type="submit" class="danger" data-testid="archive-confirm">
                    Archive
                  </button>
                  <button type="button" onClick={close} data-testid="archive-cancel">
                    Cancel
                  </button>
                </div>
              </form>
            </Dialog>
          )}
        </Match>
      </Switch>
    </section>
  );
}
