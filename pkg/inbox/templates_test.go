package inbox

import (
	"testing"
)

// TestRenderTemplate: every merge field, fallbacks, unknown and missing
// fields.
func TestRenderTemplate(t *testing.T) {
	contact := Contact{Name: "Ana Maria Lopez"}
	user := User{Name: "Ben Carter"}
	company := Company{Name: "Acme Staffing"}
	number := &Number{Label: "Recruiting"}
	job := &Job{Title: "Night nurse"}
	full := mergeValues(contact, user, company, number, job)
	empty := mergeValues(Contact{}, User{}, Company{}, nil, nil)
	single := mergeValues(Contact{Name: "Cher"}, User{Name: "Ben"}, company, number, nil)

	cases := []struct {
		name   string
		body   string
		values MergeValues
		want   string
		code   string // the error code, if any
	}{
		{"contact first name", "Hi {{contact.first_name}}", full, "Hi Ana", ""},
		{"contact last name", "Dear {{contact.last_name}}", full, "Dear Lopez", ""},
		{"contact name", "{{contact.name}}", full, "Ana Maria Lopez", ""},
		{"job title", "Still keen on {{job.title}}?", full, "Still keen on Night nurse?", ""},
		{"user first name", "It's {{user.first_name}}", full, "It's Ben", ""},
		{"user name", "{{user.name}} here", full, "Ben Carter here", ""},
		{"company name", "From {{company.name}}", full, "From Acme Staffing", ""},
		{"number label", "({{number.label}})", full, "(Recruiting)", ""},
		{"spaces inside braces", "Hi {{ contact.first_name }}!", full, "Hi Ana!", ""},
		{"every field", "{{contact.first_name}} {{contact.last_name}} {{contact.name}} {{job.title}} {{user.first_name}} {{user.name}} {{company.name}} {{number.label}}",
			full, "Ana Lopez Ana Maria Lopez Night nurse Ben Ben Carter Acme Staffing Recruiting", ""},
		{"repeated field", "{{contact.first_name}}, {{contact.first_name}}!", full, "Ana, Ana!", ""},
		{"fallback unused", "Hi {{contact.first_name|there}}", full, "Hi Ana", ""},
		{"fallback used", "Hi {{contact.first_name|there}}", empty, "Hi there", ""},
		{"fallback trimmed", "Hi {{contact.first_name | there }}!", empty, "Hi there!", ""},
		{"empty fallback", "Hi{{contact.first_name|}}!", empty, "Hi!", ""},
		{"fallback for job", "About {{job.title|the role}}", empty, "About the role", ""},
		{"fallback for number", "{{number.label|us}}", empty, "us", ""},
		{"one-word name has no last name", "{{contact.last_name|friend}}", single, "friend", ""},
		{"one-word name is a first name", "{{contact.first_name}}", single, "Cher", ""},
		{"no fields", "Plain text", empty, "Plain text", ""},
		{"single braces are text", "a {b} c", empty, "a {b} c", ""},
		{"unclosed braces are text", "a {{contact.name", full, "a {{contact.name", ""},
		{"missing contact name", "Hi {{contact.first_name}}", empty, "", "missing_field"},
		{"missing job", "About {{job.title}}", empty, "", "missing_field"},
		{"missing number", "{{number.label}}", empty, "", "missing_field"},
		{"missing last name", "{{contact.last_name}}", single, "", "missing_field"},
		{"unknown field", "Hi {{contact.nickname}}", full, "", "unknown_field"},
		{"unknown field with fallback", "Hi {{candidate.name|there}}", full, "", "unknown_field"},
		{"empty field", "Hi {{}}", full, "", "unknown_field"},
		{"case matters", "Hi {{Contact.First_Name}}", full, "", "unknown_field"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := RenderTemplate(c.body, c.values)
			if c.code != "" {
				if ErrorCode(err) != c.code || ErrorKind(err) != KindInvalid {
					t.Fatalf("RenderTemplate(%q) = %q, %v; want 422 %s", c.body, got, err, c.code)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("RenderTemplate(%q) = %q, %v; want %q", c.body, got, err, c.want)
			}
		})
	}
}

// TestTemplateFields: the fields a body uses are checked when it is saved.
func TestTemplateFields(t *testing.T) {
	fields, err := TemplateFields("Hi {{contact.first_name|there}}, {{job.title}} at {{company.name}}; {{contact.first_name}}")
	if err != nil || len(fields) != 3 || fields[0] != "contact.first_name" || fields[1] != "job.title" || fields[2] != "company.name" {
		t.Fatalf("fields %v, %v", fields, err)
	}
	for _, f := range MergeFields {
		if _, err := TemplateFields("{{" + f + "}}"); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	if _, err := TemplateFields("{{user.email}}"); ErrorCode(err) != "unknown_field" {
		t.Errorf("user.email: %v; want unknown_field", err)
	}
	tm := Template{Name: " Check-in ", Body: " Hi {{contact.first_name}} "}
	if err := validateTemplate(&tm); err != nil || tm.Name != "Check-in" || tm.Body != "Hi {{contact.first_name}}" {
		t.Errorf("validate: %+v %v", tm, err)
	}
	for _, bad := range []Template{{Name: "", Body: "x"}, {Name: "x", Body: " "}, {Name: "x", Body: "{{nope}}"}} {
		if err := validateTemplate(&bad); ErrorKind(err) != KindInvalid {
			t.Errorf("validate %+v: %v; want invalid", bad, err)
		}
	}
}
