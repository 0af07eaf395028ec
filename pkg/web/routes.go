package web

import "net/http"

// routes lists every route of the server.
func (s *Server) routes(static, metrics http.Handler) http.Handler {
	mux := s.newMux()

	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	if metrics != nil {
		mux.Handle("GET /metrics", metrics)
	}

	mux.HandleFunc("POST /api/session", s.login)
	mux.Handle("DELETE /api/session", s.authed(s.logout))
	mux.Handle("GET /api/me", s.authed(s.me))
	mux.Handle("POST /api/me/password", s.authed(s.changePassword))
	mux.Handle("POST /api/tokens", s.authed(s.createToken))
	mux.Handle("GET /api/tokens", s.authed(s.listTokens))
	mux.Handle("DELETE /api/tokens/{id}", s.authed(s.revokeToken))
	mux.Handle("POST /api/ws-ticket", s.authed(s.createTicket))

	mux.Handle("POST /api/users", s.authed(s.createUser))
	mux.Handle("GET /api/users", s.authed(s.listUsers))
	mux.Handle("PATCH /api/users/{id}", s.authed(s.updateUser))
	mux.Handle("POST /api/numbers", s.authed(s.createNumber))
	mux.Handle("GET /api/numbers", s.authed(s.listNumbers))
	mux.Handle("PUT /api/numbers/{id}/assignees", s.authed(s.setAssignees))
	mux.Handle("GET /api/company", s.authed(s.getCompany))
	mux.Handle("PUT /api/company", s.authed(s.updateCompany))

	mux.Handle("POST /api/contacts", s.authed(s.upsertContact))
	mux.Handle("GET /api/contacts", s.authed(s.listContacts))
	mux.Handle("GET /api/contacts/{id}", s.authed(s.getContact))
	mux.Handle("PATCH /api/contacts/{id}", s.authed(s.patchContact))
	mux.Handle("GET /api/contacts/{id}/consent", s.authed(s.consentProof))
	mux.Handle("GET /api/contacts/{id}/consent-history", s.authed(s.consentHistory))
	mux.Handle("POST /api/contacts/{id}/consent-review", s.authed(s.resolveReview))
	mux.Handle("POST /api/contacts/{id}/consent-request", s.authed(s.requestConsent))
	mux.Handle("POST /api/jobs", s.authed(s.upsertJob))
	mux.Handle("GET /api/jobs", s.authed(s.listJobs))
	mux.Handle("GET /api/jobs/{id}", s.authed(s.getJob))
	mux.Handle("POST /api/jobs/{id}/applicants", s.authed(s.addApplicant))
	mux.Handle("GET /api/jobs/{id}/applicants", s.authed(s.listApplicants))

	mux.Handle("GET /api/inbox", s.authed(s.inbox))
	mux.Handle("GET /api/contacts/{id}/messages", s.authed(s.contactMessages))
	mux.Handle("POST /api/contacts/{id}/messages", s.authed(s.send))
	mux.Handle("GET /api/threads/{id}/messages", s.authed(s.threadMessages))
	mux.Handle("POST /api/threads/{id}/read", s.authed(s.markRead))
	mux.Handle("POST /api/threads/{id}/unread", s.authed(s.markUnread))
	mux.Handle("POST /api/threads/{id}/claim", s.authed(s.claim))
	mux.Handle("DELETE /api/threads/{id}/claim", s.authed(s.release))
	mux.Handle("GET /api/search", s.authed(s.search))
	mux.Handle("GET /api/messages/{id}/media/{n}", s.authed(s.media))

	mux.Handle("POST /api/templates", s.authed(s.createTemplate))
	mux.Handle("GET /api/templates", s.authed(s.listTemplates))
	mux.Handle("GET /api/templates/{id}", s.authed(s.getTemplate))
	mux.Handle("PATCH /api/templates/{id}", s.authed(s.patchTemplate))
	mux.Handle("DELETE /api/templates/{id}", s.authed(s.deleteTemplate))
	mux.Handle("POST /api/templates/{id}/preview", s.authed(s.previewTemplate))
	mux.Handle("PATCH /api/messages/{id}", s.authed(s.editMessage))
	mux.Handle("POST /api/messages/{id}/cancel", s.authed(s.cancelMessage))
	mux.Handle("POST /api/messages/{id}/resend", s.authed(s.resendMessage))
	mux.Handle("POST /api/bulk-sends", s.authed(s.createBulkSend))
	mux.Handle("GET /api/bulk-sends/{id}", s.authed(s.getBulkSend))
	mux.Handle("POST /api/bulk-sends/{id}/cancel", s.authed(s.cancelBulkSend))

	mux.Handle("GET /api/reports/sms-activity", s.authed(s.report))
	mux.Handle("GET /api/reports/audit", s.authed(s.reportAudit))

	mux.Handle("POST /api/webhooks", s.authed(s.createWebhook))
	mux.Handle("GET /api/webhooks", s.authed(s.listWebhooks))
	mux.Handle("DELETE /api/webhooks/{id}", s.authed(s.deleteWebhook))
	mux.Handle("GET /api/webhooks/{id}/deliveries", s.authed(s.webhookDeliveries))
	mux.Handle("POST /api/webhooks/{id}/replay", s.authed(s.replayWebhook))
	mux.Handle("GET /api/events", s.authed(s.events))
	mux.Handle("DELETE /api/contacts/{id}", s.authed(s.eraseContact))
	mux.HandleFunc("GET /sso", s.sso)

	mux.HandleFunc("POST /webhooks/plivo/inbound", s.inboundWebhook)
	mux.HandleFunc("POST /webhooks/plivo/status", s.statusWebhook)

	mux.HandleFunc("GET /ws", s.websocket)

	if s.phone != nil {
		mux.HandleFunc("GET /api/dev/phone", s.phoneTexts)
		mux.HandleFunc("POST /api/dev/phone", s.phoneSend)
	}

	mux.HandleFunc("/api/", s.apiNotFound)
	if static != nil {
		mux.Handle("/", static)
	}
	return instrument(s.headers(s.readTimeout(mux)))
}
