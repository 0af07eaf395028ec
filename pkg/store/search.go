package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/lib/pq"

	"smsinbox/pkg/inbox"
)

// Search is full text on both engines: on PostgreSQL the GIN indexes
// messages_search (on search_vector, the stored to_tsvector('english', body))
// and contacts_search (the words of name and email, the email split at @ and
// dots as FTS5 splits it), with ts_rank and ts_headline;
// on SQLite the FTS5 tables of the same names (porter stemming for messages,
// as 'english' stems), with bm25() and snippet(). Every term is a word
// prefix, and a text must hold them all.
//
// A search ranks a window of matches: the newest Window of them (below an id,
// for the next windows). A word in every message makes the window the most
// recent ones, not a million ranked; a rare word's window is all its matches.

// pgQuery is the tsquery text of the terms: each a prefix, all required.
// Terms are letters and digits only (inbox.SearchTerms), so nothing in them
// is tsquery syntax.
func pgQuery(terms []string) string {
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = t + ":*"
	}
	return strings.Join(parts, " & ")
}

// ftsQuery is the FTS5 query of the terms: each a quoted prefix, all
// required.
func ftsQuery(terms []string) string {
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = `"` + strings.ReplaceAll(t, `"`, `""`) + `"*`
	}
	return strings.Join(parts, " ")
}

// searchSlice is how many of the newest messages a search reads first: a
// word in one message in fifty (a window of 200 in 10,000) fills its window
// there; rarer ones are found through the index. (A variable for tests.)
var searchSlice = 10_000

// hitRow scans one message found.
type hitRow struct {
	messageRow
	Contact   inbox.Contact `db:"c"`
	Snippet   string        `db:"snippet"`
	Window    int           `db:"window_size"`
	WindowMin int64         `db:"window_min"`
}

const hitColumns = `m.id, m.company_id, m.thread_id, m.number_id, m.contact_id, m.direction, m.body, m.status, m.error_code,
	m.error_reason, m.segments, m.encoding, m.plivo_uuid, m.media_urls, m.flagged, m.created_at,
	su.id AS "su.id", su.email AS "su.email", su.name AS "su.name", su.role AS "su.role",
	c.id AS "c.id", c.company_id AS "c.company_id", c.external_id AS "c.external_id", c.name AS "c.name",
	c.phone AS "c.phone", c.email AS "c.email", c.kind AS "c.kind", c.consent AS "c.consent",
	c.consent_source AS "c.consent_source", c.consent_at AS "c.consent_at",
	c.last_message_at AS "c.last_message_at", c.created_at AS "c.created_at", co.sms_enabled AS "c.sms_enabled",
	win.n AS window_size, win.min_id AS window_min`

const hitJoins = ` JOIN messages m ON m.id = cand.id
	JOIN contacts c ON c.id = m.contact_id
	JOIN companies co ON co.id = m.company_id
	LEFT JOIN users su ON su.id = m.sent_by
	CROSS JOIN win `

func (q queries) SearchMessages(ctx context.Context, companyID int64, s inbox.MessageSearch) (inbox.MessageHits, error) {
	if len(s.Terms) == 0 || len(s.NumberIDs) == 0 || s.Limit <= 0 {
		return inbox.MessageHits{Hits: []inbox.SearchHit{}}, nil
	}
	query, args, err := q.searchMessagesQuery(companyID, s)
	if err != nil {
		return inbox.MessageHits{}, fmt.Errorf("search messages: %w", err)
	}
	var rows []hitRow
	if err := q.sel(ctx, &rows, query, args...); err != nil {
		return inbox.MessageHits{}, fmt.Errorf("search messages: %w", err)
	}
	res := inbox.MessageHits{Hits: make([]inbox.SearchHit, len(rows))}
	for i, r := range rows {
		m, err := r.message()
		if err != nil {
			return inbox.MessageHits{}, err
		}
		res.Hits[i] = inbox.SearchHit{Message: m, ThreadID: m.ThreadID, Contact: r.Contact, Snippet: r.Snippet}
		res.Window, res.WindowMinID = r.Window, r.WindowMin
	}
	return res, nil
}

// searchMessagesQuery is the SQL of SearchMessages.
func (q queries) searchMessagesQuery(companyID int64, s inbox.MessageSearch) (string, []any, error) {
	before := ""
	if s.Before > 0 {
		before = ` AND m.id < ?`
	}
	if q.postgres {
		// The window is found in two parts, so that neither the planner's
		// guess at a word's frequency (it cannot know a prefix's: it takes
		// 0.5 %) nor the word decides the cost. First the newest searchSlice
		// messages of the numbers are read backwards and matched: a common
		// word fills the window there. When it does not, the rest of the
		// window comes from the older messages through the GIN index
		// (ordered by id + 0, which no index serves, so that the plan is the
		// index and a sort, never a backward scan of every message looking
		// for a rare word); that part runs only when needed (its one-time
		// filter), and reads only words rarer than window/searchSlice.
		// Then the window is ranked, the page cut, and only the page's rows
		// joined and their headlines made.
		query := `WITH slice AS MATERIALIZED (
				SELECT m.id, m.search_vector FROM messages m
				WHERE m.company_id = ? AND m.number_id = ANY(?::bigint[])` + before + `
				ORDER BY m.id DESC LIMIT ?),
			newest AS MATERIALIZED (SELECT id, search_vector FROM slice
				WHERE search_vector @@ to_tsquery('english', ?) ORDER BY id DESC LIMIT ?),
			older AS MATERIALIZED (SELECT m.id, m.search_vector FROM messages m
				WHERE (SELECT count(*) FROM newest) < ? AND (SELECT count(*) FROM slice) = ?
				AND m.company_id = ? AND m.number_id = ANY(?::bigint[]) AND m.id < (SELECT min(id) FROM slice)
				AND m.search_vector @@ to_tsquery('english', ?)
				ORDER BY m.id + 0 DESC LIMIT ?),
			cand AS MATERIALIZED (SELECT * FROM (SELECT * FROM newest UNION ALL SELECT * FROM older) w ORDER BY id DESC LIMIT ?),
			win AS (SELECT count(*) AS n, COALESCE(min(id), 0) AS min_id FROM cand),
			page AS MATERIALIZED (SELECT id, ts_rank(search_vector, to_tsquery('english', ?)) AS rank FROM cand
				ORDER BY rank DESC, id DESC OFFSET ? LIMIT ?)
			SELECT ` + hitColumns + `,
				ts_headline('english', m.body, to_tsquery('english', ?),
					'StartSel=' || chr(2) || ', StopSel=' || chr(3) || ', MinWords=12, MaxWords=24, ShortWord=2') AS snippet
			FROM page cand` + hitJoins + `
			ORDER BY cand.rank DESC, cand.id DESC`
		tsq, numbers := pgQuery(s.Terms), pq.Array(s.NumberIDs)
		args := []any{companyID, numbers}
		if s.Before > 0 {
			args = append(args, s.Before)
		}
		args = append(args, searchSlice, tsq, s.Window, s.Window, searchSlice, companyID, numbers, tsq, s.Window, s.Window,
			tsq, s.Offset, s.Limit, tsq)
		return query, args, nil
	}
	fts := ftsQuery(s.Terms)
	query := `WITH cand AS (
			SELECT m.id, bm25(messages_search) AS rank FROM messages_search JOIN messages m ON m.id = messages_search.rowid
			WHERE messages_search MATCH ? AND m.company_id = ? AND m.number_id IN (?)` + before + `
			ORDER BY m.id DESC LIMIT ?),
		win AS (SELECT count(*) AS n, COALESCE(min(id), 0) AS min_id FROM cand)
		SELECT ` + hitColumns + `,
			snippet(messages_search, 0, char(2), char(3), '…', 16) AS snippet
		FROM messages_search JOIN cand ON cand.id = messages_search.rowid` + hitJoins + `
		WHERE messages_search MATCH ?
		ORDER BY cand.rank, cand.id DESC LIMIT ? OFFSET ?`
	args := []any{fts, companyID, s.NumberIDs}
	if s.Before > 0 {
		args = append(args, s.Before)
	}
	args = append(args, s.Window, fts, s.Limit, s.Offset)
	return q.in(query, args...)
}

func (q queries) SearchContacts(ctx context.Context, companyID int64, terms []string, digits string, numberID int64, limit int) ([]inbox.Contact, error) {
	contacts := []inbox.Contact{}
	if len(terms) == 0 || limit <= 0 {
		return contacts, nil
	}
	var query string
	var args []any
	phone := ""
	if digits != "" {
		phone = ` OR c.phone LIKE ?`
	}
	onNumber := ""
	if numberID != 0 {
		onNumber = ` AND EXISTS (SELECT 1 FROM threads t WHERE t.contact_id = c.id AND t.number_id = ?)`
	}
	if q.postgres {
		const doc = `to_tsvector('simple', c.name || ' ' || translate(c.email, '@.', '  '))`
		query = `SELECT ` + contactColumns + contactFrom + `WHERE c.company_id = ?
			AND (` + doc + ` @@ to_tsquery('simple', ?)` + phone + `)` + onNumber + `
			ORDER BY ts_rank(` + doc + `, to_tsquery('simple', ?)) DESC, c.id DESC LIMIT ?`
		args = []any{companyID, pgQuery(terms)}
		if digits != "" {
			args = append(args, "%"+digits+"%")
		}
		if numberID != 0 {
			args = append(args, numberID)
		}
		args = append(args, pgQuery(terms), limit)
	} else {
		query = `SELECT ` + contactColumns + contactFrom + `
			LEFT JOIN (SELECT rowid AS id, bm25(contacts_search) AS rank FROM contacts_search WHERE contacts_search MATCH ?) s
				ON s.id = c.id
			WHERE c.company_id = ? AND (s.id IS NOT NULL` + phone + `)` + onNumber + `
			ORDER BY s.rank NULLS LAST, c.id DESC LIMIT ?`
		args = []any{ftsQuery(terms), companyID}
		if digits != "" {
			args = append(args, "%"+digits+"%")
		}
		if numberID != 0 {
			args = append(args, numberID)
		}
		args = append(args, limit)
	}
	if err := q.sel(ctx, &contacts, query, args...); err != nil {
		return nil, fmt.Errorf("search contacts: %w", err)
	}
	return contacts, nil
}
