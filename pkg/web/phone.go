package web

import (
	"net/http"

	"smsinbox/pkg/inbox"
)

// phoneTexts lists what the simulated candidate phones sent and got, and whom
// they can text: GET /api/dev/phone (dev mode only).
func (s *Server) phoneTexts(w http.ResponseWriter, r *http.Request) {
	numbers, contacts, err := s.svc.PhoneDirectory(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	type entry struct {
		ID    int64  `json:"id"`
		Name  string `json:"name"`
		Phone string `json:"phone"`
	}
	people := make([]entry, len(contacts))
	for i, c := range contacts {
		people[i] = entry{c.ID, c.Name, c.Phone}
	}
	writeJSON(w, http.StatusOK, map[string]any{"numbers": numbers, "contacts": people, "messages": s.phone.Texts()})
}

// phoneSend texts a company number from a simulated phone, through the real
// signed webhook: POST /api/dev/phone {"from","to","text"} (dev mode only).
// Like every other write, it must come from the app's own origin or an
// allowed one: a page of another site must not text as a candidate.
func (s *Server) phoneSend(w http.ResponseWriter, r *http.Request) {
	if err := s.checkOrigin(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	var in struct {
		From string `json:"from"`
		To   string `json:"to"`
		Text string `json:"text"`
	}
	if err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	from, err := inbox.NormalizePhone(in.From, inbox.DefaultRegion)
	if err == nil {
		in.To, err = inbox.NormalizePhone(in.To, inbox.DefaultRegion)
	}
	if err == nil && in.Text == "" {
		err = inbox.Invalid("invalid_body", "type a text to send")
	}
	if err == nil {
		err = s.phone.Send(r.Context(), from, in.To, in.Text)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "sent"})
}
