// Form state that outlives the components showing it. Each screen creates its
// forms at module level, so an error that tears a component down (the error
// boundary, the lock screen, a navigation) never loses what was typed (T23).

import { createSignal, type Accessor } from "solid-js";
import { createStore, reconcile, type SetStoreFunction } from "solid-js/store";
import { TillbookError, toTillbookError } from "./api";
import { dismissError, reportError } from "./errors";
import { fieldErrorWords } from "./words";

export interface SubmitOptions {
  /** Maps the core's `details.field` to this form's field name (e.g. `settings.x` -> `x`). */
  mapField?: (field: string) => string;
  /** Picks a field for an error that names none (e.g. a wrong PIN at unlock). */
  fieldFor?: (err: TillbookError) => string | undefined;
}

export type FieldErrors = Record<string, string | undefined>;

export interface Form<V extends Record<string, string | boolean>> {
  /** DOM id prefix: a field's input is `${id}-${name}`. */
  readonly id: string;
  readonly values: V;
  readonly setValues: SetStoreFunction<V>;
  readonly errors: FieldErrors;
  setError(field: string, message: string | undefined): void;
  clearErrors(): void;
  reset(): void;
  busy: Accessor<boolean>;
  /**
   * Runs `action`; a `validation`/`duplicate` error naming one of this form's
   * fields is shown beside that field and focuses it, anything else goes to the
   * error banner. Values are never cleared on failure. Resolves true on success.
   */
  submit(action: () => Promise<void>, options?: SubmitOptions): Promise<boolean>;
}

export function createForm<V extends Record<string, string | boolean>>(id: string, initial: () => V): Form<V> {
  const [values, setValues] = createStore<V>(initial());
  const [errors, setErrors] = createStore<FieldErrors>({});
  const [busy, setBusy] = createSignal(false);

  const form: Form<V> = {
    id,
    values,
    setValues,
    errors,
    setError(field, message) {
      setErrors(field, message);
    },
    clearErrors() {
      setErrors(reconcile({}));
    },
    reset() {
      setValues(reconcile(initial()));
      setErrors(reconcile({}));
    },
    busy,
    async submit(action, options = {}) {
      if (busy()) return false;
      form.clearErrors();
      // A new attempt: the banner about an earlier failure is out of date.
      dismissError();
      setBusy(true);
      try {
        await action();
        return true;
      } catch (e) {
        showFormError(form, toTillbookError(e), options);
        return false;
      } finally {
        setBusy(false);
      }
    },
  };
  return form;
}

/** Field errors beside the field; everything else in the banner. */
export function showFormError(
  form: Pick<Form<Record<string, string | boolean>>, "id" | "values" | "setError">,
  err: TillbookError,
  options: SubmitOptions = {},
): void {
  const raw = err.field;
  let field = raw === undefined ? undefined : (options.mapField ?? ((f) => f))(raw);
  if (!(err.code === "validation" || err.code === "duplicate")) field = undefined;
  field ??= options.fieldFor?.(err);
  if (field !== undefined && Object.prototype.hasOwnProperty.call(form.values, field)) {
    // Beside the field: the words for its error kind (words.ts), or the
    // core's message without its "field: " prefix.
    form.setError(field, fieldErrorWords(err));
    focusField(form.id, field);
    return;
  }
  reportError(err);
}

export function focusField(formId: string, field: string): void {
  queueMicrotask(() => {
    const el = document.getElementById(`${formId}-${field}`);
    if (el instanceof HTMLElement) el.focus();
  });
}

/** `ref` helper: focus an element once it is in the page (keyboard-first). */
export function autofocus(el: HTMLElement): void {
  queueMicrotask(() => {
    if (el.isConnected) el.focus();
    else requestAnimationFrame(() => el.focus());
  });
}
