package inbox

import (
	"context"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// MinPasswordChange is the shortest password a user may change theirs to.
const MinPasswordChange = 12

// UserPatch is the body of PATCH /api/users/{id}; absent fields keep their
// value.
type UserPatch struct {
	Active *bool   `json:"active"`
	Name   *string `json:"name"`
	Role   *Role   `json:"role"`
}

// Accounts lists the users of the caller's company, active or not.
func (s *Service) Accounts(ctx context.Context, caller User) ([]Account, error) {
	if err := requireAdmin(caller); err != nil {
		return nil, err
	}
	return s.store.Accounts(ctx, caller.CompanyID)
}

// UpdateUser changes a user of the caller's company. Deactivating ends the
// user's sessions, API tokens and sockets at once, on every instance; a
// role change makes their sockets reconnect, so that they get what the new
// role may see. An admin may not deactivate themselves, and the company
// always keeps an active admin.
func (s *Service) UpdateUser(ctx context.Context, caller User, id int64, p UserPatch) (Account, error) {
	if err := requireAdmin(caller); err != nil {
		return Account{}, err
	}
	if p.Active != nil && !*p.Active && id == caller.ID {
		return Account{}, Errorf(KindConflict, "cannot_deactivate_self", "you cannot deactivate yourself; ask another admin")
	}
	if p.Name != nil {
		name := strings.TrimSpace(*p.Name)
		if name == "" || utf8.RuneCountInString(name) > 100 {
			return Account{}, Invalid("invalid_name", "a name must be 1 to 100 characters")
		}
		p.Name = &name
	}
	if p.Role != nil && !p.Role.Valid() {
		return Account{}, Invalid("invalid_role", "role must be admin or recruiter")
	}
	var before, after Account
	err := s.write(ctx, func(tx Tx) error {
		var err error
		if before, err = tx.Account(ctx, caller.CompanyID, id); err != nil {
			return err
		}
		after = before
		if p.Active != nil {
			after.Active = *p.Active
		}
		if p.Name != nil {
			after.Name = *p.Name
		}
		if p.Role != nil {
			after.Role = *p.Role
		}
		if before.Active && before.IsAdmin() && (!after.Active || !after.IsAdmin()) {
			admins, err := tx.ActiveAdmins(ctx, caller.CompanyID)
			if err != nil {
				return err
			}
			if admins <= 1 {
				return Errorf(KindConflict, "last_admin", "the company must keep an active admin")
			}
		}
		if err := tx.UpdateUser(ctx, after); err != nil {
			return err
		}
		if before.Active && !after.Active {
			return tx.EndUserAccess(ctx, id)
		}
		return nil
	})
	if err != nil {
		return Account{}, err
	}
	switch {
	case before.Active && !after.Active:
		s.announce(AuthChange{Kind: AuthUserEnded, UserID: id})
	case before.Role != after.Role:
		s.announce(AuthChange{Kind: AuthUserChanged, UserID: id})
	case before.Name != after.Name:
		s.announce(AuthChange{Kind: AuthUserUpdated, UserID: id})
	}
	return after, nil
}

// ChangePassword changes the caller's password, given the current one, and
// ends every other session of theirs (their sockets close, on every
// instance): whoever knew the old password is signed out. The session the
// change came from stays; API tokens stay.
func (s *Service) ChangePassword(ctx context.Context, caller Auth, current, next string) error {
	a, hash, err := s.store.UserByEmail(ctx, caller.User.Email)
	if err != nil {
		return unauthenticatedIfMissing(err)
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(current)) != nil {
		return ErrWrongPassword
	}
	if utf8.RuneCountInString(next) < MinPasswordChange {
		return Invalid("weak_password", "a new password must be at least %d characters long", MinPasswordChange)
	}
	if len(next) > 72 {
		return Invalid("invalid_password", "a password must be at most 72 bytes long")
	}
	newHash, err := s.hash(next)
	if err != nil {
		return err
	}
	err = s.write(ctx, func(tx Tx) error {
		if err := tx.SetPasswordHash(ctx, a.ID, newHash); err != nil {
			return err
		}
		return tx.DeleteUserSessions(ctx, a.ID, caller.Session)
	})
	if err != nil {
		return err
	}
	s.announce(AuthChange{Kind: AuthOtherSessionsEnded, UserID: a.ID, Session: caller.SessionRef()})
	return nil
}

// ErrWrongPassword is a password change whose current password is wrong.
var ErrWrongPassword = &Error{Kind: KindForbidden, Code: "wrong_password", Message: "the current password is wrong"}
