package api

import (
	"errors"

	"github.com/salio/salio/charging"
	"github.com/salio/salio/tariff"
)

// apiError is every non-2xx answer: the status, the spec's code, a message
// for humans and, where one input is at fault, the field. limit names the
// limit that was hit (for salio_limit_hits_total), if any.
type apiError struct {
	status       int
	code         string
	msg          string
	field        string
	limit        string
	walletStatus string // 402 only: details.wallet_status
}

func (e *apiError) Error() string {
	if e.field != "" {
		return e.code + ": " + e.field + ": " + e.msg
	}
	return e.code + ": " + e.msg
}

// The spec's error codes (section 7, Errors).
const (
	codeInvalid       = "invalid_request"
	codeUnauth        = "unauthenticated"
	codeFunds         = "insufficient_funds"
	codeForbidden     = "forbidden"
	codeNotFound      = "not_found"
	codeConflict      = "conflict"
	codeTooLarge      = "payload_too_large"
	codeTooMany       = "too_many_sessions"
	codeUnavailable   = "unavailable"
	codeMethod        = "method_not_allowed"
	codeInternal      = "internal"
	statusTooLarge    = 413
	statusUnavailable = 503
)

func invalid(field, msg string) *apiError {
	return &apiError{status: 400, code: codeInvalid, field: field, msg: msg}
}

// overLimit is a 400 for a value beyond one of the limits in limits.go.
func overLimit(limit, field, msg string) *apiError {
	return &apiError{status: 400, code: codeInvalid, field: field, msg: msg, limit: limit}
}

func tooLarge(limit, msg string) *apiError {
	return &apiError{status: statusTooLarge, code: codeTooLarge, msg: msg, limit: limit}
}

func unauthenticated(msg string) *apiError {
	return &apiError{status: 401, code: codeUnauth, msg: msg}
}

func forbidden(msg string) *apiError {
	return &apiError{status: 403, code: codeForbidden, msg: msg}
}

func notFound(msg string) *apiError {
	return &apiError{status: 404, code: codeNotFound, msg: msg}
}

func conflictErr(msg string) *apiError {
	return &apiError{status: 409, code: codeConflict, msg: msg}
}

// errForbiddenTenant is the one answer to a key naming a tenant that is not
// its own: the same words whether or not that tenant exists.
var errForbiddenTenant = forbidden("this key cannot act for that tenant")

// toAPIError maps an engine (or tariff) error to its HTTP answer. Anything
// unrecognised is a 500: the engine's contract says which errors it returns.
func toAPIError(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var ie *charging.InvalidError
	if errors.As(err, &ie) {
		return invalid(ie.Field, ie.Msg)
	}
	var fe *tariff.FieldError
	if errors.As(err, &fe) {
		return invalid(fe.Field, fe.Msg)
	}
	var funds *charging.FundsError
	switch {
	case errors.As(err, &funds):
		return &apiError{status: 402, code: codeFunds, msg: funds.Error(), walletStatus: funds.WalletStatus}
	case errors.Is(err, charging.ErrInsufficientFunds):
		return &apiError{status: 402, code: codeFunds, msg: err.Error()}
	case errors.Is(err, charging.ErrInvalid):
		return invalid("", err.Error())
	case errors.Is(err, tariff.ErrNoRate):
		return invalid("destination", "no rate for destination")
	case errors.Is(err, tariff.ErrInvalidDestination):
		return invalid("destination", "must be 1-32 digits, optionally after a '+'")
	case errors.Is(err, tariff.ErrOverflow):
		return invalid("", "amount out of range")
	case errors.Is(err, charging.ErrNotFound):
		return notFound(err.Error())
	case errors.Is(err, charging.ErrConflict):
		return conflictErr(err.Error())
	case errors.Is(err, charging.ErrTooManySessions):
		return &apiError{status: 429, code: codeTooMany, msg: "the tenant's max_concurrent_sessions is reached"}
	case errors.Is(err, charging.ErrUnavailable):
		return &apiError{status: statusUnavailable, code: codeUnavailable, msg: "the engine cannot make effects durable"}
	}
	return &apiError{status: 500, code: codeInternal, msg: "internal error"}
}

// appendError writes {"error":{...}}; it is also one item of a batch answer.
func appendError(e *enc, ae *apiError) {
	e.obj("error")
	e.str("code", ae.code)
	e.str("message", ae.msg)
	if ae.field != "" {
		e.str("field", ae.field)
	}
	if ae.walletStatus != "" {
		e.obj("details")
		e.str("wallet_status", ae.walletStatus)
		e.close()
	}
	e.close()
}
