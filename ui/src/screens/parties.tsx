// Customers and vendors share their contact details, search, create, edit and
// archive (`customers.*` / `vendors.*` take the same arguments). This module
// holds that part once; Customers.tsx and Vendors.tsx add credit and payments.

import { For, Match, Show, Switch, type JSX } from "solid-js";
import { createStore, reconcile, type SetStoreFunction } from "solid-js/store";
import { call, newIdempotencyKey, TillbookError, type CustomerView, type VendorView } from "../api";
import { Dialog } from "../components/Dialog";
import { TextField } from "../components/Field";
import { reportError } from "../errors";
import { autofocus, createForm, type Form } from "../forms";
import type { PartyContactsRequest } from "../generated/PartyContactsRequest";
import { latestOnly } from "../logic/seq";
import { formatMoney } from "../money";
import { onSignOut } from "../session";

export type PartyKind = "customer" | "vendor";
type PartyView = CustomerView | VendorView;

export interface PartyState<P extends PartyView> {
  prefix: string;
  includeArchived: boolean;
  rows: P[];
  more: boolean;
  loading: boolean;
  dialog: { kind: "none" } | { kind: "create" } | { kind: "edit"; row: P } | { kind: "archive"; row: P };
}

export const PARTY_PAGE = 50;

export type ContactValues = { name: string; phone: string; email: string; tax_id: string; notes: string };
const emptyContacts = (): ContactValues => ({ name: "", phone: "", email: "", tax_id: "", notes: "" });

/** The contact form as arguments: empty optional fields are left out (= none / cleared). */
export function contactArgs(v: ContactValues): PartyContactsRequest {
  const args: PartyContactsRequest = { name: v.name.trim() };
  if (v.phone.trim() !== "") args.phone = v.phone.trim();
  if (v.email.trim() !== "") args.email = v.email.trim();
  if (v.tax_id.trim() !== "") args.tax_id = v.tax_id.trim();
  if (v.notes.trim() !== "") args.notes = v.notes.trim();
  return args;
}

export interface Party<P extends PartyView> {
  kind: PartyKind;
  state: PartyState<P>;
  setState: SetStoreFunction<PartyState<P>>;
  createForm: Form<ContactValues>;
  editForm: Form<ContactValues>;
  load(more?: boolean): Promise<void>;
  /** Replace one row with a fresh copy from the core. */
  refreshRow(id: number): Promise<P | undefined>;
  close(): void;
}

export function createParty<P extends PartyView>(kind: PartyKind): Party<P> {
  const initial = (): PartyState<P> => ({ prefix: "", includeArchived: false, rows: [], more: false, loading: false, dialog: { kind: "none" } });
  const [state, setState] = createStore<PartyState<P>>(initial());
  const create = createForm(kind, emptyContacts);
  const edit = createForm(`${kind}-edit`, emptyContacts);
  const seq = latestOnly();
  const cmd = kind === "customer" ? ("customers" as const) : ("vendors" as const);

  onSignOut(() => {
    setState(reconcile(initial()));
    create.reset();
    edit.reset();
  });

  const party: Party<P> = {
    kind,
    state,
    setState,
    createForm: create,
    editForm: edit,
    async load(more = false) {
      const token = seq.next();
      const last = more ? state.rows[state.rows.length - 1] : undefined;
      setState("loading", true);
      try {
        const page = (await call(`${cmd}.search`, {
          prefix: state.prefix.trim(),
          include_archived: state.includeArchived,
          after_name: last ? last.name : null,
          after_id: last ? last.id : null,
          limit: PARTY_PAGE,
        })) as P[];
        if (!seq.isLatest(token)) return;
        setState({ rows: (more ? [...state.rows, ...page] : page) as P[], more: page.length === PARTY_PAGE });
      } catch (e) {
        if (seq.isLatest(token)) reportError(e);
      } finally {
        if (seq.isLatest(token)) setState("loading", false);
      }
    },
    async refreshRow(id) {
      try {
        const fresh = (await call(`${cmd}.get`, { id })) as P;
        setState("rows", (rows) => rows.map((r) => (r.id === id ? fresh : r)) as P[]);
        return fresh;
      } catch (e) {
        reportError(e);
        return undefined;
      }
    },
    close() {
      setState("dialog", { kind: "none" });
    },
  };
  return party;
}

let createKeys: Record<PartyKind, string> = { customer: newIdempotencyKey(), vendor: newIdempotencyKey() };
onSignOut(() => {
  createKeys = { customer: newIdempotencyKey(), vendor: newIdempotencyKey() };
});

export async function submitCreateParty<P extends PartyView>(party: Party<P>): Promise<boolean> {
  const cmd = party.kind === "customer" ? "customers.create" : "vendors.create";
  const ok = await party.createForm.submit(async () => {
    await call(cmd, { idempotency_key: createKeys[party.kind], ...contactArgs(party.createForm.values) });
  });
  if (ok) {
    createKeys[party.kind] = newIdempotencyKey();
    party.setState("prefix", party.createForm.values.name.trim());
    party.createForm.reset();
    party.close();
    await party.load();
  }
  return ok;
}

async function submitEdit<P extends PartyView>(party: Party<P>, row: P) {
  const cmd = party.kind === "customer" ? "customers.update" : "vendors.update";
  let conflict = false;
  const ok = await party.editForm.submit(async () => {
    try {
      await call(cmd, { id: row.id, version: row.version, ...contactArgs(party.editForm.values) });
    } catch (e) {
      conflict = e instanceof TillbookError && e.code === "conflict";
      throw e;
    }
  });
  if (ok) {
    party.close();
    await party.refreshRow(row.id);
  } else if (conflict) {
    const fresh = await party.refreshRow(row.id);
    if (fresh) party.setState("dialog", { kind: "edit", row: fresh });
  }
}

async function submitArchive<P extends PartyView>(party: Party<P>, row: P) {
  const cmd = party.kind === "customer" ? "customers.archive" : "vendors.archive";
  try {
    await call(cmd, { id: row.id, version: row.version });
    party.close();
    await party.load();
  } catch (e) {
    reportError(e);
    await party.refreshRow(row.id);
  }
}

export function openEdit<P extends PartyView>(party: Party<P>, row: P) {
  party.editForm.reset();
  party.editForm.setValues({
    name: row.name,
    phone: row.phone ?? "",
    email: row.email ?? "",
    tax_id: row.tax_id ?? "",
    notes: row.notes,
  });
  party.setState("dialog", { kind: "edit", row });
}

function ContactFields(props: { form: Form<ContactValues> }) {
  return (
    <>
      <TextField form={props.form} name="name" label="Name" autofocus />
      <div class="row">
        <TextField form={props.form} name="phone" label="Phone" />
        <TextField form={props.form} name="email" label="Email" />
      </div>
      <TextField form={props.form} name="tax_id" label="Tax id" />
      <TextField form={props.form} name="notes" label="Notes" multiline maxLength={2000} />
    </>
  );
}

/**
 * The list screen: search box (as-you-type name prefix), table, create/edit/archive
 * dialogs. `columns`/`cells` add the kind's own columns, `actions` its row buttons.
 */
export function PartyScreen<P extends PartyView>(props: {
  party: Party<P>;
  title: string;
  manage: boolean;
  columns: JSX.Element;
  cells: (row: P) => JSX.Element;
  actions: (row: P) => JSX.Element;
  children?: JSX.Element;
}) {
  const p = props.party;
  const k = p.kind;
  return (
    <section class="panel" data-testid={`${k}s`}>
      <div class="toolbar">
        <h1>{props.title}</h1>
        <span class="spacer" />
        <label class="inline">
          <input
            type="checkbox"
            checked={p.state.includeArchived}
            onChange={(e) => {
              p.setState("includeArchived", e.currentTarget.checked);
              void p.load();
            }}
            data-testid={`${k}s-include-archived`}
          />
          Show archived
        </label>
        <Show when={props.manage}>
          <button type="button" class="primary" onClick={() => p.setState("dialog", { kind: "create" })} data-testid={`${k}s-create`}>
            New {k}
          </button>
        </Show>
      </div>
      <form class="filters search" onSubmit={(e) => (e.preventDefault(), void p.load())}>
        <div class="field">
          <label for={`${k}s-search`}>Name starts with</label>
          <input
            id={`${k}s-search`}
            type="search"
            autocomplete="off"
            value={p.state.prefix}
            onInput={(e) => {
              p.setState("prefix", e.currentTarget.value);
              void p.load();
            }}
            onChange={(e) => p.setState("prefix", e.currentTarget.value)}
            data-testid={`${k}s-search`}
            ref={autofocus}
          />
        </div>
      </form>
      <table class="grid" data-testid={`${k}s-table`}>
        <thead>
          <tr>
            <th>#</th>
            <th>Name</th>
            <th>Phone</th>
            <th>Email</th>
            <th class="num">Balance</th>
            {props.columns}
            <th>Actions</th>
          </tr>
        </thead>
        <tbody>
          <For
            each={p.state.rows}
            fallback={
              <tr>
                <td colspan="9" class="muted" data-testid={`${k}s-empty`}>
                  {p.state.loading ? "Loading…" : emptyPartyText(k, p.state.prefix.trim() !== "")}
                </td>
              </tr>
            }
          >
            {(row) => (
              <tr data-testid={`${k}-row-${row.id}`} data-name={row.name} classList={{ archived: row.archived }}>
                <td>{row.id}</td>
                <td>{row.name}</td>
                <td>{row.phone ?? "—"}</td>
                <td>{row.email ?? "—"}</td>
                <td class="num">{formatMoney(row.balance_minor)}</td>
                {props.cells(row)}
                <td>
                  <div class="row-actions">
                    <Show when={props.manage && !row.archived}>
                      <button type="button" onClick={() => openEdit(p, row)} data-testid={`${k}-edit-${row.id}`}>
                        Edit
                      </button>
                    </Show>
                    {props.actions(row)}
                    <Show when={props.manage && !row.archived}>
                      <button type="button" class="danger" onClick={() => p.setState("dialog", { kind: "archive", row })} data-testid={`${k}-archive-${row.id}`}>
                        Archive
                      </button>
                    </Show>
                  </div>
                </td>
              </tr>
            )}
          </For>
        </tbody>
      </table>
      <Show when={p.state.more}>
        <button type="button" onClick={() => void p.load(true)} data-testid={`${k}s-more`}>
          More
        </button>
      </Show>

      <Switch>
        <Match when={p.state.dialog.kind === "create"}>
          <Dialog title={`New ${k}`} testid={`${k}-create-dialog`} onClose={p.close}>
            <form data-testid={`${k}-form`} onSubmit={(e) => (e.preventDefault(), void submitCreateParty(p))}>
              <ContactFields form={p.createForm} />
              <div class="actions">
                <button type="submit" class="primary" data-testid={`${k}-submit`} disabled={p.createForm.busy()}>
                  Create {k}
                </button>
              </div>
            </form>
          </Dialog>
        </Match>
        <Match when={p.state.dialog.kind === "edit" && p.state.dialog}>
          {(d) => (
            <Dialog title={`Edit ${d().row.name}`} testid={`${k}-edit-dialog`} onClose={p.close}>
              <form data-testid={`${k}-edit-form`} onSubmit={(e) => (e.preventDefault(), void submitEdit(p, d().row as P))}>
                <ContactFields form={p.editForm} />
                <p class="muted">Editing version {d().row.version}. Empty fields are cleared.</p>
                <div class="actions">
                  <button type="submit" class="primary" data-testid={`${k}-edit-submit`} disabled={p.editForm.busy()}>
                    Save
                  </button>
                </div>
              </form>
            </Dialog>
          )}
        </Match>
        <Match when={p.state.dialog.kind === "archive" && p.state.dialog}>
          {(d) => (
            <Dialog title={`Archive ${d().row.name}?`} testid={`${k}-archive-dialog`} onClose={p.close}>
              <form onSubmit={(e) => (e.preventDefault(), void submitArchive(p, d().row as P))}>
                <p>{d().row.name} leaves search; their history stays. This cannot be undone here.</p>
                <div class="actions">
                  <button type="submit" class="danger" data-testid={`${k}-archive-confirm`} ref={autofocus}>
                    Archive
                  </button>
                  <button type="button" onClick={p.close} data-testid={`${k}-archive-cancel`}>
                    Cancel
                  </button>
                </div>
              </form>
            </Dialog>
          )}
        </Match>
      </Switch>
      {props.children}
    </section>
  );
}

/** What an empty customer or vendor list says to do next. */
export function emptyPartyText(kind: string, searching: boolean): string {
  if (searching) return `No ${kind} has a name starting like that — check the spelling, or add them with “New ${kind}”.`;
  return kind === "customer"
    ? "No customers yet — add one with “New customer” to sell on account, give loyalty points or send invoices."
    : "No vendors yet — add the suppliers you buy from with “New vendor”, then receive their goods here.";
}
