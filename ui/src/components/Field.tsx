import { For, Show, type JSX } from "solid-js";
import { autofocus, type Form } from "../forms";

type AnyForm = Form<Record<string, string | boolean>>;

interface BaseProps {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  form: Form<any>;
  name: string;
  label: string;
  /** data-testid of the input; defaults to `${form.id}-${name}`. */
  testid?: string;
  hint?: JSX.Element;
  autofocus?: boolean;
  disabled?: boolean;
}

function FieldShell(props: BaseProps & { children: JSX.Element; inline?: boolean }) {
  const form = () => props.form as AnyForm;
  const id = () => `${form().id}-${props.name}`;
  return (
    <div class="field" classList={{ invalid: !!form().errors[props.name], "field-inline": !!props.inline }}>
      <label for={id()}>{props.label}</label>
      {props.children}
      <Show when={props.hint}>
        <small class="hint" id={`${id()}-hint`}>
          {props.hint}
        </small>
      </Show>
      <Show when={form().errors[props.name]}>
        {(msg) => (
          <span class="field-error" id={`${id()}-error`} role="alert" data-testid={`field-error-${props.name}`}>
            {msg()}
          </span>
        )}
      </Show>
    </div>
  );
}

export function TextField(
  props: BaseProps & {
    type?: "text" | "password" | "number" | "date" | "datetime-local";
    autocomplete?: string;
    inputmode?: "numeric" | "text";
    maxLength?: number;
    min?: number;
    max?: number;
    placeholder?: string;
    multiline?: boolean;
  },
) {
  const form = () => props.form as AnyForm;
  const id = () => `${form().id}-${props.name}`;
  const value = () => String(form().values[props.name] ?? "");
  const onInput = (v: string) => {
    form().setValues(props.name, v);
    if (form().errors[props.name]) form().setError(props.name, undefined);
  };
  const described = () =>
    [props.hint ? `${id()}-hint` : "", form().errors[props.name] ? `${id()}-error` : ""].filter(Boolean).join(" ") ||
    undefined;
  return (
    <FieldShell {...props}>
      <Show
        when={props.multiline}
        fallback={
          <input
            id={id()}
            name={props.name}
            type={props.type ?? "text"}
            value={value()}
            onInput={(e) => onInput(e.currentTarget.value)}
            // WebDriver's Element Clear fires only `change`.
            onChange={(e) => onInput(e.currentTarget.value)}
            data-testid={props.testid ?? id()}
            autocomplete={props.autocomplete ?? "off"}
            inputmode={props.inputmode}
            maxLength={props.maxLength}
            min={props.min}
            max={props.max}
            placeholder={props.placeholder}
            disabled={props.disabled}
            aria-invalid={form().errors[props.name] ? "true" : undefined}
            aria-describedby={described()}
            ref={(el) => props.autofocus && autofocus(el)}
          />
        }
      >
        <textarea
          id={id()}
          name={props.name}
          value={value()}
          onInput={(e) => onInput(e.currentTarget.value)}
            // WebDriver's Element Clear fires only `change`.
            onChange={(e) => onInput(e.currentTarget.value)}
          data-testid={props.testid ?? id()}
          maxLength={props.maxLength}
          disabled={props.disabled}
          rows={3}
          aria-invalid={form().errors[props.name] ? "true" : undefined}
          aria-describedby={described()}
          ref={(el) => props.autofocus && autofocus(el)}
        />
      </Show>
    </FieldShell>
  );
}

export function SelectField(props: BaseProps & { options: readonly { value: string; label: string }[] }) {
  const form = () => props.form as AnyForm;
  const id = () => `${form().id}-${props.name}`;
  return (
    <FieldShell {...props}>
      <select
        id={id()}
        name={props.name}
        data-testid={props.testid ?? id()}
        disabled={props.disabled}
        onChange={(e) => {
          form().setValues(props.name, e.currentTarget.value);
          form().setError(props.name, undefined);
        }}
        aria-invalid={form().errors[props.name] ? "true" : undefined}
        ref={(el) => props.autofocus && autofocus(el)}
      >
        <For each={props.options}>
          {(o) => (
            <option value={o.value} selected={String(form().values[props.name]) === o.value}>
              {o.label}
            </option>
          )}
        </For>
      </select>
    </FieldShell>
  );
}

export function CheckField(props: BaseProps) {
  const form = () => props.form as AnyForm;
  const id = () => `${form().id}-${props.name}`;
  return (
    <FieldShell {...props} inline>
      <input
        id={id()}
        name={props.name}
        type="checkbox"
        checked={form().values[props.name] === true}
        onChange={(e) => {
          form().setValues(props.name, e.currentTarget.checked);
          form().setError(props.name, undefined);
        }}
        data-testid={props.testid ?? id()}
        disabled={props.disabled}
        ref={(el) => props.autofocus && autofocus(el)}
      />
    </FieldShell>
  );
}
