// Small form building blocks: labelled inputs with the API's per-field
// message next to each, and the API's general message above the form.
import { useState, type FormEvent, type ReactNode } from 'react'
import { ApiError } from '../api'

export function ErrorBanner({ error }: { error: unknown }) {
  if (!error) return null
  const message = error instanceof ApiError || error instanceof Error ? error.message : String(error)
  return (
    <p role="alert" className="error">
      {message}
    </p>
  )
}

export function fieldErrors(error: unknown): Record<string, string> {
  return error instanceof ApiError ? error.fields : {}
}

interface FieldProps {
  label: string
  name: string
  value: string
  onChange: (v: string) => void
  errors: Record<string, string>
  type?: string
  required?: boolean
  autoComplete?: string
  inputMode?: 'numeric' | 'text' | 'email'
}

export function Field({ label, name, value, onChange, errors, type = 'text', required, autoComplete, inputMode }: FieldProps) {
  const id = `f-${name}`
  const err = errors[name]
  return (
    <div className="field">
      <label htmlFor={id}>
        {label}
        {required ? ' *' : ''}
      </label>
      <input
        id={id}
        name={name}
        type={type}
        value={value}
        required={required}
        autoComplete={autoComplete}
        inputMode={inputMode}
        aria-invalid={err ? true : undefined}
        aria-describedby={err ? `${id}-error` : undefined}
        onChange={(e) => onChange(e.target.value)}
      />
      {err && (
        <span id={`${id}-error`} className="field-error">
          {err}
        </span>
      )}
    </div>
  )
}

/** A form that disables itself while submitting and shows the outcome. */
export function useSubmit() {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const run = (action: () => Promise<void>) => async (e?: FormEvent) => {
    e?.preventDefault()
    setBusy(true)
    setError(null)
    try {
      await action()
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }
  return { busy, error, run, setError }
}

export function Loading({ children }: { children?: ReactNode }) {
  return <p className="muted">{children ?? 'Loading…'}</p>
}
