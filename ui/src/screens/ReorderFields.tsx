// The product form's reorder part: when to reorder (a reorder point), how much
// (a reorder quantity, in the product's unit: kg to 3 decimals), from whom (a
// preferred vendor picked by name) and whether receiving asks for an expiry
// date. Kept out of Products.tsx so that screen's edits stay small.

import { createSignal } from "solid-js";
import { call, type ProductView } from "../api";
import { CheckField, SelectField, TextField } from "../components/Field";
import { createForm } from "../forms";
import { fieldError } from "../money";
import { formatQuantity, parseQuantity } from "../logic/quantity";

/** Decimals of a unit, as the core's `Unit::decimals` (kg, l 3; m 2; the rest 0). */
const UNIT_DECIMALS: Partial<Record<string, number>> = { kg: 3, l: 3, m: 2 };

export const reorderFields = () => ({
  reorder_point: "",
  reorder_quantity: "",
  preferred_vendor: "",
  track_expiry: false as boolean,
});
export type ReorderValues = ReturnType<typeof reorderFields>;
/** Its own form, so the product form's type (shared with the till's quick add) is unchanged. */
export const reorderForm = createForm("reorder", reorderFields);

/** Active vendors by name, for the picker (loaded when a product form opens). */
const [vendors, setVendors] = createSignal<{ value: string; label: string }[]>([]);

export async function loadVendorChoices(): Promise<void> {
  try {
    const list = await call("vendors.search", { prefix: "", limit: 200 });
    setVendors(list.map((v) => ({ value: String(v.id), label: v.name })));
  } catch {
    // Without vendors.manage the picker offers only "none"; the rest of the form works.
    setVendors([]);
  }
}

export function reorderValuesOf(p: ProductView): ReorderValues {
  const d = p.quantity_decimals;
  return {
    reorder_point: p.reorder_point === null ? "" : formatQuantity(p.reorder_point, d),
    reorder_quantity: p.reorder_quantity === null ? "" : formatQuantity(p.reorder_quantity, d),
    preferred_vendor: p.preferred_vendor_id === null ? "" : String(p.preferred_vendor_id),
    track_expiry: p.track_expiry,
  };
}

function quantityOf(field: "reorder_point" | "reorder_quantity", text: string, unit: string): number | null {
  if (text.trim() === "") return null;
  const decimals = UNIT_DECIMALS[unit] ?? 0;
  const q = parseQuantity(text, decimals);
  if (q === null) throw fieldError(field, decimals > 0 ? `enter an amount like ${formatQuantity(2500, decimals)}` : "enter a whole number");
  return q;
}

/** The reorder fields as `catalog.create_product` arguments. */
export function reorderCreateArgs(v: ReorderValues, unit: string) {
  return {
    reorder_point: quantityOf("reorder_point", v.reorder_point, unit),
    reorder_quantity: quantityOf("reorder_quantity", v.reorder_quantity, unit),
    preferred_vendor_id: v.preferred_vendor === "" ? null : Number(v.preferred_vendor),
    track_expiry: v.track_expiry,
  };
}

/** Only what changed, as `catalog.update_product` fields. */
export function reorderChanges(p: ProductView, v: ReorderValues, unit: string) {
  const out: {
    reorder_point?: number | null;
    reorder_quantity?: number | null;
    clear_reorder?: boolean;
    preferred_vendor_id?: number | null;
    track_expiry?: boolean;
  } = {};
  const point = quantityOf("reorder_point", v.reorder_point, unit);
  const quantity = quantityOf("reorder_quantity", v.reorder_quantity, unit);
  if (point === null && quantity === null) {
    if (p.reorder_point !== null || p.reorder_quantity !== null) out.clear_reorder = true;
  } else {
    if (point !== p.reorder_point && point !== null) out.reorder_point = point;
    if (quantity !== p.reorder_quantity && quantity !== null) out.reorder_quantity = quantity;
  }
  const vendor = v.preferred_vendor === "" ? null : Number(v.preferred_vendor);
  if (vendor !== p.preferred_vendor_id) out.preferred_vendor_id = vendor ?? 0;
  if (v.track_expiry !== p.track_expiry) out.track_expiry = v.track_expiry;
  return out;
}

export function ReorderFields(props: { form: typeof reorderForm; unit: string }) {
  const unit = () => props.unit;
  const hint = () => ((UNIT_DECIMALS[unit()] ?? 0) > 0 ? `in ${unit()}, e.g. 2.500` : "how many");
  const options = () => {
    const current = String(props.form.values.preferred_vendor ?? "");
    const list = [{ value: "", label: "No preferred vendor" }, ...vendors()];
    return current !== "" && !list.some((o) => o.value === current) ? [...list, { value: current, label: "(a vendor no longer used)" }] : list;
  };
  return (
    <fieldset data-testid="reorder-fields">
      <legend>Reordering</legend>
      <div class="row">
        <TextField form={props.form} name="reorder_point" label="Reorder when down to" inputmode="numeric" hint={`${hint()}; empty: never low`} />
        <TextField form={props.form} name="reorder_quantity" label="Order this much" inputmode="numeric" hint={`${hint()}; empty: enough for twice the reorder point`} />
      </div>
      <SelectField form={props.form} name="preferred_vendor" label="Order from" options={options()} />
      <CheckField form={props.form} name="track_expiry" label="Track expiry dates (receiving asks for the date)" />
    </fieldset>
  );
}
