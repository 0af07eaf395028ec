package web

import (
	"context"
	"net/http"
	"time"

	"smsinbox/pkg/inbox"
)

// webhookDeadline is well inside the 8 s Plivo waits: a store too slow to
// answer in time gets a 503, and Plivo's retry, rather than Plivo's timeout.
const webhookDeadline = 5 * time.Second

// inboundWebhook stores a text a contact sent. Plivo retries what is not
// answered 2xx, so the answer follows the commit: 200 once stored (or stored
// before), 403 for a missing, wrong or unverifiable signature, 413 for a body
// over the limit, 404 for a number we do not manage, 400 for a form that can
// never succeed, and 503 for anything else so that Plivo tries again.
func (s *Server) inboundWebhook(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), webhookDeadline)
	defer cancel()
	in, err := s.webhooks.Inbound(r)
	if err == nil {
		_, err = s.svc.ReceiveSMS(ctx, in)
	}
	s.answerWebhook(w, r, "inbound", err)
}

// statusWebhook stores a delivery report. A report we cannot match yet is
// kept and answered 200. So is a report we cannot read or place, since Plivo
// sending it again would not help: it is logged instead. A bad signature is
// 403, a body or form over the limit 413 (no report of Plivo's is one: it is
// an attack, not a report), and a failure of ours 503.
func (s *Server) statusWebhook(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), webhookDeadline)
	defer cancel()
	u, err := s.webhooks.Status(r)
	if err == nil {
		err = s.svc.ApplyStatus(ctx, u)
	}
	if k := inbox.ErrorKind(err); err != nil && k != inbox.KindForbidden && k != inbox.KindTooLarge &&
		k != inbox.KindInternal && k != inbox.KindUnavailable {
		// Retrying a report we cannot read or place would not help.
		s.log.Warn("status report ignored", "err", err)
		err = nil
	}
	s.answerWebhook(w, r, "status", err)
}

// answerWebhook answers a webhook of kind ("inbound", "status") by the kind
// of err: nil is 200; forbidden, not found and too large keep their status;
// invalid is answered as malformed (400: the same form will never do);
// everything else — the store failing or too slow, a misconfigured
// verifier — is 503, so that Plivo delivers it again.
func (s *Server) answerWebhook(w http.ResponseWriter, r *http.Request, kind string, err error) {
	if err == nil {
		webhooks.WithLabelValues(kind, "stored").Inc()
		writeJSON(w, http.StatusOK, map[string]string{"status": "stored"})
		return
	}
	switch inbox.ErrorKind(err) {
	case inbox.KindForbidden:
		webhooks.WithLabelValues(kind, "bad_signature").Inc()
		s.log.Warn("webhook refused", "kind", kind, "remote", r.RemoteAddr, "err", err)
	case inbox.KindNotFound:
		webhooks.WithLabelValues(kind, "unknown_number").Inc()
	case inbox.KindInvalid, inbox.KindMalformed, inbox.KindTooLarge:
		webhooks.WithLabelValues(kind, "invalid").Inc()
		s.log.Warn("webhook invalid", "kind", kind, "err", err)
		if inbox.ErrorKind(err) == inbox.KindInvalid {
			err = &inbox.Error{Kind: inbox.KindMalformed, Code: inbox.ErrorCode(err), Message: err.Error()}
		}
	case inbox.KindUnavailable:
		webhooks.WithLabelValues(kind, "retry").Inc()
	default:
		// Not a dependency out of reach but a fault of ours: logged each
		// time, and answered 503 all the same so that Plivo delivers it again.
		webhooks.WithLabelValues(kind, "retry").Inc()
		s.log.Error("webhook failed", "kind", kind, "err", err)
		err = inbox.Unavailable("the inbox", err)
	}
	s.writeError(w, r, err)
}
