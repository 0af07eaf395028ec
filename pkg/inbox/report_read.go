package inbox

import (
	"cmp"
	"context"
	"slices"
	"strconv"
)

// ResolveReport checks that the caller may read the report and what f means,
// and returns f with its default window filled in.
func (s *Service) ResolveReport(caller User, f ReportFilter) (ReportFilter, error) {
	if err := requireAdmin(caller); err != nil {
		return f, err
	}
	return f.resolve(s.now())
}

// Report returns one page of the report, newest first, with the totals and
// breakdowns of the whole filtered range, read from one consistent snapshot.
// The query is audited before anything is read.
func (s *Service) Report(ctx context.Context, caller User, f ReportFilter, p ReportPaging) (ReportPage, error) {
	if err := requireAdmin(caller); err != nil {
		return ReportPage{}, err
	}
	q, err := f.pageQuery(p, s.now())
	if err != nil {
		return ReportPage{}, err
	}
	err = s.auditReport(ctx, caller, ReportJSON, struct {
		ReportFilter
		Limit  int    `json:"limit"`
		Cursor string `json:"cursor,omitempty"`
	}{q.ReportFilter, q.Limit, p.Cursor})
	if err != nil {
		return ReportPage{}, err
	}
	page := ReportPage{Rows: make([]ReportRow, 0, q.Limit+1), From: q.From, To: q.To}
	limit := q.Limit
	q.Limit++ // one more tells whether there is a next page
	err = s.store.Snapshot(ctx, func(r Queries) error {
		err := r.ReportRows(ctx, caller.CompanyID, q, func(row ReportRow) error {
			page.Rows = append(page.Rows, row)
			return nil
		})
		if err != nil {
			return err
		}
		groups, err := r.ReportGroups(ctx, caller.CompanyID, q.ReportFilter)
		if err != nil {
			return err
		}
		responses, err := r.ReportResponses(ctx, caller.CompanyID, q.ReportFilter)
		if err != nil {
			return err
		}
		page.ReportSummary = summarize(groups, responses)
		return nil
	})
	if err != nil {
		return ReportPage{}, err
	}
	if len(page.Rows) > limit {
		page.Rows = page.Rows[:limit]
		next := q.nextCursor(page.Rows[limit-1])
		page.NextCursor = &next
	}
	return page, nil
}

// ReportRows calls fn with every message f selects, newest first, as the
// store reads them: an export of any size runs in constant memory.
// The query is audited, as format, before the first row is read; fn is not
// called when the caller may not read the report or f is wrong.
func (s *Service) ReportRows(ctx context.Context, caller User, f ReportFilter, format ReportFormat, fn func(ReportRow) error) error {
	f, err := s.ResolveReport(caller, f)
	if err != nil {
		return err
	}
	if err := s.auditReport(ctx, caller, format, f); err != nil {
		return err
	}
	return s.store.ReportRows(ctx, caller.CompanyID, ReportQuery{ReportFilter: f}, fn)
}

// summarize folds the store's groups into totals and per-number and
// per-sender breakdowns, each ordered by id (automatic replies last), with
// their response times. Amounts are added as decimals: no cent is lost.
func summarize(groups []ReportGroup, responses []ResponseGroup) ReportSummary {
	sum := ReportSummary{ByNumber: []NumberActivity{}, ByUser: []UserActivity{}}
	sum.Totals.Units, sum.Totals.Amount = "0", "0"
	charge := func(units, amount *string, g ReportGroup) {
		*units = addUnits(*units, g.Units)
		*amount = AddDecimals(*amount, g.Amount)
	}
	numbers := map[int64]*NumberActivity{}
	users := map[int64]*UserActivity{} // 0: automatic replies
	all, byNumber, byUser := responseHistogram{}, map[int64]responseHistogram{}, map[int64]responseHistogram{}
	for _, r := range responses {
		all[r.Bucket] += r.Count
		if numbers[r.Number.ID] == nil {
			numbers[r.Number.ID] = &NumberActivity{Number: r.Number, Units: "0", Amount: "0"}
			byNumber[r.Number.ID] = responseHistogram{}
		}
		byNumber[r.Number.ID][r.Bucket] += r.Count
		var uid int64
		if r.User != nil {
			uid = r.User.ID
		}
		if users[uid] == nil {
			users[uid] = &UserActivity{User: r.User, Units: "0", Amount: "0"}
			byUser[uid] = responseHistogram{}
		}
		byUser[uid][r.Bucket] += r.Count
	}
	sum.Totals.ResponseTimes = all.times()
	for id, h := range byNumber {
		numbers[id].ResponseTimes = h.times()
	}
	for id, h := range byUser {
		users[id].ResponseTimes = h.times()
	}
	for _, g := range groups {
		failed := int64(0)
		if g.Status == StatusFailed || g.Status == StatusUndelivered {
			failed = g.Messages
		}
		n := numbers[g.Number.ID]
		if n == nil {
			n = &NumberActivity{Number: g.Number, Units: "0", Amount: "0"}
			numbers[g.Number.ID] = n
		}
		n.Failed += failed
		n.Segments += g.Segments
		charge(&n.Units, &n.Amount, g)
		sum.Totals.Failed += failed
		sum.Totals.Segments += g.Segments
		charge(&sum.Totals.Units, &sum.Totals.Amount, g)
		if g.Direction == Inbound {
			n.Inbound += g.Messages
			sum.Totals.Inbound += g.Messages
			continue
		}
		n.Outbound += g.Messages
		sum.Totals.Outbound += g.Messages
		var uid int64
		if g.User != nil {
			uid = g.User.ID
		}
		u := users[uid]
		if u == nil {
			u = &UserActivity{User: g.User, Units: "0", Amount: "0"}
			users[uid] = u
		}
		u.Outbound += g.Messages
		u.Failed += failed
		u.Segments += g.Segments
		charge(&u.Units, &u.Amount, g)
	}
	for _, n := range numbers {
		sum.ByNumber = append(sum.ByNumber, *n)
	}
	slices.SortFunc(sum.ByNumber, func(a, b NumberActivity) int { return cmp.Compare(a.Number.ID, b.Number.ID) })
	for _, u := range users {
		sum.ByUser = append(sum.ByUser, *u)
	}
	slices.SortFunc(sum.ByUser, func(a, b UserActivity) int { return cmp.Compare(userOrder(a.User), userOrder(b.User)) })
	return sum
}

// addUnits adds n parts to a count kept as a decimal string.
func addUnits(count string, n int64) string {
	return AddDecimals(count, strconv.FormatInt(n, 10))
}

// userOrder sorts senders by id, the automatic replies (no sender) last.
func userOrder(u *User) int64 {
	if u == nil {
		return 1<<63 - 1
	}
	return u.ID
}
