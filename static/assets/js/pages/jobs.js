// jobs.js — Job Postings (/jobs) and one posting's applicants (/jobs/{id}),
// with the SMS icon in the Actions column.

import { h, table, append } from '../dom.js';
import { get, isAbort } from '../api.js';
import { rememberContacts } from '../store.js';
import { pageHead, loadError, contactRow, CONTACT_COLUMNS, focusHeading } from './common.js';
import { longDate } from '../time.js';
import { selectableRows, bulkButton } from '../components/bulk.js';

/** @param {import('../router.js').PageContext} ctx */
export async function jobsPage(ctx) {
  const { main, signal } = ctx;
  append(main, pageHead('Job Postings', 'Open a posting to see and text its applicants.'));
  let jobs;
  try {
    const res = await get('/api/jobs', { signal });
    jobs = Array.isArray(res) ? res : res?.jobs || [];
  } catch (err) {
    if (isAbort(err)) return;
    append(main, loadError(err, 'job postings'));
    return;
  }
  const { el, tbody, row } = table(['Title', 'Applicants', 'Posted'], { caption: 'Job postings', testid: 'jobs-table' });
  append(tbody, jobs.map((j) => row({ testid: 'job-row', 'data-job-id': j.id }, [
    h('a', { href: `/jobs/${j.id}`, testid: 'job-link' }, j.title || `Job #${j.id}`),
    j.applicants != null ? String(j.applicants) : '',
    longDate(j.created_at),
  ])));
  append(main, jobs.length ? el : h('p', { class: 'muted' }, 'No job postings yet.'));
  focusHeading(main);
}

/** @param {import('../router.js').PageContext} ctx */
export async function jobPage(ctx) {
  const { main, signal, params } = ctx;
  let job;
  let contacts;
  try {
    const [j, a] = await Promise.all([
      get(`/api/jobs/${params.id}`, { signal }),
      get(`/api/jobs/${params.id}/applicants`, { signal }),
    ]);
    job = j?.job || j || {};
    contacts = Array.isArray(a) ? a : a?.contacts || [];
  } catch (err) {
    if (isAbort(err)) return;
    append(main, h('p', null, h('a', { href: '/jobs' }, '← Job Postings')),
      loadError(err, err.status === 404 ? 'this job posting (it does not exist)' : 'this job posting'));
    return;
  }
  rememberContacts(contacts);
  const { el, tbody, row } = table(CONTACT_COLUMNS, { caption: `Applicants for ${job.title || 'this job'}`, testid: 'applicants-table' });
  append(tbody, contacts.map((c) => contactRow(row, c)));
  // Text the selected applicants, or all of them (the job's, by job_id:
  // {{job.title}} then names this job).
  let picked = [];
  const jobId = Number(params.id);
  const bulk = bulkButton(() => (picked.length
    ? { contactIds: picked, jobId, label: `${picked.length} selected ${picked.length === 1 ? 'applicant' : 'applicants'}` }
    : { jobId, label: `all applicants for ${job.title || 'this job'}` }));
  bulk.textContent = 'Text all applicants';
  bulk.disabled = contacts.length === 0;
  selectableRows(tbody, (ids) => {
    picked = ids;
    bulk.textContent = ids.length ? `Text ${ids.length} selected` : 'Text all applicants';
  });
  append(main,
    h('p', { class: 'crumbs' }, h('a', { href: '/jobs' }, '← Job Postings')),
    pageHead(job.title || `Job #${params.id}`, `${contacts.length} ${contacts.length === 1 ? 'applicant' : 'applicants'}`, bulk),
    contacts.length ? el : h('p', { class: 'muted' }, 'No applicants yet.'));
  focusHeading(main);
}
