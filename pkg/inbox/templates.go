package inbox

import (
	"context"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Template is a saved text with merge fields ({{contact.first_name|there}}).
// A shared template is the company's: every user may use it, admins change
// it. Any other is its author's alone.
type Template struct {
	ID        int64     `json:"id" db:"id"`
	CompanyID int64     `json:"-" db:"company_id"`
	Name      string    `json:"name" db:"name"`
	Body      string    `json:"body" db:"body"`
	Shared    bool      `json:"shared" db:"shared"`
	Author    User      `json:"author" db:"author"`
	CreatedAt time.Time `json:"created_at" db:"created_at"`
	UpdatedAt time.Time `json:"updated_at" db:"updated_at"`
}

// The merge fields a template may use.
var MergeFields = []string{
	"contact.first_name", "contact.last_name", "contact.name", "job.title",
	"user.first_name", "user.name", "company.name", "number.label",
}

// mergeField is {{ name }} or {{ name | fallback }}; the fallback is any
// text without braces.
var mergeField = regexp.MustCompile(`\{\{\s*([^{}|]*?)\s*(?:\|([^{}]*))?\}\}`)

// TemplateFields returns the merge fields body uses, in order of first
// use, or unknown_field naming the first it does not know.
func TemplateFields(body string) ([]string, error) {
	var fields []string
	for _, m := range mergeField.FindAllStringSubmatch(body, -1) {
		name := m[1]
		known := false
		for _, f := range MergeFields {
			known = known || f == name
		}
		if !known {
			return nil, Invalid("unknown_field", "{{%s}} is not a merge field; use one of {{%s}}", name,
				strings.Join(MergeFields, "}}, {{"))
		}
		if !contains(fields, name) {
			fields = append(fields, name)
		}
	}
	return fields, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// MergeValues are the values of the merge fields for one text; an empty
// value is missing.
type MergeValues map[string]string

// mergeValues are the values for a text from u on number n to c, about j
// (nil when the text is about no job).
func mergeValues(c Contact, u User, company Company, n *Number, j *Job) MergeValues {
	first, last := splitName(c.Name)
	v := MergeValues{
		"contact.first_name": first, "contact.last_name": last, "contact.name": strings.TrimSpace(c.Name),
		"user.name": strings.TrimSpace(u.Name), "company.name": strings.TrimSpace(company.Name),
	}
	v["user.first_name"], _ = splitName(u.Name)
	if n != nil {
		v["number.label"] = strings.TrimSpace(n.Label)
	}
	if j != nil {
		v["job.title"] = strings.TrimSpace(j.Title)
	}
	return v
}

// splitName takes a person's first name as the first word of their name
// and their last name as the last word, when there are two or more.
func splitName(name string) (first, last string) {
	words := strings.Fields(name)
	switch len(words) {
	case 0:
		return "", ""
	case 1:
		return words[0], ""
	}
	return words[0], words[len(words)-1]
}

// RenderTemplate fills body's merge fields with v: a missing value takes
// the field's fallback, and one with no fallback is missing_field.
func RenderTemplate(body string, v MergeValues) (string, error) {
	if _, err := TemplateFields(body); err != nil {
		return "", err
	}
	var missing string
	out := mergeField.ReplaceAllStringFunc(body, func(s string) string {
		m := mergeField.FindStringSubmatch(s)
		if val := v[m[1]]; val != "" {
			return val
		}
		if strings.Contains(s, "|") {
			return strings.TrimSpace(m[2])
		}
		if missing == "" {
			missing = m[1]
		}
		return ""
	})
	if missing != "" {
		return "", Invalid("missing_field", "{{%s}} has no value for this text and no fallback (write {{%s|…}} to give one)",
			missing, missing)
	}
	return out, nil
}

// TemplateInput is a template to save, or the changes to one (nil: keep).
type TemplateInput struct {
	Name   *string
	Body   *string
	Shared *bool
}

const maxTemplateName = 100

func validateTemplate(t *Template) error {
	t.Name, t.Body = strings.TrimSpace(t.Name), strings.TrimSpace(t.Body)
	if n := utf8.RuneCountInString(t.Name); n == 0 || n > maxTemplateName {
		return Invalid("invalid_name", "a template's name must be 1 to %d characters", maxTemplateName)
	}
	if n := utf8.RuneCountInString(t.Body); n == 0 || n > MaxBodyChars {
		return Invalid("invalid_body", "a template must be 1 to %d characters; this one has %d", MaxBodyChars, n)
	}
	_, err := TemplateFields(t.Body)
	return err
}

// CreateTemplate saves a template of the caller's; only admins save shared
// ones.
func (s *Service) CreateTemplate(ctx context.Context, caller User, in TemplateInput) (Template, error) {
	t := Template{CompanyID: caller.CompanyID, Author: caller}
	if in.Name != nil {
		t.Name = *in.Name
	}
	if in.Body != nil {
		t.Body = *in.Body
	}
	if in.Shared != nil {
		t.Shared = *in.Shared
	}
	if t.Shared && !caller.IsAdmin() {
		return Template{}, Errorf(KindForbidden, "forbidden", "only admins save shared templates")
	}
	if err := validateTemplate(&t); err != nil {
		return Template{}, err
	}
	t.CreatedAt = s.now()
	t.UpdatedAt = t.CreatedAt
	err := s.write(ctx, func(tx Tx) error { return tx.CreateTemplate(ctx, &t) })
	return t, err
}

// Templates lists the templates the caller may use: the shared ones and
// their own, by name.
func (s *Service) Templates(ctx context.Context, caller User) ([]Template, error) {
	return s.store.Templates(ctx, caller.CompanyID, caller.ID)
}

// Template returns a template the caller may use; any other is not_found.
func (s *Service) Template(ctx context.Context, caller User, id int64) (Template, error) {
	return visibleTemplate(ctx, s.store, caller, id)
}

func visibleTemplate(ctx context.Context, q Queries, caller User, id int64) (Template, error) {
	t, err := q.Template(ctx, caller.CompanyID, id)
	if err != nil {
		return Template{}, err
	}
	if !t.Shared && t.Author.ID != caller.ID {
		return Template{}, NotFound("template")
	}
	return t, nil
}

// mayChange: a shared template is the admins', another its author's.
func mayChange(caller User, t Template) error {
	if t.Shared && !caller.IsAdmin() {
		return Errorf(KindForbidden, "forbidden", "only admins change shared templates")
	}
	return nil
}

// UpdateTemplate changes a template the caller may change.
func (s *Service) UpdateTemplate(ctx context.Context, caller User, id int64, in TemplateInput) (Template, error) {
	var t Template
	err := s.write(ctx, func(tx Tx) error {
		var err error
		if t, err = visibleTemplate(ctx, tx, caller, id); err != nil {
			return err
		}
		if err := mayChange(caller, t); err != nil {
			return err
		}
		if in.Name != nil {
			t.Name = *in.Name
		}
		if in.Body != nil {
			t.Body = *in.Body
		}
		if in.Shared != nil {
			if *in.Shared != t.Shared && !caller.IsAdmin() {
				return Errorf(KindForbidden, "forbidden", "only admins share templates")
			}
			t.Shared = *in.Shared
		}
		if err := validateTemplate(&t); err != nil {
			return err
		}
		t.UpdatedAt = s.now()
		return tx.UpdateTemplate(ctx, t)
	})
	return t, err
}

// DeleteTemplate deletes a template the caller may change.
func (s *Service) DeleteTemplate(ctx context.Context, caller User, id int64) error {
	return s.write(ctx, func(tx Tx) error {
		t, err := visibleTemplate(ctx, tx, caller, id)
		if err != nil {
			return err
		}
		if err := mayChange(caller, t); err != nil {
			return err
		}
		return tx.DeleteTemplate(ctx, caller.CompanyID, id)
	})
}

// Preview is a template rendered for one contact, as it would go.
type Preview struct {
	Body     string `json:"body"`
	Encoding string `json:"encoding"`
	Segments int    `json:"segments"`
}

// PreviewRequest names the contact, and optionally the job and the sending
// number, a template is previewed for.
type PreviewRequest struct {
	ContactID, JobID, NumberID int64
	PlainCharacters            bool
}

// PreviewTemplate renders a template for a contact as a send would: the
// same values, the same missing_field.
func (s *Service) PreviewTemplate(ctx context.Context, caller User, id int64, req PreviewRequest) (Preview, error) {
	var p Preview
	err := s.store.Snapshot(ctx, func(q Queries) error {
		t, err := visibleTemplate(ctx, q, caller, id)
		if err != nil {
			return err
		}
		c, err := q.Contact(ctx, caller.CompanyID, req.ContactID)
		if err != nil {
			return err
		}
		var n *Number
		if req.NumberID != 0 {
			n, err = s.sendingNumber(ctx, q, caller, c, req.NumberID)
		} else if n, err = s.sendingNumber(ctx, q, caller, c, 0); ErrorKind(err) == KindForbidden {
			n, err = nil, nil // no number of theirs: {{number.label}} is missing
		}
		if err != nil {
			return err
		}
		body, err := s.renderFor(ctx, q, caller, t.Body, c, n, req.JobID)
		if err != nil {
			return err
		}
		if req.PlainCharacters {
			body = plainText(body)
		}
		_, p.Segments, p.Encoding = CountSegments(body)
		p.Body = body
		return nil
	})
	return p, err
}

// renderFor renders a template body for one text.
func (s *Service) renderFor(ctx context.Context, q Queries, caller User, body string, c Contact, n *Number, jobID int64) (string, error) {
	company, err := q.Company(ctx, caller.CompanyID)
	if err != nil {
		return "", err
	}
	var job *Job
	if jobID != 0 {
		j, err := q.Job(ctx, caller.CompanyID, jobID)
		if err != nil {
			return "", err
		}
		job = &j
	}
	return RenderTemplate(body, mergeValues(c, caller, company, n, job))
}
