// The sale's customer at the till: found as you type by phone (digits with or
// without spaces, "07700"), email, or any part of the name ("patel" finds
// "Priya Patel") — `customers.search` in the core — or created here without
// leaving the sale (name and a phone or an email, then attached).

import { createSignal, For, Show } from "solid-js";
import { call, newIdempotencyKey } from "../../api";
import { TextField } from "../../components/Field";
import { createForm } from "../../forms";
import { fieldError } from "../../money";
import { can, onSignOut } from "../../session";
import { attachCustomer, searchCustomers, till } from "./state";

/** The new-customer form: prefilled from what was typed into the search. */
export const newCustomerForm = createForm("till-new-customer", () => ({ name: "", phone: "", email: "" }));
const [creating, setCreating] = createSignal(false);
let createKey = newIdempotencyKey();

onSignOut(() => {
  setCreating(false);
  newCustomerForm.reset();
  createKey = newIdempotencyKey();
});

/** Digits and phone punctuation only: what was typed is a phone number. */
export function looksLikePhone(text: string): boolean {
  return /^[\d\s()+.-]+$/.test(text.trim()) && /\d/.test(text);
}

/** Opens the form, putting the search text where it belongs (phone, email or name). */
export function startNewCustomer(): void {
  const q = till.customerQuery.trim();
  newCustomerForm.reset();
  createKey = newIdempotencyKey();
  if (looksLikePhone(q)) newCustomerForm.setValues("phone", q);
  else if (q.includes("@")) newCustomerForm.setValues("email", q);
  else newCustomerForm.setValues("name", q);
  setCreating(true);
}

/** `customers.create` with a name and a phone or an email, then attached to the sale. */
export async function createCustomerHere(): Promise<boolean> {
  const ok = await newCustomerForm.submit(async () => {
    const v = newCustomerForm.values;
    const name = v.name.trim();
    const phone = v.phone.trim();
    const email = v.email.trim();
    if (name === "") throw fieldError("name", "enter the customer's name");
    if (phone === "" && email === "") throw fieldError("phone", "enter a phone number or an email, to find them next time");
    const c = await call("customers.create", {
      idempotency_key: createKey,
      name,
      phone: phone === "" ? null : phone,
      email: email === "" ? null : email,
    });
    attachCustomer(c);
  });
  if (ok) {
    createKey = newIdempotencyKey();
    newCustomerForm.reset();
    setCreating(false);
  }
  return ok;
}

export function CustomerPicker() {
  return (
    <div class="card till-customer" data-testid="customer-picker">
      <h2>Customer</h2>
      <Show
        when={till.customer}
        fallback={
          <Show
            when={creating()}
            fallback={
              <>
                <input
                  type="search"
                  autocomplete="off"
                  placeholder="Phone, email or name…"
                  value={till.customerQuery}
                  onInput={(e) => void searchCustomers(e.currentTarget.value)}
                  aria-label="Find a customer"
                  data-testid="till-customer-search"
                />
                <ul class="choices">
                  <For each={till.customerHits}>
                    {(c) => (
                      <li>
                        <button type="button" onClick={() => attachCustomer(c)} data-testid={`till-customer-hit-${c.id}`}>
                          {c.name}
                          <Show when={c.phone}> · {c.phone}</Show>
                          <Show when={!c.phone && c.email}> · {c.email}</Show>
                        </button>
                      </li>
                    )}
                  </For>
                </ul>
                <Show when={can("customers.manage")}>
                  <div class="actions">
                    <button type="button" onClick={startNewCustomer} data-testid="till-customer-new">
                      New customer
                    </button>
                  </div>
                </Show>
              </>
            }
          >
            <form
              data-testid="till-new-customer-form"
              onSubmit={(e) => {
                e.preventDefault();
                void createCustomerHere();
              }}
            >
              <TextField form={newCustomerForm} name="name" label="Name" maxLength={200} autofocus />
              <TextField form={newCustomerForm} name="phone" label="Phone" maxLength={40} />
              <TextField form={newCustomerForm} name="email" label="Email" maxLength={254} />
              <div class="actions">
                <button type="button" onClick={() => setCreating(false)} data-testid="till-new-customer-cancel">
                  Back
                </button>
                <button type="submit" class="primary" data-testid="till-new-customer-save" disabled={newCustomerForm.busy()}>
                  Add and attach
                </button>
              </div>
            </form>
          </Show>
        }
      >
        {(c) => (
          <div class="actions">
            <span data-testid="till-customer" data-customer-id={c().id}>
              {c().name}
              <Show when={c().phone}> · {c().phone}</Show>
            </span>
            <span class="spacer" />
            <button type="button" onClick={() => attachCustomer(null)} data-testid="till-customer-remove">
              Remove
            </button>
          </div>
        )}
      </Show>
    </div>
  );
}
