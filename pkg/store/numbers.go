package store

import (
	"context"
	"fmt"

	"smsinbox/pkg/inbox"
)

const numberColumns = `n.id, n.company_id, n.e164, n.label`

func (q queries) Number(ctx context.Context, companyID, id int64) (inbox.Number, error) {
	var n inbox.Number
	err := q.get(ctx, &n, `SELECT `+numberColumns+` FROM numbers n WHERE n.company_id = ? AND n.id = ?`, companyID, id)
	if err != nil {
		return n, notFound("number", err)
	}
	return n, nil
}

func (q queries) NumbersByE164(ctx context.Context, e164s []string) ([]inbox.Number, error) {
	numbers := []inbox.Number{}
	if len(e164s) == 0 {
		return numbers, nil
	}
	query, args, err := q.in(`SELECT `+numberColumns+` FROM numbers n WHERE n.e164 IN (?)`, e164s)
	if err != nil {
		return nil, fmt.Errorf("find numbers: %w", err)
	}
	if err := q.sel(ctx, &numbers, query, args...); err != nil {
		return nil, fmt.Errorf("find numbers: %w", err)
	}
	return numbers, nil
}

func (q queries) Numbers(ctx context.Context, companyID int64) ([]inbox.Number, error) {
	numbers := []inbox.Number{}
	if err := q.sel(ctx, &numbers, `SELECT `+numberColumns+` FROM numbers n WHERE n.company_id = ? ORDER BY n.id`, companyID); err != nil {
		return nil, fmt.Errorf("list numbers: %w", err)
	}
	var rows []struct {
		NumberID int64 `db:"number_id"`
		inbox.User
	}
	if err := q.sel(ctx, &rows, `SELECT a.number_id, `+userColumns+` FROM number_assignees a
		JOIN users u ON u.id = a.user_id WHERE u.company_id = ? ORDER BY a.number_id, u.id`, companyID); err != nil {
		return nil, fmt.Errorf("list assignees: %w", err)
	}
	byID := make(map[int64]*inbox.Number, len(numbers))
	for i := range numbers {
		numbers[i].Assignees = []inbox.User{}
		byID[numbers[i].ID] = &numbers[i]
	}
	for _, r := range rows {
		if n := byID[r.NumberID]; n != nil {
			n.Assignees = append(n.Assignees, r.User)
		}
	}
	return numbers, nil
}

func (q queries) AllNumbers(ctx context.Context) ([]inbox.Number, error) {
	numbers := []inbox.Number{}
	if err := q.sel(ctx, &numbers, `SELECT `+numberColumns+` FROM numbers n ORDER BY n.company_id, n.id`); err != nil {
		return nil, fmt.Errorf("list all numbers: %w", err)
	}
	return numbers, nil
}

func (q queries) UserNumbers(ctx context.Context, userID int64) ([]inbox.Number, error) {
	numbers := []inbox.Number{}
	if err := q.sel(ctx, &numbers, `SELECT `+numberColumns+` FROM number_assignees a
		JOIN numbers n ON n.id = a.number_id WHERE a.user_id = ? ORDER BY n.id`, userID); err != nil {
		return nil, fmt.Errorf("list numbers of user %d: %w", userID, err)
	}
	return numbers, nil
}

func (q queries) Assignees(ctx context.Context, numberID int64) ([]inbox.User, error) {
	users := []inbox.User{}
	if err := q.sel(ctx, &users, `SELECT `+userColumns+` FROM number_assignees a
		JOIN users u ON u.id = a.user_id WHERE a.number_id = ? ORDER BY u.id`, numberID); err != nil {
		return nil, fmt.Errorf("list assignees of number %d: %w", numberID, err)
	}
	return users, nil
}

func (t *tx) CreateNumber(ctx context.Context, n *inbox.Number) error {
	err := t.get(ctx, &n.ID, `INSERT INTO numbers (company_id, e164, label, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
		n.CompanyID, n.E164, n.Label, t.now())
	if _, dup := isUniqueViolation(err); dup {
		return inbox.Errorf(inbox.KindConflict, "number_taken", "the number %s is registered already", n.E164)
	}
	if err != nil {
		return fmt.Errorf("create number: %w", err)
	}
	return nil
}

// SetAssignees replaces a number's assignees. The caller has checked that
// every user belongs to the number's company.
func (t *tx) SetAssignees(ctx context.Context, numberID int64, userIDs []int64) error {
	if err := t.exec(ctx, `DELETE FROM number_assignees WHERE number_id = ?`, numberID); err != nil {
		return fmt.Errorf("clear assignees of number %d: %w", numberID, err)
	}
	for _, id := range userIDs {
		if err := t.exec(ctx, `INSERT INTO number_assignees (number_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING`,
			numberID, id); err != nil {
			return fmt.Errorf("assign user %d to number %d: %w", id, numberID, err)
		}
	}
	return nil
}
