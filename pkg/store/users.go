package store

import (
	"context"
	"fmt"
	"strings"

	"smsinbox/pkg/inbox"
)

const userColumns = `u.id, u.company_id, u.email, u.name, u.role`

func (q queries) User(ctx context.Context, companyID, id int64) (inbox.User, error) {
	var u inbox.User
	err := q.get(ctx, &u, `SELECT `+userColumns+` FROM users u WHERE u.company_id = ? AND u.id = ?`, companyID, id)
	if err != nil {
		return u, notFound("user", err)
	}
	return u, nil
}

func (q queries) Account(ctx context.Context, companyID, id int64) (inbox.Account, error) {
	var a inbox.Account
	err := q.get(ctx, &a, `SELECT `+userColumns+`, u.active FROM users u WHERE u.company_id = ? AND u.id = ?`, companyID, id)
	if err != nil {
		return a, notFound("user", err)
	}
	return a, nil
}

func (q queries) UserByEmail(ctx context.Context, email string) (inbox.Account, string, error) {
	var row struct {
		inbox.Account
		PasswordHash string `db:"password_hash"`
	}
	err := q.get(ctx, &row, `SELECT `+userColumns+`, u.active, u.password_hash FROM users u WHERE u.email = ?`,
		strings.ToLower(strings.TrimSpace(email)))
	if err != nil {
		return inbox.Account{}, "", notFound("user", err)
	}
	return row.Account, row.PasswordHash, nil
}

func (q queries) Users(ctx context.Context, companyID int64) ([]inbox.User, error) {
	users := []inbox.User{}
	if err := q.sel(ctx, &users, `SELECT `+userColumns+` FROM users u WHERE u.company_id = ? ORDER BY u.id`, companyID); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return users, nil
}

func (q queries) Accounts(ctx context.Context, companyID int64) ([]inbox.Account, error) {
	accounts := []inbox.Account{}
	if err := q.sel(ctx, &accounts, `SELECT `+userColumns+`, u.active FROM users u WHERE u.company_id = ? ORDER BY u.id`, companyID); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return accounts, nil
}

func (q queries) ActiveAdmins(ctx context.Context, companyID int64) (int, error) {
	var n int
	if err := q.get(ctx, &n, `SELECT COUNT(*) FROM users WHERE company_id = ? AND role = 'admin' AND active`, companyID); err != nil {
		return 0, fmt.Errorf("count admins: %w", err)
	}
	return n, nil
}

func (t *tx) CreateUser(ctx context.Context, u *inbox.User, passwordHash string) error {
	u.Email = strings.ToLower(strings.TrimSpace(u.Email))
	err := t.get(ctx, &u.ID, `INSERT INTO users (company_id, email, name, role, password_hash, created_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, u.CompanyID, u.Email, u.Name, u.Role, passwordHash, t.now())
	if _, dup := isUniqueViolation(err); dup {
		return inbox.Errorf(inbox.KindConflict, "email_taken", "a user with the email %s exists already", u.Email)
	}
	if err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	return nil
}

func (t *tx) UpdateUser(ctx context.Context, a inbox.Account) error {
	n, err := t.execCount(ctx, `UPDATE users SET name = ?, role = ?, active = ? WHERE company_id = ? AND id = ?`,
		a.Name, a.Role, a.Active, a.CompanyID, a.ID)
	if err != nil {
		return fmt.Errorf("update user %d: %w", a.ID, err)
	}
	if n == 0 {
		return inbox.NotFound("user")
	}
	return nil
}

func (t *tx) SetPasswordHash(ctx context.Context, userID int64, hash string) error {
	n, err := t.execCount(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, hash, userID)
	if err != nil {
		return fmt.Errorf("set password of user %d: %w", userID, err)
	}
	if n == 0 {
		return inbox.NotFound("user")
	}
	return nil
}
