package plivo

import (
	"net/url"
	"slices"
	"strconv"
	"strings"

	"smsinbox/pkg/inbox"
)

// maxUUIDLen bounds the MessageUUID we store; Plivo's are 36 characters.
const maxUUIDLen = 128

// maxMediaIndex bounds the MediaN keys read; Plivo sends at most ten.
const maxMediaIndex = 99

// ParseInbound reads the verified form of the inbound webhook, the text a
// contact sent to one of our numbers (/webhooks/plivo/inbound). From, To and
// MessageUUID are required; From and To arrive as digits with the country
// code and no "+" and are returned in E.164. Type is "sms" or "mms" in lower
// case, "sms" when absent. The text is Text, or Body for an MMS (where Plivo
// puts it). Intent is Plivo's MessageIntent ("optout", "optin", "help", or
// empty), sent when the number has Plivo's opt-out management. Media URLs
// come from Media0, Media1, … (numbered
// from 0 or from 1, both occur), in index order, without duplicates, keeping
// only absolute http(s) URLs. Every failure is an *inbox.Error of
// KindInvalid: the web layer answers it 400, since Plivo repeating the same
// form cannot succeed.
func ParseInbound(form url.Values) (inbox.InboundSMS, error) {
	from, err := providerPhone(form, "From", "from")
	if err != nil {
		return inbox.InboundSMS{}, err
	}
	to, err := providerPhone(form, "To", "to")
	if err != nil {
		return inbox.InboundSMS{}, err
	}
	id, err := messageUUID(form)
	if err != nil {
		return inbox.InboundSMS{}, err
	}
	typ := strings.ToLower(strings.TrimSpace(form.Get("Type")))
	if typ == "" {
		typ = "sms"
	}
	// Plivo sends an SMS's text as Text and an MMS's as Body.
	text := form.Get("Text")
	if text == "" {
		text = form.Get("Body")
	}
	return inbox.InboundSMS{
		From:        from,
		To:          to,
		Text:        text,
		Type:        typ,
		MessageUUID: id,
		MediaURLs:   mediaURLs(form),
		Intent:      strings.ToLower(strings.TrimSpace(form.Get("MessageIntent"))),
	}, nil
}

// providerPhone reads a required phone field in Plivo's digits form.
func providerPhone(form url.Values, key, name string) (string, error) {
	raw := strings.TrimSpace(form.Get(key))
	if raw == "" {
		return "", inbox.Invalid("missing_"+name, "the webhook has no %s number", key)
	}
	e164, err := inbox.NormalizeProviderPhone(raw)
	if err != nil {
		return "", &inbox.Error{Kind: inbox.KindInvalid, Code: "invalid_" + name,
			Message: key + " is not a phone number we can use", Err: err}
	}
	return e164, nil
}

// messageUUID reads the required MessageUUID field.
func messageUUID(form url.Values) (string, error) {
	id := strings.TrimSpace(form.Get("MessageUUID"))
	switch {
	case id == "":
		return "", inbox.Invalid("missing_message_uuid", "the webhook has no MessageUUID")
	case len(id) > maxUUIDLen:
		return "", inbox.Invalid("invalid_message_uuid", "the MessageUUID is longer than %d characters", maxUUIDLen)
	}
	return id, nil
}

// mediaURLs collects MediaN fields in index order.
func mediaURLs(form url.Values) []string {
	type media struct {
		index int
		url   string
	}
	var found []media
	for key, vs := range form {
		digits, ok := strings.CutPrefix(key, "Media")
		if !ok || len(digits) == 0 || len(digits) > 2 || len(vs) == 0 {
			continue
		}
		n, err := strconv.Atoi(digits)
		if err != nil || n < 0 || n > maxMediaIndex || strconv.Itoa(n) != digits {
			continue
		}
		if u := strings.TrimSpace(vs[0]); isHTTPURL(u) {
			found = append(found, media{n, u})
		}
	}
	slices.SortFunc(found, func(a, b media) int { return a.index - b.index })
	var urls []string
	for _, m := range found {
		if !slices.Contains(urls, m.url) {
			urls = append(urls, m.url)
		}
	}
	return urls
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
