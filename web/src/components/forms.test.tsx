import { cleanup, fireEvent, render, screen } from '@testing-library/react'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ApiError } from '../api'
import { ErrorBanner, Field, fieldErrors } from './forms'

afterEach(cleanup)

describe('Field', () => {
  it('labels its input and shows the API message for its field', () => {
    render(<Field label="Time" name="time" value="25:00" onChange={() => undefined} errors={{ time: 'must be a 24-hour time' }} />)
    const input = screen.getByLabelText('Time')
    expect(input.getAttribute('aria-invalid')).toBe('true')
    expect(screen.getByText('must be a 24-hour time').id).toBe(input.getAttribute('aria-describedby'))
  })
  it('reports typing', () => {
    const onChange = vi.fn()
    render(<Field label="Name" name="name" value="" onChange={onChange} errors={{}} />)
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'Go' } })
    expect(onChange).toHaveBeenCalledWith('Go')
  })
})

describe('ErrorBanner', () => {
  it('shows the message of an API error as an alert, not JSON', () => {
    render(<ErrorBanner error={new ApiError(400, 'this seminar is full')} />)
    expect(screen.getByRole('alert').textContent).toBe('this seminar is full')
  })
  it('names the fields that need attention instead of "invalid input"', () => {
    render(<ErrorBanner error={new ApiError(400, 'invalid input', { first_name: 'letters only', time: 'HH:MM' })} />)
    expect(screen.getByRole('alert').textContent).toBe('2 fields need attention: first name, time.')
  })
  it('renders nothing without an error', () => {
    const { container } = render(<ErrorBanner error={null} />)
    expect(container.textContent).toBe('')
  })
})

describe('fieldErrors', () => {
  it('takes fields from API errors only', () => {
    expect(fieldErrors(new ApiError(400, 'x', { a: 'b' }))).toEqual({ a: 'b' })
    expect(fieldErrors(new Error('x'))).toEqual({})
  })
})
