package inbox

import (
	"context"
	"encoding/json"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"
)

// NewUser is what an admin gives to create a user.
type NewUser struct {
	Email    string `json:"email"`
	Name     string `json:"name"`
	Role     Role   `json:"role"`
	Password string `json:"password"`
}

func (n *NewUser) validate() error {
	n.Email = strings.ToLower(strings.TrimSpace(n.Email))
	n.Name = strings.TrimSpace(n.Name)
	if a, err := mail.ParseAddress(n.Email); err != nil || a.Address != n.Email || len(n.Email) > 254 {
		return Invalid("invalid_email", "%q is not an email address", n.Email)
	}
	if n.Name == "" || utf8.RuneCountInString(n.Name) > 100 {
		return Invalid("invalid_name", "a name must be 1 to 100 characters")
	}
	if !n.Role.Valid() {
		return Invalid("invalid_role", "role must be admin or recruiter")
	}
	return nil
}

// CreateUser adds a user to the caller's company.
func (s *Service) CreateUser(ctx context.Context, caller User, n NewUser) (User, error) {
	if err := requireAdmin(caller); err != nil {
		return User{}, err
	}
	if err := n.validate(); err != nil {
		return User{}, err
	}
	hash, err := s.HashPassword(n.Password)
	if err != nil {
		return User{}, err
	}
	u := User{CompanyID: caller.CompanyID, Email: n.Email, Name: n.Name, Role: n.Role}
	err = s.write(ctx, func(tx Tx) error { return tx.CreateUser(ctx, &u, hash) })
	return u, err
}

// Users lists the users of the caller's company (Accounts, with whether
// each is active, is what admins manage).
func (s *Service) Users(ctx context.Context, caller User) ([]User, error) {
	if err := requireAdmin(caller); err != nil {
		return nil, err
	}
	return s.store.Users(ctx, caller.CompanyID)
}

// Bootstrap creates the company if it is missing and an admin in it: how a
// fresh database gets its first user (`inboxd admin create`).
func (s *Service) Bootstrap(ctx context.Context, company string, n NewUser) (User, error) {
	company = strings.TrimSpace(company)
	if company == "" {
		return User{}, Invalid("invalid_company", "give the company a name")
	}
	n.Role = RoleAdmin
	if n.Name == "" {
		n.Name, _, _ = strings.Cut(n.Email, "@")
	}
	if err := n.validate(); err != nil {
		return User{}, err
	}
	hash, err := s.HashPassword(n.Password)
	if err != nil {
		return User{}, err
	}
	u := User{Email: n.Email, Name: n.Name, Role: RoleAdmin}
	err = s.write(ctx, func(tx Tx) error {
		c, err := tx.CompanyByName(ctx, company)
		if ErrorKind(err) == KindNotFound {
			c = NewCompany(company)
			err = tx.CreateCompany(ctx, &c)
		}
		if err != nil {
			return err
		}
		u.CompanyID = c.ID
		return tx.CreateUser(ctx, &u, hash)
	})
	return u, err
}

// The replies a new company starts with. "{company}" becomes the company's
// name when one is sent.
const (
	DefaultOptoutReply    = "You have been unsubscribed and will get no more texts from us. Reply START to text again."
	DefaultHelpReply      = "Texts about your job application. Reply STOP to unsubscribe. Msg&data rates may apply."
	DefaultOptinReply     = "You're subscribed to texts from {company}. Reply STOP to opt out."
	DefaultConsentRequest = "{company} would like to text you about jobs. Reply YES to agree or STOP to opt out."
	companyPlaceholder    = "{company}"
)

// NewCompany is a company with the default settings: texting on, the
// default replies and consent request, and the default quiet hours.
func NewCompany(name string) Company {
	q := DefaultQuietHours
	return Company{Name: name, SMSEnabled: true, OptoutReply: DefaultOptoutReply, HelpReply: DefaultHelpReply,
		OptinReply: DefaultOptinReply, ConsentRequest: DefaultConsentRequest, QuietHours: &q}
}

// companyText fills a company setting's "{company}" with the company's name.
func companyText(c Company, text string) string {
	return strings.ReplaceAll(text, companyPlaceholder, c.Name)
}

// CreateNumber registers a company phone number.
func (s *Service) CreateNumber(ctx context.Context, caller User, e164, label string) (Number, error) {
	if err := requireAdmin(caller); err != nil {
		return Number{}, err
	}
	region, err := s.companyRegion(ctx, s.store, caller.CompanyID)
	if err != nil {
		return Number{}, err
	}
	phone, err := NormalizePhone(e164, region)
	if err != nil {
		return Number{}, err
	}
	label = strings.TrimSpace(label)
	if label == "" || utf8.RuneCountInString(label) > 100 {
		return Number{}, Invalid("invalid_label", "a label must be 1 to 100 characters")
	}
	n := Number{CompanyID: caller.CompanyID, E164: phone, Label: label, Assignees: []User{}}
	err = s.write(ctx, func(tx Tx) error {
		if err := tx.CreateNumber(ctx, &n); err != nil {
			return err
		}
		return tx.Emit(CompanyTopic(n.CompanyID), EventNumberUpdated, map[string]Number{"number": n})
	})
	return n, err
}

// Numbers lists numbers: all of the company's, with assignees, for an admin;
// the caller's own for a recruiter.
func (s *Service) Numbers(ctx context.Context, caller User) ([]Number, error) {
	if caller.IsAdmin() {
		return s.store.Numbers(ctx, caller.CompanyID)
	}
	return s.store.UserNumbers(ctx, caller.ID)
}

// UserNumbers lists the numbers u is assigned to.
func (s *Service) UserNumbers(ctx context.Context, u User) ([]Number, error) {
	return s.store.UserNumbers(ctx, u.ID)
}

// SetAssignees replaces the users assigned to a number. Open websockets
// follow at once: the number.updated event makes every hub subscribe the new
// assignees' sockets and unsubscribe the removed ones'.
func (s *Service) SetAssignees(ctx context.Context, caller User, numberID int64, userIDs []int64) (Number, error) {
	if err := requireAdmin(caller); err != nil {
		return Number{}, err
	}
	ids := slices.Clone(userIDs)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var n Number
	err := s.write(ctx, func(tx Tx) error {
		var err error
		if n, err = tx.Number(ctx, caller.CompanyID, numberID); err != nil {
			return err
		}
		for _, id := range ids {
			if _, err := tx.User(ctx, caller.CompanyID, id); ErrorKind(err) == KindNotFound {
				return Invalid("unknown_user", "user %d is not a user of this company", id)
			} else if err != nil {
				return err
			}
		}
		if err := tx.SetAssignees(ctx, numberID, ids); err != nil {
			return err
		}
		if n.Assignees, err = tx.Assignees(ctx, numberID); err != nil {
			return err
		}
		return tx.Emit(CompanyTopic(n.CompanyID), EventNumberUpdated, map[string]Number{"number": n})
	})
	return n, err
}

// CompanySettings is the body of PUT /api/company; absent fields keep their
// value. QuietHours is three-way: absent keeps them, null turns them off.
type CompanySettings struct {
	SMSEnabled     *bool                 `json:"sms_enabled"`
	OptoutReply    *string               `json:"optout_reply"`
	HelpReply      *string               `json:"help_reply"`
	OptinReply     *string               `json:"optin_reply"`
	ConsentRequest *string               `json:"consent_request"`
	QuietHours     Optional[*QuietHours] `json:"quiet_hours"`
	// Claims: whether the read that clears every bell claims the thread,
	// and how long a claim lasts without a reply (1 to 1,440 minutes).
	ClaimOnRead  *bool `json:"claim_on_read"`
	ClaimMinutes *int  `json:"claim_minutes"`
	// DefaultRegion is an ISO 3166 alpha-2 code; "" follows the server's
	// INBOX_DEFAULT_REGION again.
	DefaultRegion *string `json:"default_region"`
	// Single sign-on (sso.go): "" clears a setting. The secret is
	// write-only.
	SSOIssuer    *string `json:"sso_issuer"`
	SSOSecret    *string `json:"sso_secret"`
	SSOJWKSURL   *string `json:"sso_jwks_url"`
	SSOProvision *bool   `json:"sso_provision"`
	// RetentionDays: null keeps message words for ever.
	RetentionDays Optional[*int] `json:"retention_days"`
}

// Optional is a JSON field that tells absent from null: Set is true when the
// field was in the body, whatever its value.
type Optional[T any] struct {
	Set   bool
	Value T
}

// UnmarshalJSON is called only for a field present in the body.
func (o *Optional[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	return json.Unmarshal(b, &o.Value)
}

// Company returns the caller's company settings, with the region in effect.
func (s *Service) Company(ctx context.Context, caller User) (Company, error) {
	c, err := s.store.Company(ctx, caller.CompanyID)
	c.DefaultRegion = s.regionOf(c)
	return c, err
}

// UpdateCompany changes the company settings.
func (s *Service) UpdateCompany(ctx context.Context, caller User, in CompanySettings) (Company, error) {
	if err := requireAdmin(caller); err != nil {
		return Company{}, err
	}
	for _, r := range []*string{in.OptoutReply, in.HelpReply, in.OptinReply, in.ConsentRequest} {
		if r != nil && utf8.RuneCountInString(*r) > MaxBodyChars {
			return Company{}, Invalid("invalid_reply", "a reply must be at most %d characters", MaxBodyChars)
		}
	}
	if in.ClaimMinutes != nil && (*in.ClaimMinutes < 1 || *in.ClaimMinutes > 24*60) {
		return Company{}, Invalid("invalid_claim_minutes", "claim_minutes must be 1 to 1440 minutes, not %d", *in.ClaimMinutes)
	}
	var region string
	if in.DefaultRegion != nil && strings.TrimSpace(*in.DefaultRegion) != "" {
		var ok bool
		if region, ok = ValidRegion(*in.DefaultRegion); !ok {
			return Company{}, invalidRegion(*in.DefaultRegion)
		}
	}
	if in.ConsentRequest != nil && strings.TrimSpace(*in.ConsentRequest) == "" {
		return Company{}, Invalid("invalid_reply", "the consent request text cannot be empty")
	}
	if in.QuietHours.Set && in.QuietHours.Value != nil {
		if err := in.QuietHours.Value.Validate(); err != nil {
			return Company{}, err
		}
	}
	if in.RetentionDays.Set && in.RetentionDays.Value != nil && (*in.RetentionDays.Value < 1 || *in.RetentionDays.Value > 36500) {
		return Company{}, Invalid("invalid_retention_days", "retention_days must be 1 to 36500 days, or null")
	}
	if in.SSOJWKSURL != nil && *in.SSOJWKSURL != "" {
		if u, err := url.Parse(*in.SSOJWKSURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return Company{}, Invalid("invalid_sso_jwks_url", "sso_jwks_url must be an absolute http or https URL")
		}
	}
	if in.SSOSecret != nil && *in.SSOSecret != "" && len(*in.SSOSecret) < 32 {
		return Company{}, Invalid("weak_sso_secret", "sso_secret must be at least 32 characters")
	}
	var c Company
	err := s.write(ctx, func(tx Tx) error {
		var err error
		if c, err = tx.Company(ctx, caller.CompanyID); err != nil {
			return err
		}
		if in.SSOIssuer != nil {
			c.SSOIssuer = strings.TrimSpace(*in.SSOIssuer)
		}
		if in.SSOSecret != nil {
			c.SSOSecret = *in.SSOSecret
			c.SSOSecretSet = c.SSOSecret != ""
		}
		if in.SSOJWKSURL != nil {
			c.SSOJWKSURL = strings.TrimSpace(*in.SSOJWKSURL)
		}
		if in.SSOProvision != nil {
			c.SSOProvision = *in.SSOProvision
		}
		if in.RetentionDays.Set {
			c.RetentionDays = in.RetentionDays.Value
		}
		if in.SMSEnabled != nil {
			c.SMSEnabled = *in.SMSEnabled
		}
		if in.OptoutReply != nil {
			c.OptoutReply = strings.TrimSpace(*in.OptoutReply)
		}
		if in.HelpReply != nil {
			c.HelpReply = strings.TrimSpace(*in.HelpReply)
		}
		if in.ClaimOnRead != nil {
			c.ClaimOnRead = *in.ClaimOnRead
		}
		if in.ClaimMinutes != nil {
			c.ClaimMinutes = *in.ClaimMinutes
		}
		if in.DefaultRegion != nil {
			c.DefaultRegion = region
		}
		if in.OptinReply != nil {
			c.OptinReply = strings.TrimSpace(*in.OptinReply)
		}
		if in.ConsentRequest != nil {
			c.ConsentRequest = strings.TrimSpace(*in.ConsentRequest)
		}
		if in.QuietHours.Set {
			c.QuietHours = in.QuietHours.Value
		}
		if err := tx.UpdateCompany(ctx, c); err != nil {
			return err
		}
		c.DefaultRegion = s.regionOf(c)
		return tx.Emit(CompanyTopic(c.ID), EventCompanyUpdated, map[string]Company{"company": c})
	})
	return c, err
}
