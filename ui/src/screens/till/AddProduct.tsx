// "Add this product" after an unknown scan (for whoever may manage the
// catalog): the product form with the scanned code as its barcode; once saved,
// the product goes into the cart with the quantity typed before the scan.
// Stock tracking starts off here: the item is being sold now and no stock of it
// has been received, so a tracked one could not be sold; the owner switches it
// on when stock is received.

import { call, newIdempotencyKey, type ProductView, type TaxClass, type Unit } from "../../api";
import { Dialog } from "../../components/Dialog";
import { createForm, focusField } from "../../forms";
import { requireMoney } from "../../money";
import { mapProductField, ProductFields, standardCost } from "../Products";
import { clearScanProblem, setScanProblem } from "./scanProblem";
import { addToCart } from "./state";

const fields = () => ({ sku: "", barcode: "", name: "", category: "", unit: "each", tax_class: "standard", price: "", track_stock: false as boolean, standard_cost: "", plu: "" });
export const tillProductForm = createForm("till-product", fields);
let key = newIdempotencyKey();

function close(): void {
  setScanProblem("adding", false);
  focusField("till", "search");
}

export async function saveScannedProduct(quantity: number): Promise<boolean> {
  const v = tillProductForm.values;
  let created: ProductView | undefined;
  const ok = await tillProductForm.submit(
    async () => {
      created = await call("catalog.create_product", {
        idempotency_key: key,
        sku: v.sku.trim(),
        barcode: v.barcode.trim() === "" ? null : v.barcode.trim(),
        name: v.name.trim(),
        category: v.category.trim(),
        unit: v.unit as Unit,
        tax_class: v.tax_class as TaxClass,
        price_minor: requireMoney("price", v.price),
        track_stock: v.track_stock,
        standard_cost_minor: standardCost(v.standard_cost),
        plu: v.plu.trim() === "" ? null : v.plu.trim(),
      });
    },
    { mapField: mapProductField },
  );
  if (ok && created) {
    key = newIdempotencyKey();
    tillProductForm.reset();
    clearScanProblem();
    addToCart(created, quantity);
    focusField("till", "search");
  }
  return ok;
}

export function AddProductDialog(props: { barcode: string; quantity: number }) {
  // A fresh form for this code; the SKU starts as the code too (the owner may change it).
  if (tillProductForm.values.barcode !== props.barcode) {
    tillProductForm.reset();
    key = newIdempotencyKey();
    tillProductForm.setValues({ barcode: props.barcode, sku: props.barcode });
  }
  return (
    <Dialog title="Add this product" testid="till-add-product" onClose={close}>
      <form
        data-testid="till-product-form"
        onSubmit={(e) => {
          e.preventDefault();
          void saveScannedProduct(props.quantity);
        }}
      >
        <ProductFields form={tillProductForm} />
        <div class="actions">
          <button type="submit" class="primary" data-testid="till-product-submit" disabled={tillProductForm.busy()}>
            Save and add to the sale
          </button>
        </div>
      </form>
    </Dialog>
  );
}
