package charging

import (
	"errors"
	"fmt"
)

// Sentinel errors of the engine. The API maps each to one HTTP status; match
// them with errors.Is.
var (
	// ErrInvalid: the request is malformed or names something unrateable (400).
	ErrInvalid = errors.New("invalid_request")
	// ErrInsufficientFunds: the wallet cannot pay (402). See FundsError.
	ErrInsufficientFunds = errors.New("insufficient_funds")
	// ErrNotFound: unknown tenant, session, tariff, number or invoice (404).
	ErrNotFound = errors.New("not_found")
	// ErrConflict: idempotency key reused with another payload, out-of-order
	// request number, or an id that already exists (409).
	ErrConflict = errors.New("conflict")
	// ErrTooManySessions: the tenant's max_concurrent_sessions is reached (429).
	ErrTooManySessions = errors.New("too_many_sessions")
	// ErrUnavailable: the effect could not be made durable; the engine fails
	// closed and refuses everything until restarted (503).
	ErrUnavailable = errors.New("unavailable")
)

// InvalidError is ErrInvalid with the field at fault.
type InvalidError struct {
	Field string
	Msg   string
}

func (e *InvalidError) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return e.Field + ": " + e.Msg
}
func (e *InvalidError) Unwrap() error { return ErrInvalid }

// Invalid returns an *InvalidError.
func Invalid(field, format string, args ...any) error {
	return &InvalidError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// FundsError is ErrInsufficientFunds with the wallet status that explains it.
type FundsError struct {
	WalletStatus string // "ok" | "low" | "grace" | "blocked"
}

func (e *FundsError) Error() string { return "insufficient funds (wallet " + e.WalletStatus + ")" }
func (e *FundsError) Unwrap() error { return ErrInsufficientFunds }

// MessageError is a sentinel with a specific message.
type MessageError struct {
	Err error
	Msg string
}

func (e *MessageError) Error() string { return e.Msg }
func (e *MessageError) Unwrap() error { return e.Err }

func notFound(what string) error { return &MessageError{Err: ErrNotFound, Msg: what + " not found"} }
func conflict(msg string) error  { return &MessageError{Err: ErrConflict, Msg: msg} }
