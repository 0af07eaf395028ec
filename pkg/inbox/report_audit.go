package inbox

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// ReportAudit records one reading of the report: admins read threads of
// numbers they are not assigned to, and the trail says who read what, when.
type ReportAudit struct {
	ID        int64           `json:"id"`
	CompanyID int64           `json:"-"`
	User      User            `json:"user"`
	Filters   json.RawMessage `json:"filters"` // the resolved filter, and the page asked for
	Format    ReportFormat    `json:"format"`
	At        time.Time       `json:"at"`
}

// auditReport records a report query before it runs. It fails closed: a
// query that cannot be recorded is not answered.
func (s *Service) auditReport(ctx context.Context, caller User, format ReportFormat, filters any) error {
	b, err := json.Marshal(filters)
	if err != nil {
		return fmt.Errorf("encode report filters: %w", err)
	}
	a := ReportAudit{CompanyID: caller.CompanyID, User: caller, Filters: b, Format: format, At: s.now()}
	return s.write(ctx, func(tx Tx) error { return tx.RecordReport(ctx, &a) })
}

// ReportAudits returns the report's audit trail for an admin, newest first:
// the limit entries (default 50, at most 500) older than the id before.
// next is the before of the following page, 0 on the last.
func (s *Service) ReportAudits(ctx context.Context, caller User, before int64, limit int) (entries []ReportAudit, next int64, err error) {
	if err := requireAdmin(caller); err != nil {
		return nil, 0, err
	}
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	if entries, err = s.store.ReportAudits(ctx, caller.CompanyID, before, limit+1); err != nil {
		return nil, 0, err
	}
	if len(entries) > limit {
		entries = entries[:limit]
		next = entries[limit-1].ID
	}
	return entries, next, nil
}
