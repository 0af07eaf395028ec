package store

import (
	"context"
	"fmt"

	"smsinbox/pkg/inbox"
)

const jobSelect = `SELECT j.id, j.company_id, j.external_id, j.title, j.created_at,
	(SELECT count(*) FROM applicants a WHERE a.job_id = j.id) AS applicants FROM jobs j `

func (q queries) Job(ctx context.Context, companyID, id int64) (inbox.Job, error) {
	var j inbox.Job
	if err := q.get(ctx, &j, jobSelect+`WHERE j.company_id = ? AND j.id = ?`, companyID, id); err != nil {
		return j, notFound("job", err)
	}
	return j, nil
}

func (q queries) JobByExternalID(ctx context.Context, companyID int64, externalID string) (inbox.Job, error) {
	var j inbox.Job
	if err := q.get(ctx, &j, jobSelect+`WHERE j.company_id = ? AND j.external_id = ?`, companyID, externalID); err != nil {
		return j, notFound("job", err)
	}
	return j, nil
}

func (q queries) Jobs(ctx context.Context, companyID int64) ([]inbox.Job, error) {
	jobs := []inbox.Job{}
	if err := q.sel(ctx, &jobs, jobSelect+`WHERE j.company_id = ? ORDER BY j.id DESC`, companyID); err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	return jobs, nil
}

// UpsertJob creates a job, or updates the title of the job with the same
// external id.
func (t *tx) UpsertJob(ctx context.Context, j *inbox.Job) (bool, error) {
	if j.ExternalID != nil {
		n, err := t.execCount(ctx, `UPDATE jobs SET title = ? WHERE company_id = ? AND external_id = ?`,
			j.Title, j.CompanyID, *j.ExternalID)
		if err != nil {
			return false, fmt.Errorf("update job: %w", err)
		}
		if n > 0 {
			stored, err := t.JobByExternalID(ctx, j.CompanyID, *j.ExternalID)
			*j = stored
			return false, err
		}
	}
	j.CreatedAt = t.now()
	if err := t.get(ctx, &j.ID, `INSERT INTO jobs (company_id, external_id, title, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
		j.CompanyID, j.ExternalID, j.Title, j.CreatedAt); err != nil {
		return false, fmt.Errorf("create job: %w", err)
	}
	return true, nil
}

func (t *tx) AddApplicant(ctx context.Context, jobID, contactID int64) (bool, error) {
	n, err := t.execCount(ctx, `INSERT INTO applicants (job_id, contact_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
		jobID, contactID, t.now())
	if err != nil {
		return false, fmt.Errorf("add applicant %d to job %d: %w", contactID, jobID, err)
	}
	return n > 0, nil
}
