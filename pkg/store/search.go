package store

import (
	"context"
	"fmt"
	"math"
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

// pgQuery is the tsquery text of the terms, all required: every one a
// whole word but the last, a prefix (the word being typed). Terms are letters
// and digits only (inbox.SearchTerms), so nothing in them is tsquery syntax.
// Whole words matter for speed, not only meaning: a GIN index reads a
// prefix's matches into a bitmap, all of them, where a whole word's can be
// skipped through when another term is rarer.
func pgQuery(terms []string) string {
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = t
		if i == len(terms)-1 {
			parts[i] += ":*"
		}
	}
	return strings.Join(parts, " & ")
}

// ftsQuery is the FTS5 query of the terms, as pgQuery: each quoted, all
// required, the last a prefix.
func ftsQuery(terms []string) string {
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = `"` + strings.ReplaceAll(t, `"`, `""`) + `"`
		if i == len(terms)-1 {
			parts[i] += "*"
		}
	}
	return strings.Join(parts, " ")
}

// How a search gathers its window on PostgreSQL (searchWindow): it reads
// the newest searchProbe messages first, then at most searchScanMax more
// when the words' frequency says the window is within them. (Variables for
// tests.)
var (
	searchProbe   = 2000
	searchScanMax = 20_000
)

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
	c.last_message_at AS "c.last_message_at", c.created_at AS "c.created_at", co.sms_enabled AS "c.sms_enabled"`

const hitJoins = ` JOIN messages m ON m.id = cand.id
	JOIN contacts c ON c.id = m.contact_id
	JOIN companies co ON co.id = m.company_id
	LEFT JOIN users su ON su.id = m.sent_by `

func (q queries) SearchMessages(ctx context.Context, companyID int64, s inbox.MessageSearch) (inbox.MessageHits, error) {
	if len(s.Terms) == 0 || len(s.NumberIDs) == 0 || s.Limit <= 0 {
		return inbox.MessageHits{Hits: []inbox.SearchHit{}}, nil
	}
	res, err := q.dialect.searchMessages(ctx, q, companyID, s)
	if err != nil {
		return inbox.MessageHits{}, fmt.Errorf("search messages: %w", err)
	}
	return res, nil
}

// searchHits reads the page of a search's window.
func (q queries) searchHits(ctx context.Context, query string, args []any, window []int64) (inbox.MessageHits, error) {
	var rows []hitRow
	if err := q.sel(ctx, &rows, query, args...); err != nil {
		return inbox.MessageHits{}, err
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
	if window != nil {
		res.Window = len(window)
		if len(window) > 0 {
			res.WindowMinID = window[len(window)-1]
		}
	}
	return res, nil
}

// searchWindow finds the ids of a search's window on PostgreSQL, newest
// first: the newest s.Window messages of the numbers that match, below
// s.Before. Its cost is set by how common the words are, never by the
// planner's guess at it (which for a prefix is a flat 0.5 %):
//
//  1. The newest searchProbe messages are read backwards and matched. A
//     word in one text in ten fills the window there.
//  2. Otherwise their matches tell the word's frequency f. If the rest of
//     the window is within searchScanMax more messages (need/f), those are
//     read backwards the same way: a common word is found by reading a few
//     thousand recent texts, not by fetching its hundred thousand matches.
//  3. Otherwise (a rare word, or what step 2 did not find) the rest comes
//     through the GIN index, ordered by id + 0 so that no plan reads every
//     message backwards hoping to meet a rare word: a rare word has few
//     matches to fetch.
func (q queries) searchWindow(ctx context.Context, companyID int64, s inbox.MessageSearch) ([]int64, error) {
	tsq, numbers := pgQuery(s.Terms), pq.Array(s.NumberIDs)
	// slice matches within the newest n messages below before (0: all).
	slice := func(before int64, n, want int) (ids []int64, read int, oldest int64, err error) {
		var r struct {
			N      int           `db:"n"`
			Oldest int64         `db:"oldest"`
			IDs    pq.Int64Array `db:"ids"`
		}
		err = q.get(ctx, &r, `WITH slice AS MATERIALIZED (
				SELECT m.id, m.search_vector FROM messages m
				WHERE m.company_id = ? AND m.number_id = ANY(?::bigint[]) AND m.id < ?
				ORDER BY m.id DESC LIMIT ?)
			SELECT (SELECT count(*) FROM slice) AS n, (SELECT COALESCE(min(id), 0) FROM slice) AS oldest,
				COALESCE((SELECT array_agg(id ORDER BY id DESC) FROM (SELECT id FROM slice
					WHERE search_vector @@ to_tsquery('english', ?) ORDER BY id DESC LIMIT ?) x), '{}') AS ids`,
			companyID, numbers, before, n, tsq, want)
		return r.IDs, r.N, r.Oldest, err
	}
	before := s.Before
	if before <= 0 {
		before = math.MaxInt64
	}
	ids, read, oldest, err := slice(before, searchProbe, s.Window)
	if err != nil || len(ids) >= s.Window || read < searchProbe {
		return ids, err
	}
	need := s.Window - len(ids)
	if len(ids) > 0 {
		if scan := need * searchProbe / len(ids) * 3 / 2; scan <= searchScanMax {
			more, n, last, err := slice(oldest, scan, need)
			if err != nil {
				return nil, err
			}
			ids, oldest = append(ids, more...), last
			if need -= len(more); need == 0 || n < scan {
				return ids, nil
			}
		}
	}
	var more []int64
	err = q.sel(ctx, &more, searchIndexQuery, companyID, numbers, oldest, tsq, need)
	return append(ids, more...), err
}

// searchIndexQuery is step 3 of searchWindow: matches below an id, newest
// first, through the GIN index.
const searchIndexQuery = `SELECT m.id FROM messages m
	WHERE m.company_id = ? AND m.number_id = ANY(?::bigint[]) AND m.id + 0 < ?
	AND m.search_vector @@ to_tsquery('english', ?)
	ORDER BY m.id + 0 DESC LIMIT ?`

// searchPageQuery ranks a window and reads its page: only the page's rows
// are joined and their headlines made.
func searchPageQuery(s inbox.MessageSearch, window []int64) (string, []any) {
	tsq := pgQuery(s.Terms)
	return `WITH page AS MATERIALIZED (
			SELECT m.id, ts_rank(m.search_vector, to_tsquery('english', ?)) AS rank FROM messages m
			WHERE m.id = ANY(?::bigint[]) ORDER BY rank DESC, m.id DESC OFFSET ? LIMIT ?)
		SELECT ` + hitColumns + `, 0 AS window_size, 0 AS window_min,
			ts_headline('english', m.body, to_tsquery('english', ?),
				'StartSel=' || chr(2) || ', StopSel=' || chr(3) || ', MinWords=12, MaxWords=24, ShortWord=2') AS snippet
		FROM page cand` + hitJoins + `
		ORDER BY cand.rank DESC, cand.id DESC`, []any{tsq, pq.Array(window), s.Offset, s.Limit, tsq}
}

// searchQuerySQLite is a search on SQLite, in one statement: FTS5 finds
// every match, and the embedded store is small.
func (q queries) searchQuerySQLite(companyID int64, s inbox.MessageSearch) (string, []any, error) {
	before := ""
	if s.Before > 0 {
		before = ` AND m.id < ?`
	}
	fts := ftsQuery(s.Terms)
	query := `WITH cand AS (
			SELECT m.id, bm25(messages_search) AS rank FROM messages_search JOIN messages m ON m.id = messages_search.rowid
			WHERE messages_search MATCH ? AND m.company_id = ? AND m.number_id IN (?)` + before + `
			ORDER BY m.id DESC LIMIT ?),
		win AS (SELECT count(*) AS n, COALESCE(min(id), 0) AS min_id FROM cand)
		SELECT ` + hitColumns + `, win.n AS window_size, win.min_id AS window_min,
			snippet(messages_search, 0, char(2), char(3), '…', 16) AS snippet
		FROM messages_search JOIN cand ON cand.id = messages_search.rowid` + hitJoins + ` CROSS JOIN win
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
	phone := ""
	if digits != "" {
		phone = ` OR c.phone LIKE ?`
	}
	onNumber := ""
	if numberID != 0 {
		onNumber = ` AND EXISTS (SELECT 1 FROM threads t WHERE t.contact_id = c.id AND t.number_id = ?)`
	}
	query, args := q.dialect.searchContactsQuery(companyID, terms, phone, onNumber, digits, numberID, limit)
	if err := q.sel(ctx, &contacts, query, args...); err != nil {
		return nil, fmt.Errorf("search contacts: %w", err)
	}
	return contacts, nil
}
