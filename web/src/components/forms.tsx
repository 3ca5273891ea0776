// Small form building blocks: labelled inputs with the API's per-field
// message next to each, and the API's general message above the form.
import { useEffect, useState, type FormEvent, type ReactNode } from 'react'
import { ApiError, retryOnceWhenBusy } from '../api'

export function ErrorBanner({ error }: { error: unknown }) {
  if (!error) return null
  let message = error instanceof ApiError || error instanceof Error ? error.message : String(error)
  // "invalid input" alone says nothing: name what needs fixing.
  const fields = error instanceof ApiError ? Object.keys(error.fields) : []
  if (fields.length > 0) {
    const names = fields.map((f) => f.replaceAll('_', ' ')).join(', ')
    message = `${fields.length === 1 ? 'One field needs' : `${fields.length} fields need`} attention: ${names}.`
  }
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
  // Once the messages are on screen (effects run after the commit), take
  // the person to the first field that needs them.
  useEffect(() => {
    if (error) document.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus()
  }, [error])
  return { busy, error, run, setError }
}

/** A success message people can read and screen readers announce. */
export function Notice({ children }: { children: ReactNode }) {
  return (
    <p role="status" className="notice">
      {children}
    </p>
  )
}

/** Sets the document title for the page being shown. */
export function useTitle(title: string) {
  useEffect(() => {
    document.title = title ? `${title} · seminarhub` : 'seminarhub'
  }, [title])
}

export function Loading({ children }: { children?: ReactNode }) {
  return <p className="muted">{children ?? 'Loading…'}</p>
}

/**
 * useRetryWhenBusy: when the service says it is at capacity (many people
 * signing in at once: 503 with Retry-After), say so, count down, and try
 * once more by itself. `doing` names what everyone is doing ("signing in").
 */
export function useRetryWhenBusy(doing: string) {
  const [until, setUntil] = useState<number | null>(null)
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    if (until === null) return
    const tick = setInterval(() => setNow(Date.now()), 250)
    return () => clearInterval(tick)
  }, [until])
  const retry = <T,>(call: () => Promise<T>): Promise<T> =>
    retryOnceWhenBusy(call, (seconds) => {
      setNow(Date.now())
      setUntil(Date.now() + seconds * 1000)
    }).finally(() => setUntil(null))
  const left = until === null ? null : Math.max(0, Math.ceil((until - now) / 1000))
  const notice =
    left === null ? null : (
      <p role="status" className="notice">
        Many people are {doing} right now — {left > 0 ? `trying again in ${left} s` : 'trying again…'}
      </p>
    )
  return { retry, notice }
}
